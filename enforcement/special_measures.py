"""Special measures and escalation: services and selectors.

What starts them is the PUBLISHED overall rating (``PublishedRating`` rows, key question "overall", from assessments
under the single assessment framework), not the outcome recorded when an assessment is completed: until the report
is published the rating can still change (factual accuracy, quality review) and nothing is public. The published
rows also carry later changes to a published report's rating (enforcement limits applied once published), which the
report's own frozen section ratings would not.

- Overall inadequate: the location enters special measures (unless it is in already), with the re-assessment
  deadline (183 calendar days, binding staff).
- Requires improvement in the last two published reports: a task to consider a breach of regulation 17 (good
  governance) and to ask the provider for a written improvement report. In the last three: a management review
  meeting to schedule and record, instead.

``special_measures_check`` runs inside the transaction that publishes the ratings. It is idempotent: a record or
task is tied to the published rating row that raised it (unique in the database), so checking again adds nothing.
A later rating better than inadequate does not take a location out of special measures: staff decide and record the
outcome (improved and left, or a proposal to cancel the registration), since leaving is a judgement on the
re-assessment as a whole. Leaving as improved needs the current published overall rating to be better than
inadequate.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_event_record
from cqcportal.core.public_cache import public_pages_changed
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.rules import RULES, Kind, due_date_for
from cqcportal.deadlines.services import deadline_cancel, deadline_meet, deadline_open
from cqcportal.register.models import KeyQuestion, Location, PublishedRating, PublishedRatingValue
from enforcement.models import (
    EscalationTask,
    EscalationTaskKind,
    EscalationTaskState,
    SpecialMeasures,
    SpecialMeasuresState,
)

INADEQUATE = PublishedRatingValue.INADEQUATE
REQUIRES_IMPROVEMENT = PublishedRatingValue.REQUIRES_IMPROVEMENT
NOTES_MAX_CHARS = 5000


class SpecialMeasuresCannotChange(Exception):
    """The record or task, or the person acting, does not allow this; the message says why in plain words.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class CheckResult:
    """What one check opened: a special measures record and escalation tasks (both empty when nothing was due)."""

    special_measures: SpecialMeasures | None = None
    tasks: list[EscalationTask] = field(default_factory=list)


# Reads.


def overall_history(location_id: int, *, limit: int = 3) -> list[PublishedRating]:
    """The location's published overall ratings from assessments, newest report first, one per report.

    A report whose published rating was later changed (enforcement applied once published) counts once, with its
    latest rating. Ratings imported from the previous assessment model do not count.
    """
    rows = PublishedRating.objects.filter(
        location_id=location_id, key_question=KeyQuestion.OVERALL, source=PublishedRating.Source.ASSESSMENT
    ).order_by("-report_date", "-created_at", "-pk")
    history: list[PublishedRating] = []
    seen: set[str] = set()
    for row in rows:
        key = row.report_link_id or f"row:{row.pk}"
        if key in seen:
            continue
        seen.add(key)
        history.append(row)
        if len(history) == limit:
            break
    return history


def special_measures_open_for(location_id: int) -> SpecialMeasures | None:
    """The location's special measures record while it is in special measures, else None (one query)."""
    return SpecialMeasures.objects.filter(
        location_id=location_id, state=SpecialMeasuresState.IN_SPECIAL_MEASURES
    ).first()


def special_measures_open() -> QuerySet[SpecialMeasures]:
    """Locations in special measures now, the re-assessment due soonest first."""
    return (
        SpecialMeasures.objects.filter(state=SpecialMeasuresState.IN_SPECIAL_MEASURES)
        .select_related("location", "provider")
        .order_by("review_by_date", "pk")
    )


def escalation_tasks_open() -> QuerySet[EscalationTask]:
    """Escalation tasks not yet done, oldest first."""
    return (
        EscalationTask.objects.exclude(state=EscalationTaskState.DONE)
        .select_related("location", "provider")
        .order_by("created_at", "pk")
    )


def special_measures_for_staff(pk: int) -> SpecialMeasures | None:
    """One special measures record with its location, provider, the rating that raised it and who closed it."""
    return (
        SpecialMeasures.objects.select_related("location", "provider", "published_rating", "closed_by")
        .filter(pk=pk)
        .first()
    )


def escalation_task_for_staff(pk: int) -> EscalationTask | None:
    """One escalation task with its location, provider, the rating that raised it and who finished it."""
    return (
        EscalationTask.objects.select_related("location", "provider", "published_rating", "done_by")
        .filter(pk=pk)
        .first()
    )


def current_overall_rating(location_id: int) -> PublishedRating | None:
    """The overall rating on the location's public profile now, or None."""
    return PublishedRating.objects.filter(
        location_id=location_id, key_question=KeyQuestion.OVERALL, is_current=True
    ).first()


def calendar_days_left(due_date: datetime.date, *, today: datetime.date) -> int:
    """Calendar days from today to the due date (the re-assessment rule counts calendar days); negative when late."""
    return (due_date - today).days


# Writes.


def _staff(by) -> None:
    if not perms.is_regulator_staff(by):
        raise SpecialMeasuresCannotChange("Only the regulator's staff can do this.")


def _owner_for(rating: PublishedRating, by):
    """Who the re-assessment target binds: the lead of the assessment behind the report, else whoever published."""
    from factual_accuracy.models import Report

    if rating.report_link_id.isdigit():
        report = Report.objects.select_related("assessment__lead").filter(pk=int(rating.report_link_id)).first()
        if report is not None and report.assessment.lead_id:
            return report.assessment.lead
    return by


def _dated(rows: list[PublishedRating]) -> str:
    dates = [f"{r.report_date:%-d %B %Y}" if r.report_date else "an undated report" for r in reversed(rows)]
    return dates[0] if len(dates) == 1 else ", ".join(dates[:-1]) + " and " + dates[-1]


def special_measures_check(*, location: Location, by, today: datetime.date) -> CheckResult:
    """Open what the location's published overall ratings call for: special measures, or an escalation task.

    Call inside the transaction that publishes or changes the ratings (``report_publish``; enforcement's
    ``published_ratings_refresh`` may call it too). Calling it again for the same ratings opens nothing.
    """
    result = CheckResult()
    with transaction.atomic():
        # Two publications at one location at once would both see "nothing open": take turns.
        locked = Location.objects.select_for_update(of=("self",)).select_related("provider").get(pk=location.pk)
        history = overall_history(locked.pk)
        if not history:
            return result
        latest = history[0]
        if latest.rating == INADEQUATE:
            result.special_measures = _special_measures_enter(locked, rating=latest, by=by, today=today)
        run = 0
        for row in history:
            if row.rating != REQUIRES_IMPROVEMENT:
                break
            run += 1
        if run >= 3:
            kind = EscalationTaskKind.MANAGEMENT_REVIEW_MEETING
            reason = f"Rated requires improvement overall at three assessments in a row: reports of {_dated(history)}."
        elif run == 2:
            kind = EscalationTaskKind.CONSIDER_REGULATION_17
            reason = (
                f"Rated requires improvement overall at two assessments in a row: reports of {_dated(history[:2])}. "
                "Consider a breach of regulation 17 (good governance) and ask the provider for a written report "
                "of how they will improve."
            )
        else:
            return result
        task = _escalation_task_open(locked, kind=kind, rating=latest, reason=reason, by=by)
        if task is not None:
            result.tasks.append(task)
    return result


def _special_measures_enter(location: Location, *, rating: PublishedRating, by, today: datetime.date):
    if SpecialMeasures.objects.filter(location=location, state=SpecialMeasuresState.IN_SPECIAL_MEASURES).exists():
        return None  # already in: a further inadequate rating is for staff to weigh, not a second record
    if SpecialMeasures.objects.filter(published_rating=rating).exists():
        return None  # this rating put it in before, and staff have since closed that record
    published = rating.report_date or today
    record = SpecialMeasures(
        location=location,
        provider=location.provider,
        published_rating=rating,
        reason=f"Rated inadequate overall in the report published {published:%-d %B %Y}.",
        entered_date=today,
        # Calendar days, so no bank holidays: the deadline opened below works out the same date.
        review_by_date=due_date_for(RULES[Kind.SPECIAL_MEASURES_REASSESSMENT], today),
    )
    record.full_clean(exclude=["state"])  # the FSM field is protected; its value is the default
    record.save()
    deadline = deadline_open(
        case=record,
        kind=Kind.SPECIAL_MEASURES_REASSESSMENT,
        start_date=today,
        case_description=f"Re-assess {location.name} (in special measures)",
        case_url=reverse("special_measures:detail", args=[record.pk]),
        location=location,
        owner=_owner_for(rating, by),
        by=by,
    )
    audit_event_record(
        by=by,
        subject=record,
        action="special_measures.enter",
        to_state=record.state,
        reason=record.reason,
        provider=location.provider,
        data={"published_rating": rating.pk, "report": rating.report_link_id, "review_by": f"{deadline.due_date}"},
    )
    public_pages_changed()  # the profile says the location is in special measures
    return record


def _escalation_task_open(location: Location, *, kind: str, rating: PublishedRating, reason: str, by):
    if EscalationTask.objects.filter(location=location, kind=kind).exclude(state=EscalationTaskState.DONE).exists():
        return None
    if EscalationTask.objects.filter(kind=kind, published_rating=rating).exists():
        return None
    task = EscalationTask(
        location=location, provider=location.provider, kind=kind, published_rating=rating, reason=reason
    )
    task.full_clean(exclude=["state"])
    task.save()
    audit_event_record(
        by=by,
        subject=task,
        action="escalation_task.open",
        to_state=task.state,
        reason=reason,
        provider=location.provider,
        data={"kind": kind, "published_rating": rating.pk, "report": rating.report_link_id},
    )
    return task


def _locked_record(record: SpecialMeasures) -> SpecialMeasures:
    return SpecialMeasures.objects.select_for_update(of=("self",)).select_related("location").get(pk=record.pk)


def _notes(text: str, *, what: str, field_name: str) -> str:
    text = text.strip()
    if not text:
        raise SpecialMeasuresCannotChange(f"Enter {what}.", field=field_name)
    if len(text) > NOTES_MAX_CHARS:
        raise SpecialMeasuresCannotChange(
            f"{what.capitalize()} must be {NOTES_MAX_CHARS} characters or fewer.", field=field_name
        )
    return text


def _close(record: SpecialMeasures, *, by, outcome: str, transition: str, action: str) -> SpecialMeasures:
    _staff(by)
    outcome = _notes(outcome, what="the outcome", field_name="outcome")
    now = timezone.now()
    with transaction.atomic():
        locked = _locked_record(record)
        method = getattr(locked, transition)
        if not can_proceed(method):
            raise SpecialMeasuresCannotChange(
                f"This location has already left special measures ({locked.get_state_display().lower()})."
            )
        if transition == "leave_improved":
            current = current_overall_rating(locked.location_id)
            if current is None or current.rating == INADEQUATE:
                raise SpecialMeasuresCannotChange(
                    "The published overall rating is still inadequate: publish the report of the re-assessment "
                    "first, or record a proposal to cancel the registration.",
                    field="choice",
                )
        before = locked.state
        method(outcome=outcome, by=by, at=now)
        locked.save()
        audit_event_record(
            by=by, subject=locked, action=action, from_state=before, to_state=locked.state, reason=outcome
        )
        public_pages_changed()
        deadline = deadline_selectors.live_deadline_for(locked, Kind.SPECIAL_MEASURES_REASSESSMENT)
        if deadline is not None and transition == "leave_improved":
            deadline_meet(deadline=deadline, by=by, at=now)
        elif deadline is not None:
            deadline_cancel(deadline=deadline, by=by, reason="A proposal to cancel the registration was recorded.")
    return locked


def special_measures_leave(*, by, record: SpecialMeasures, outcome: str) -> SpecialMeasures:
    """Record that the location improved and leaves special measures; its re-assessment target is met.

    :raises SpecialMeasuresCannotChange: when the person is not staff, there is no outcome, the record is closed,
        or the published overall rating is still inadequate.
    """
    return _close(record, by=by, outcome=outcome, transition="leave_improved", action="special_measures.leave")


def special_measures_propose_cancellation(*, by, record: SpecialMeasures, outcome: str) -> SpecialMeasures:
    """Record that we propose to cancel the registration (the notice itself is an enforcement action); the
    re-assessment target is cancelled.

    :raises SpecialMeasuresCannotChange: when the person is not staff, there is no outcome, or the record is closed.
    """
    return _close(
        record,
        by=by,
        outcome=outcome,
        transition="propose_cancellation",
        action="special_measures.propose_cancellation",
    )


def _locked_task(task: EscalationTask) -> EscalationTask:
    return EscalationTask.objects.select_for_update(of=("self",)).select_related("location").get(pk=task.pk)


def _task_move(
    task: EscalationTask, *, by, transition: str, action: str, reason: str, refusal: str, arguments: dict
) -> EscalationTask:
    with transaction.atomic():
        locked = _locked_task(task)
        method = getattr(locked, transition)
        if not can_proceed(method):
            raise SpecialMeasuresCannotChange(refusal)
        before = locked.state
        method(**arguments)
        locked.save()
        audit_event_record(
            by=by, subject=locked, action=action, from_state=before, to_state=locked.state, reason=reason
        )
    return locked


def escalation_task_complete(*, by, task: EscalationTask, notes: str) -> EscalationTask:
    """Finish a regulation 17 task with what was decided about the breach and the provider's improvement report.

    :raises SpecialMeasuresCannotChange: when the person is not staff, there are no notes, or the task is done or is
        a meeting (meetings are recorded instead).
    """
    _staff(by)
    notes = _notes(notes, what="what was decided", field_name="notes")
    return _task_move(
        task,
        by=by,
        transition="complete",
        action="escalation_task.complete",
        reason=notes,
        refusal="This task is done already, or is a meeting to record.",
        arguments={"notes": notes, "by": by, "at": timezone.now()},
    )


def escalation_task_meeting_schedule(
    *, by, task: EscalationTask, meeting_date: datetime.date, today: datetime.date
) -> EscalationTask:
    """Schedule (or move) the management review meeting.

    :raises SpecialMeasuresCannotChange: when the person is not staff, the date has passed, or the task is done or
        is not a meeting.
    """
    _staff(by)
    if meeting_date < today:
        raise SpecialMeasuresCannotChange("The date of the meeting must be today or in the future.", field="day")
    return _task_move(
        task,
        by=by,
        transition="schedule_meeting",
        action="escalation_task.schedule_meeting",
        reason=f"Meeting on {meeting_date:%-d %B %Y}",
        refusal="This task is done already, or is not a meeting.",
        arguments={"on": meeting_date},
    )


def escalation_task_meeting_record(*, by, task: EscalationTask, notes: str) -> EscalationTask:
    """Record what the management review meeting decided; the task is done.

    :raises SpecialMeasuresCannotChange: when the person is not staff, there are no notes, or the meeting is not
        scheduled (or was recorded already).
    """
    _staff(by)
    notes = _notes(notes, what="what the meeting decided", field_name="notes")
    return _task_move(
        task,
        by=by,
        transition="record_meeting",
        action="escalation_task.record_meeting",
        reason=notes,
        refusal="Schedule the meeting first; a meeting is recorded once.",
        arguments={"notes": notes, "by": by, "at": timezone.now()},
    )
