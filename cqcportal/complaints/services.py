"""Writes for complaints about the regulator: record, move to formal investigation, close.

Each keeps the complaint's target on the clock (7 working days to resolve informally, usually 30 to investigate
formally) and, when the complaint is about a location, asks rating reviews there to pause or resume in the same
transaction, so a review is never left paused by a complaint that was rolled back.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from assessments.review_services import rating_reviews_pause_recheck
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_event_record
from cqcportal.complaints.models import Complaint, ComplaintStage, ComplaintState
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_cancel, deadline_meet, deadline_open

COMPLAINANT_MAX_CHARS = 200

TARGET_KIND = {ComplaintStage.INFORMAL: Kind.COMPLAINT_INFORMAL, ComplaintStage.FORMAL: Kind.COMPLAINT_FORMAL}


class ComplaintCannotChange(Exception):
    """The complaint, or the person acting, does not allow this; the message says why in plain words.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _staff(by) -> None:
    if not perms.is_regulator_staff(by):
        raise ComplaintCannotChange("Only the regulator's staff can record and close complaints.")


def _describe(complaint: Complaint) -> str:
    where = complaint.location.name if complaint.location_id else "the regulator"
    return f"Complaint from {complaint.complainant} about {where}"


def _recheck_reviews(complaint: Complaint, *, by, today: datetime.date) -> None:
    if complaint.location_id is not None:
        rating_reviews_pause_recheck(location_id=complaint.location_id, by=by, today=today)


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update(of=("self",)).select_related("location").get(pk=complaint.pk)


def complaint_record(
    *, by, location, complainant: str, about: str, received_date: datetime.date, today: datetime.date
) -> Complaint:
    """Record a complaint, start its 7-working-day informal resolution target, and pause reviews at its location.

    :raises ComplaintCannotChange: when the person is not staff, a detail is missing, or the date is in the future.
    """
    _staff(by)
    complainant, about = complainant.strip(), about.strip()
    if not complainant:
        raise ComplaintCannotChange("Enter the name of the person who complained.", field="complainant")
    if len(complainant) > COMPLAINANT_MAX_CHARS:
        raise ComplaintCannotChange(
            f"The name must be {COMPLAINANT_MAX_CHARS} characters or fewer.", field="complainant"
        )
    if not about:
        raise ComplaintCannotChange("Enter what the complaint is about.", field="about")
    if received_date > today:
        raise ComplaintCannotChange("The date the complaint was received must be today or in the past.", field="date")
    with transaction.atomic():
        complaint = Complaint(
            location=location,
            provider=location.provider if location is not None else None,
            complainant=complainant,
            about=about,
            received_date=received_date,
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        # The FSM field is protected: full_clean would assign it; its value is the default anyway.
        complaint.full_clean(exclude=["state"])
        complaint.save()
        audit_event_record(
            by=by,
            subject=complaint,
            action="complaint.record",
            to_state=complaint.state,
            reason=about,
            data={"stage": complaint.stage, "received_date": received_date.isoformat()},
        )
        deadline_open(
            case=complaint,
            kind=Kind.COMPLAINT_INFORMAL,
            start_date=received_date,
            case_description=_describe(complaint),
            case_url=reverse("complaints:detail", args=[complaint.pk]),
            location=location,
            owner=by,
            by=by,
        )
        _recheck_reviews(complaint, by=by, today=today)
    return complaint


def complaint_escalate(*, by, complaint: Complaint, today: datetime.date) -> Complaint:
    """Move an open complaint from informal resolution to formal investigation: its 30-working-day target starts today.

    :raises ComplaintCannotChange: when the person is not staff, or the complaint is closed or already formal.
    """
    _staff(by)
    with transaction.atomic():
        locked = _locked(complaint)
        if not can_proceed(locked.escalate):
            raise ComplaintCannotChange(
                "This complaint is closed."
                if locked.state == ComplaintState.CLOSED
                else "This complaint is already under formal investigation."
            )
        before = locked.stage
        locked.escalate(by=by, at=timezone.now())
        locked.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="complaint.escalate",
            from_state=before,
            to_state=locked.stage,
            reason="Moved to formal investigation",
        )
        informal = deadline_selectors.live_deadline_for(locked, Kind.COMPLAINT_INFORMAL)
        if informal is not None:
            deadline_cancel(deadline=informal, by=by, reason="The complaint moved to formal investigation.")
        owner = informal.owner if informal is not None and informal.owner_id else by
        deadline_open(
            case=locked,
            kind=Kind.COMPLAINT_FORMAL,
            start_date=today,
            case_description=_describe(locked),
            case_url=reverse("complaints:detail", args=[locked.pk]),
            location=locked.location,
            owner=owner,
            by=by,
        )
    return locked


def complaint_close(*, by, complaint: Complaint, outcome: str, today: datetime.date) -> Complaint:
    """Close an open complaint with its outcome, meet its live target, and let reviews at its location resume.

    :raises ComplaintCannotChange: when the person is not staff, there is no outcome, or it is closed already.
    """
    _staff(by)
    outcome = outcome.strip()
    if not outcome:
        raise ComplaintCannotChange("Enter the outcome of the complaint.", field="outcome")
    with transaction.atomic():
        locked = _locked(complaint)
        if not can_proceed(locked.close):
            raise ComplaintCannotChange("This complaint is closed already.")
        before = locked.state
        locked.close(outcome=outcome, by=by, at=timezone.now())
        locked.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="complaint.close",
            from_state=before,
            to_state=locked.state,
            reason=outcome,
            data={"stage": locked.stage},
        )
        target = deadline_selectors.live_deadline_for(locked, TARGET_KIND[ComplaintStage(locked.stage)])
        if target is not None:
            deadline_meet(deadline=target, by=by, at=locked.closed_at)
        _recheck_reviews(locked, by=by, today=today)
    return locked
