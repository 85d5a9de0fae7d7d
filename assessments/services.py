"""Writes for assessment cases: the provider information request and its deadlines."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from assessments.models import InformationRequest, InformationRequestState
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_event_record
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.registry import on_expiry
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_meet, deadline_open
from cqcportal.notifications.services import notification_queue

RESPONSE_MAX_CHARS = 20_000


class InformationRequestCannotSend(Exception):
    """Only the regulator's staff may request information."""


class InformationRequestCannotSubmit(Exception):
    """The response cannot be accepted; the message says why, for the person submitting."""


class InformationRequestCannotReview(Exception):
    """Only staff may mark a submitted response reviewed."""


def _url(request: InformationRequest) -> str:
    return reverse("assessments:information-request", args=[request.pk])


def information_request_send(
    *, by, location, questions: str, today: datetime.date, now: datetime.datetime | None = None
) -> InformationRequest:
    """Ask the provider of ``location`` for information, opening its 15-working-day window.

    :raises InformationRequestCannotSend: when ``by`` is not regulator staff.
    """
    if not perms.is_regulator_staff(by):
        raise InformationRequestCannotSend()
    now = now or timezone.now()
    with transaction.atomic():
        request = InformationRequest.objects.create(
            location=location, provider=location.provider, questions=questions, requested_by=by, requested_at=now
        )
        deadline = deadline_open(
            case=request,
            kind=Kind.PROVIDER_INFORMATION_REQUEST,
            start_date=today,
            case_description=f"Information request for {location.name}",
            case_url=_url(request),
            location=location,
            owner=by,
            by=by,
        )
        audit_event_record(by=by, subject=request, action="information_request.send", to_state=request.state)
        for person in deadline_selectors.provider_contacts(
            provider_id=location.provider_id, location_id=location.pk, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"Information request for {location.name}: reply by {deadline.due_date:%-d %B %Y}",
                body=f"We have asked for information about {location.name}.\n\n{questions}\n\n"
                f"Please reply by {deadline.due_date:%A %-d %B %Y}.\n\nHow this date was worked out: "
                f"{deadline.explanation}",
                link_url=_url(request),
                kind="information_request.sent",
                dedupe_key=f"information_request:{request.pk}:sent:{person.pk}",
            )
    return request


def information_request_submit(
    *, by, request: InformationRequest, response: str, today: datetime.date, now: datetime.datetime | None = None
) -> InformationRequest:
    """Accept the provider's response, meet its deadline and give the inspector 10 working days to review it.

    :raises InformationRequestCannotSubmit: when the user may not answer for this provider, the window has
        closed, it was answered already, or the response is empty or too long.
    """
    now = now or timezone.now()
    response = response.strip()
    if not response:
        raise InformationRequestCannotSubmit("Enter your response.")
    if len(response) > RESPONSE_MAX_CHARS:
        raise InformationRequestCannotSubmit(
            f"Your response must be {RESPONSE_MAX_CHARS:,} characters or fewer; it has {len(response):,}."
        )
    if not perms.belongs_to_same_provider(by, request):
        raise InformationRequestCannotSubmit("You cannot answer for this organisation.")
    _, on_behalf_of = perms.can_act_as_registered_person(by, request, today=today)
    with transaction.atomic():
        locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state == InformationRequestState.SUBMITTED or locked.state == InformationRequestState.REVIEWED:
            raise InformationRequestCannotSubmit(
                f"This request was answered already, on {locked.submitted_at:%-d %B %Y at %H:%M}."
            )
        if not can_proceed(locked.submit):
            raise InformationRequestCannotSubmit(
                "This request closed on its deadline, so we cannot accept a response here. Contact your inspector."
            )
        deadline = deadline_selectors.live_deadline_for(locked, Kind.PROVIDER_INFORMATION_REQUEST)
        if deadline is not None and now > deadline.due_at:
            raise InformationRequestCannotSubmit(
                f"The deadline was the end of {deadline.due_date:%-d %B %Y}, so we cannot accept a response here. "
                "Contact your inspector."
            )
        before = locked.state
        locked.submit(by=by, on_behalf_of=on_behalf_of, at=now, response=response)
        locked.save()
        audit_event_record(
            by=by,
            on_behalf_of=on_behalf_of,
            subject=locked,
            action="information_request.submit",
            from_state=before,
            to_state=locked.state,
        )
        if deadline is not None:
            deadline_meet(deadline=deadline, by=by, on_behalf_of=on_behalf_of, at=now)
        review = deadline_open(
            case=locked,
            kind=Kind.RESPONSE_TARGET,
            start_date=today,
            case_description=f"Review the information from {locked.location.name}",
            case_url=_url(locked),
            location=locked.location,
            owner=locked.requested_by,
            by=by,
        )
        notification_queue(
            recipient=locked.requested_by,
            subject=f"Information received from {locked.location.name}",
            body=f"{by.full_name} has answered your information request for {locked.location.name}. "
            f"Please review it by {review.due_date:%A %-d %B %Y}.",
            link_url=_url(locked),
            kind="information_request.submitted",
            dedupe_key=f"information_request:{locked.pk}:submitted",
        )
    return locked


def information_request_review(*, by, request: InformationRequest, now: datetime.datetime | None = None):
    """Mark a submitted response reviewed, meeting the staff response target.

    :raises InformationRequestCannotReview: when ``by`` is not staff or the response is not waiting for review.
    """
    now = now or timezone.now()
    if not perms.is_regulator_staff(by):
        raise InformationRequestCannotReview("Only the regulator's staff can review a response.")
    with transaction.atomic():
        locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
        if not can_proceed(locked.review):
            raise InformationRequestCannotReview(f"This request is {locked.get_state_display().lower()}.")
        locked.review(by=by, at=now)
        locked.save()
        audit_event_record(
            by=by, subject=locked, action="information_request.review", from_state="submitted", to_state=locked.state
        )
        target = deadline_selectors.live_deadline_for(locked, Kind.RESPONSE_TARGET)
        if target is not None:
            deadline_meet(deadline=target, by=by, at=now)
    return locked


@on_expiry(Kind.PROVIDER_INFORMATION_REQUEST)
def information_request_close_no_response(*, deadline, now: datetime.datetime) -> None:
    """The window passed unanswered: the request closes with "no response" (run by the sweep)."""
    request = InformationRequest.objects.select_for_update().get(pk=deadline.object_id)
    if not can_proceed(request.close_no_response):
        return
    request.close_no_response()
    request.save()
    audit_event_record(
        by=None,
        subject=request,
        action="information_request.close_no_response",
        from_state="requested",
        to_state=request.state,
        reason=f"No response by the end of {deadline.due_date:%-d %B %Y}.",
    )
