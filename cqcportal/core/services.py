"""Back-office writes: moving cases between inspectors, and sending a notification again.

Both are acts of admin staff in Django admin; like every other write they lock the rows they change, record an
audit event in the same transaction and queue e-mail only after commit (docs/adr/0011-back-office.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from cqcportal.accounts import rules as perms
from cqcportal.audit.models import AuditEvent
from cqcportal.audit.services import audit_event_record
from cqcportal.notifications.models import Notification
from cqcportal.notifications.queueing import queue_after_commit
from cqcportal.notifications.services import MAX_ATTEMPTS, notification_queue

REASSIGN_ACTION = "case.reassign"
RESEND_ACTION = "notification.resend"


class CasesCannotReassign(Exception):
    """Nothing was moved; the message says why, in words admin staff can act on."""


class NotificationCannotResend(Exception):
    """The notification was not sent again; the message says why."""


@dataclasses.dataclass(frozen=True)
class Assignment:
    """Which field of a kind of case names the inspector who carries it, and the rules for moving it."""

    field: str
    role: str
    # Why this record cannot move now, or "" when it can.
    blocked: Callable[[models.Model, object], str]
    # The record's page in the portal, for the new inspector's notification.
    url: Callable[[models.Model], str]
    # Further moves that follow the record's own (the old inspector's targets on it); returns the records moved.
    follow: Callable[..., list[models.Model]] = lambda **kwargs: []
    # Relations read when naming the record (its ``__str__``), fetched with the locked rows.
    related: tuple[str, ...] = ()


@dataclasses.dataclass
class Reassignment:
    """What one reassignment moved: each case with the inspector it came from, and the targets that followed."""

    to_user: object
    moved: list[tuple[models.Model, object]]
    followed: list[models.Model]


# --- What can be reassigned ---------------------------------------------------------------------------------


def _location_blocked(location, to_user) -> str:
    return ""


def _assessment_blocked(assessment, to_user) -> str:
    from assessments.models import AssessmentState
    from factual_accuracy.models import ReportState

    if assessment.state in (AssessmentState.PLANNED, AssessmentState.IN_PROGRESS):
        return ""
    if assessment.state == AssessmentState.COMPLETED:
        # A completed assessment is still someone's case while its report is on its way to publication; once it
        # is published (or withdrawn) the lead is history and stays as it was.
        live = assessment.reports.exclude(state__in=[ReportState.PUBLISHED, ReportState.WITHDRAWN]).exists()
        if live:
            return ""
        return f"{assessment} is finished and its report published or withdrawn, so its lead stays as recorded."
    return f"{assessment} is {assessment.get_state_display().lower()}."


def _assessment_follow(*, by, record, from_user, to_user, reason: str) -> list[models.Model]:
    """The new lead joins the team (the old lead stays on it: the team is the record of who assessed, which keeps
    them out of any later independent review), and the old lead's live targets on the assessment, its
    information requests, its reports and their rating reviews move to the new lead."""
    from assessments.models import AssessmentTeamMember, InformationRequest, RatingReview
    from cqcportal.deadlines.models import LIVE_STATES, Deadline
    from factual_accuracy.models import Report

    if not record.team.filter(user=to_user).exists():
        AssessmentTeamMember.objects.create(
            assessment=record, user=to_user, name=to_user.full_name, role=AssessmentTeamMember.Role.INSPECTOR
        )
    if from_user is None:
        return []
    report_ids = list(Report.objects.filter(assessment=record).values_list("pk", flat=True))
    cases = {
        record._meta.model: [record.pk],
        InformationRequest: list(InformationRequest.objects.filter(assessment=record).values_list("pk", flat=True)),
        Report: report_ids,
        RatingReview: list(RatingReview.objects.filter(report_id__in=report_ids).values_list("pk", flat=True)),
    }
    content_types = ContentType.objects.get_for_models(*cases)
    on_cases = Q(pk__in=[])
    for model, ids in cases.items():
        if ids:
            on_cases |= Q(content_type=content_types[model], object_id__in=[str(i) for i in ids])
    deadlines = list(
        Deadline.objects.select_for_update().filter(on_cases, owner=from_user, state__in=LIVE_STATES).order_by("pk")
    )
    for deadline in deadlines:
        _move_deadline(deadline, by=by, from_user=from_user, to_user=to_user, reason=reason, because=record)
    return deadlines


def _move_deadline(deadline, *, by, from_user, to_user, reason: str, because) -> None:
    deadline.owner = to_user
    deadline.save(update_fields=["owner", "updated_at"])
    audit_event_record(
        by=by,
        subject=deadline,
        action=REASSIGN_ACTION,
        reason=reason,
        data={**_people(from_user, to_user), "role": "owner", "with": str(because)[:200]},
    )


def _review_blocked(review, to_user) -> str:
    from assessments.models import RatingReviewState

    if review.state != RatingReviewState.INDEPENDENT_REVIEW:
        return (
            f"{review} is {review.get_state_display().lower()}: only a review waiting for its reviewer's "
            "recommendation can move to another reviewer."
        )
    assessment = review.report.assessment
    if to_user.pk == assessment.lead_id or assessment.team.filter(user=to_user).exists():
        return f"{to_user.full_name} was on the assessment team of {review}; the reviewer must be independent of it."
    return ""


def _deadline_blocked(deadline, to_user) -> str:
    from cqcportal.deadlines.models import LIVE_STATES

    if deadline.state not in LIVE_STATES:
        return f"{deadline} is {deadline.get_state_display().lower()}."
    return ""


def reassignable() -> dict[type[models.Model], Assignment]:
    """The kinds of case that carry an assigned inspector, and how each moves."""
    from assessments.models import Assessment, RatingReview
    from cqcportal.deadlines.models import Deadline
    from cqcportal.register.models import Location

    return {
        Location: Assignment(
            field="relationship_holder",
            role="relationship holder",
            blocked=_location_blocked,
            url=lambda location: reverse("register:location", args=[location.cqc_id]),
        ),
        Assessment: Assignment(
            field="lead",
            role="lead inspector",
            blocked=_assessment_blocked,
            url=lambda assessment: reverse("assessments:workspace", args=[assessment.pk]),
            follow=_assessment_follow,
            related=("location",),
        ),
        RatingReview: Assignment(
            field="reviewer",
            role="independent reviewer",
            blocked=_review_blocked,
            url=lambda review: reverse("assessments:rating-review", args=[review.pk]),
            related=("location", "report__assessment"),
        ),
        Deadline: Assignment(
            field="owner",
            role="owner",
            blocked=_deadline_blocked,
            url=lambda deadline: deadline.case_url,
        ),
    }


def _people(from_user, to_user) -> dict:
    return {
        "from_user": from_user.pk if from_user is not None else None,
        "from": from_user.full_name if from_user is not None else "",
        "to_user": to_user.pk,
        "to": to_user.full_name,
    }


# --- The service ---------------------------------------------------------------------------------------------


def cases_reassign(*, by, cases: Sequence[models.Model], to_user, reason: str) -> Reassignment:
    """Move each case (a location, an assessment, a rating review or a deadline) to ``to_user``, with the reason.

    All or nothing: every case is locked and checked first. Each move, and each target that follows an assessment,
    is audited (who, when, from, to, why), and ``to_user`` is told once, after commit, what they now hold.

    :raises CasesCannotReassign: when ``by`` is not admin staff, there is no reason or no case, ``to_user`` is not
        an active member of staff, already holds one of the cases, or a case cannot move in its state.
    """
    if not perms.is_admin_staff(by):
        raise CasesCannotReassign("Only admin staff can reassign cases.")
    reason = reason.strip()
    if not reason:
        raise CasesCannotReassign("Give the reason for reassigning (for example: absence, or leaving).")
    if not cases:
        raise CasesCannotReassign("Choose at least one case to reassign.")
    if to_user is None or to_user.kind != to_user.Kind.STAFF:
        name = to_user.full_name if to_user is not None else "Nobody"
        raise CasesCannotReassign(f"{name} is not a member of the regulator's staff, so cannot hold cases.")
    if not to_user.is_active:
        raise CasesCannotReassign(f"{to_user.full_name}'s account is not active, so they cannot hold cases.")
    kinds = reassignable()
    by_model: dict[type[models.Model], list[int]] = {}
    for case in cases:
        if type(case) not in kinds:
            raise CasesCannotReassign(f"A {case._meta.verbose_name} has no inspector to reassign.")
        by_model.setdefault(type(case), []).append(case.pk)

    with transaction.atomic():
        locked: list[tuple[models.Model, Assignment]] = []
        for model, ids in by_model.items():
            assignment = kinds[model]
            rows = (
                model.objects.select_for_update(of=("self",))
                .select_related(assignment.field, *assignment.related)
                .filter(pk__in=ids)
                .order_by("pk")
            )
            locked.extend((row, assignment) for row in rows)
        problems = []
        for row, assignment in locked:
            if getattr(row, f"{assignment.field}_id") == to_user.pk:
                problems.append(f"{to_user.full_name} is already the {assignment.role} of {row}.")
            elif why := assignment.blocked(row, to_user):
                problems.append(why)
        if problems:
            raise CasesCannotReassign(" ".join(problems))

        moved, followed, events = [], [], []
        for row, assignment in locked:
            from_user = getattr(row, assignment.field)
            setattr(row, assignment.field, to_user)
            update_fields = [assignment.field]
            if any(f.name == "updated_at" for f in row._meta.concrete_fields):
                update_fields.append("updated_at")
            row.save(update_fields=update_fields)
            event = audit_event_record(
                by=by,
                subject=row,
                action=REASSIGN_ACTION,
                reason=reason,
                data={**_people(from_user, to_user), "role": assignment.role},
            )
            events.append(event)
            followed += assignment.follow(by=by, record=row, from_user=from_user, to_user=to_user, reason=reason)
            moved.append((row, from_user))
        _tell_new_inspector(
            by=by, to_user=to_user, moved=moved, followed=followed, reason=reason, kinds=kinds, first_event=events[0]
        )
    return Reassignment(to_user=to_user, moved=moved, followed=followed)


def _tell_new_inspector(*, by, to_user, moved, followed, reason: str, kinds, first_event: AuditEvent) -> None:
    lines = []
    for row, from_user in moved:
        assignment = kinds[type(row)]
        was = f" (from {from_user.full_name})" if from_user is not None else ""
        url = assignment.url(row)
        lines.append(f"- {row}: you are now its {assignment.role}{was}." + (f" {url}" if url else ""))
    if followed:
        lines.append(f"- {len(followed)} target(s) on those cases are now yours too.")
    count = len(moved)
    first = moved[0][0]
    notification_queue(
        recipient=to_user,
        subject=f"{count} case{'s' if count != 1 else ''} passed to you",
        body=(
            f"{by.full_name} has passed the following to you.\n\n"
            + "\n".join(lines)
            + f"\n\nReason: {reason}\n\nYour deadlines and reminders for them come to you from now on."
        ),
        link_url=kinds[type(first)].url(first) or "",
        kind="cases.reassign",
        # The first move's audit row belongs to this reassignment alone, so the message is decided exactly once.
        dedupe_key=f"cases.reassign:{first_event.pk}",
    )


def notification_resend(*, by, notification: Notification) -> Notification:
    """Send a notification again through the usual queue, audited.

    One not yet sent (and still being tried) is queued again as it is: the send is idempotent, so it still goes
    once. One already sent, or given up after its last attempt, is copied to a new message, so the original's
    record of what happened stays as it was. Returns the notification that will be sent.

    :raises NotificationCannotResend: when ``by`` is not admin staff.
    """
    from cqcportal.notifications.tasks import notification_send_task

    if not perms.is_admin_staff(by):
        raise NotificationCannotResend("Only admin staff can send a notification again.")
    with transaction.atomic():
        original = Notification.objects.select_for_update().get(pk=notification.pk)
        if original.sent_at is None and original.attempts < MAX_ATTEMPTS:
            queue_after_commit(notification_send_task, notification_id=original.pk)
            outgoing = original
        else:
            earlier = AuditEvent.objects.filter(
                content_type=ContentType.objects.get_for_model(Notification),
                object_id=str(original.pk),
                action=RESEND_ACTION,
            ).count()
            outgoing = Notification.objects.create(
                recipient=original.recipient,
                to_email=original.recipient.email if original.recipient is not None else original.to_email,
                subject=original.subject,
                body=original.body,
                html_body=original.html_body,
                link_url=original.link_url,
                headers=original.headers,
                kind=original.kind,
                dedupe_key=f"resend:{original.pk}:{earlier + 1}",
            )
            queue_after_commit(notification_send_task, notification_id=outgoing.pk)
        audit_event_record(
            by=by,
            subject=original,
            action=RESEND_ACTION,
            reason="Sent again from the back office",
            data={"sent_as": outgoing.pk, "to": outgoing.to_email, "copy": outgoing.pk != original.pk},
        )
    return outgoing
