"""Writes for deadlines: open, meet, pause, resume, extend, cancel, recalculate, and the sweep.

The sweep is state-based: it reads only the database (``next_action_at`` on open deadlines, and the
``DeadlineStep`` ledger), so after any outage it catches up on everything due, once. Each deadline
is processed in its own transaction under a row lock (skip-locked, so two workers share the work),
and every reminder, close and escalation is a unique ledger row written in that transaction with the
notifications it decided. A worker killed mid-sweep loses nothing that committed and repeats
nothing that did (docs/adr/0006-the-clock.md).
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from cqcportal import workdays
from cqcportal.audit.services import audit_event_record
from cqcportal.deadlines import selectors
from cqcportal.deadlines.models import (
    LIVE_STATES,
    Deadline,
    DeadlineExtension,
    DeadlinePause,
    DeadlineState,
    DeadlineStep,
    ExtraHoliday,
)
from cqcportal.deadlines.rules import (
    RULES,
    Binds,
    Kind,
    Rule,
    days_between,
    due_date_for,
    explain,
    planned_steps,
)
from cqcportal.notifications.services import notification_queue

logger = logging.getLogger(__name__)


class DeadlineCannotChange(Exception):
    """The deadline is not in a state that allows this (e.g. extending one that is already met)."""


def _next_action_at(deadline: Deadline, rule: Rule, holidays: frozenset, done: set[str]) -> datetime.datetime | None:
    pending = [at for name, at in planned_steps(rule, deadline.due_date, extra_holidays=holidays) if name not in done]
    return min(pending) if pending else None


def _apply_due_date(deadline: Deadline, rule: Rule, holidays: frozenset) -> None:
    deadline.due_date = due_date_for(
        rule, deadline.start_date, extra_days=deadline.paused_days + deadline.extension_days, extra_holidays=holidays
    )
    deadline.due_at = workdays.deadline_end_of_day(deadline.due_date)
    deadline.explanation = explain(
        rule,
        deadline.start_date,
        paused_days=deadline.paused_days,
        extension_days=deadline.extension_days,
        extra_holidays=holidays,
    )


def _done_steps(deadline: Deadline) -> set[str]:
    return set(
        DeadlineStep.objects.filter(deadline=deadline, due_date=deadline.due_date).values_list("step", flat=True)
    )


def _refresh_next_action(deadline: Deadline, rule: Rule, holidays: frozenset) -> None:
    if deadline.state == DeadlineState.OPEN:
        deadline.next_action_at = _next_action_at(deadline, rule, holidays, _done_steps(deadline))
    else:
        deadline.next_action_at = None


def deadline_open(
    *,
    case,
    kind: Kind,
    start_date: datetime.date,
    case_description: str,
    case_url: str = "",
    provider=None,
    location=None,
    owner=None,
    by=None,
) -> Deadline:
    """Open the window or target of ``kind`` on ``case``, due by the rule counted from ``start_date``.

    Call inside the transaction that creates or moves the case.
    :raises IntegrityError: when the case already has a live deadline of that kind.
    """
    rule = RULES[Kind(kind)]
    holidays = selectors.extra_holidays()
    deadline = Deadline(
        kind=rule.kind.value,
        binds=rule.binds.value,
        unit=rule.unit.value,
        rule_days=rule.days,
        content_type=ContentType.objects.get_for_model(case),
        object_id=str(case.pk),
        case_description=case_description[:300],
        case_url=case_url,
        provider=provider if provider is not None else getattr(location, "provider", None),
        location=location,
        owner=owner,
        team=getattr(owner, "team", None),
        start_date=start_date,
    )
    _apply_due_date(deadline, rule, holidays)
    deadline.original_due_date = deadline.due_date
    deadline.next_action_at = _next_action_at(deadline, rule, holidays, set())
    # The FSM field is protected: full_clean would assign it; its value is the default anyway.
    deadline.full_clean(exclude=["content_type", "state"])
    deadline.save()
    audit_event_record(
        by=by,
        subject=deadline,
        action="deadline.open",
        to_state=DeadlineState.OPEN,
        reason=deadline.explanation,
        provider=deadline.provider,
        data={"kind": deadline.kind, "due_date": deadline.due_date.isoformat(), "case": deadline.case_description},
    )
    return deadline


def _locked(deadline: Deadline) -> Deadline:
    return (
        Deadline.objects.select_for_update(of=("self",)).select_related("team__operations_manager").get(pk=deadline.pk)
    )


def deadline_meet(*, deadline: Deadline, by=None, on_behalf_of=None, at: datetime.datetime | None = None) -> Deadline:
    """Close a live deadline as met (the provider responded, staff decided); a second call changes nothing."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked(deadline)
        if locked.state not in LIVE_STATES:
            return locked
        before = locked.state
        locked.meet(at=at)
        locked.save()
        audit_event_record(
            by=by,
            on_behalf_of=on_behalf_of,
            subject=locked,
            action="deadline.met",
            from_state=before,
            to_state=locked.state,
            reason="on time" if locked.met_on_time else "late",
            provider=locked.provider,
        )
    return locked


def deadline_pause(*, deadline: Deadline, by, reason: str, today: datetime.date) -> Deadline:
    """Stop the clock from today; the days until it resumes are added back to the window.

    :raises DeadlineCannotChange: when the deadline is not open.
    """
    with transaction.atomic():
        locked = _locked(deadline)
        if not can_proceed(locked.pause):
            raise DeadlineCannotChange(
                f"Only an open deadline can be paused; this one is {locked.get_state_display().lower()}."
            )
        locked.pause(on=today)
        locked.next_action_at = None
        locked.save()
        DeadlinePause.objects.create(deadline=locked, paused_on=today, reason=reason, paused_by=by)
        audit_event_record(
            by=by,
            subject=locked,
            action="deadline.pause",
            from_state="open",
            to_state="paused",
            reason=reason,
            provider=locked.provider,
        )
        _notify_bound(
            locked,
            step=f"paused:{today.isoformat()}",
            subject_prefix="Paused",
            today=today,
            message=f"The clock has stopped from {today:%-d %B %Y}: {reason}",
        )
    return locked


def deadline_resume(*, deadline: Deadline, by, today: datetime.date) -> Deadline:
    """Restart the clock; the days it was paused are added back and the new due date is told to those bound.

    :raises DeadlineCannotChange: when the deadline is not paused.
    """
    holidays = selectors.extra_holidays()
    with transaction.atomic():
        locked = _locked(deadline)
        if not can_proceed(locked.resume):
            raise DeadlineCannotChange("Only a paused deadline can be resumed.")
        rule = RULES[Kind(locked.kind)]
        pause = locked.pauses.filter(resumed_on__isnull=True).order_by("-pk").first()
        added = days_between(rule, locked.paused_on, today, extra_holidays=holidays)
        old_due = locked.due_date
        locked.resume()
        locked.paused_days += added
        _apply_due_date(locked, rule, holidays)
        _refresh_next_action(locked, rule, holidays)
        locked.save()
        if pause is not None:
            pause.resumed_on, pause.days_added, pause.resumed_by = today, added, by
            pause.save(update_fields=["resumed_on", "days_added", "resumed_by"])
        audit_event_record(
            by=by,
            subject=locked,
            action="deadline.resume",
            from_state="paused",
            to_state="open",
            reason=f"{added} day(s) added back; due {old_due:%-d %B %Y} → {locked.due_date:%-d %B %Y}",
            provider=locked.provider,
        )
        _notify_bound(
            locked,
            step=f"resumed:{today.isoformat()}",
            subject_prefix="Clock restarted",
            today=today,
            message=f"The clock has restarted. The new due date is {locked.due_date:%A %-d %B %Y}.",
        )
    return locked


def deadline_extend(
    *, deadline: Deadline, by, new_due_date: datetime.date, reason: str, today: datetime.date
) -> Deadline:
    """Move a live deadline to a later date; both dates are kept, with who and why.

    :raises DeadlineCannotChange: when it is closed, or the new date is not later, or no reason is given.
    """
    holidays = selectors.extra_holidays()
    if not reason.strip():
        raise DeadlineCannotChange("Give the reason for the extension.")
    with transaction.atomic():
        locked = _locked(deadline)
        if locked.state not in LIVE_STATES:
            raise DeadlineCannotChange(f"This deadline is {locked.get_state_display().lower()}; it cannot be extended.")
        if new_due_date <= locked.due_date:
            raise DeadlineCannotChange(f"The new date must be after {locked.due_date:%-d %B %Y}.")
        rule = RULES[Kind(locked.kind)]
        if rule.unit.value == "working_days" and not workdays.is_working_day(new_due_date, extra_holidays=holidays):
            raise DeadlineCannotChange("The new date must be a working day.")
        added = days_between(rule, locked.due_date, new_due_date, extra_holidays=holidays)
        old_due = locked.due_date
        locked.extension_days += added
        _apply_due_date(locked, rule, holidays)
        _refresh_next_action(locked, rule, holidays)
        locked.save()
        DeadlineExtension.objects.create(
            deadline=locked,
            from_due_date=old_due,
            to_due_date=locked.due_date,
            days=added,
            reason=reason,
            extended_by=by,
        )
        _record_due_date_move(
            locked,
            old_due,
            by=by,
            action="deadline.extend",
            reason=reason,
            today=today,
            subject_prefix="Deadline extended",
            message_lead="",
            message_tail=f" Reason: {reason}",
        )
    return locked


def deadline_cancel(*, deadline: Deadline, by, reason: str) -> Deadline:
    """Close a live deadline without meeting it (the case was withdrawn); a second call changes nothing."""
    with transaction.atomic():
        locked = _locked(deadline)
        if locked.state not in LIVE_STATES:
            return locked
        before = locked.state
        locked.cancel(at=timezone.now())
        locked.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="deadline.cancel",
            from_state=before,
            to_state=locked.state,
            reason=reason,
            provider=locked.provider,
        )
    return locked


def extra_holiday_add(*, by, date: datetime.date, name: str, today: datetime.date) -> tuple[ExtraHoliday, int]:
    """Add a one-off bank holiday and move every live working-day deadline it falls inside; returns how many moved."""
    with transaction.atomic():
        holiday = ExtraHoliday.objects.create(date=date, name=name, created_by=by)
        audit_event_record(by=by, subject=holiday, action="holiday.add", reason=name)
        moved = deadlines_recalculate(by=by, reason=f"New bank holiday: {name} ({date:%-d %B %Y})", today=today)
    return holiday, moved


def deadlines_recalculate(*, by, reason: str, today: datetime.date) -> int:
    """Work out every live working-day deadline again with the current holidays; tell those bound of any new date."""
    holidays = selectors.extra_holidays()
    moved = 0
    with transaction.atomic():
        candidates = (
            Deadline.objects.select_for_update(of=("self",))
            .select_related("provider", "owner")
            .filter(state__in=LIVE_STATES, unit="working_days", due_date__gte=today)
            .order_by("pk")
        )
        changed = []
        for deadline in candidates.iterator(chunk_size=2000):
            rule = RULES[Kind(deadline.kind)]
            old_due = deadline.due_date
            _apply_due_date(deadline, rule, holidays)
            if deadline.due_date == old_due:
                continue
            _refresh_next_action(deadline, rule, holidays)
            changed.append(deadline)
            _record_due_date_move(
                deadline,
                old_due,
                by=by,
                action="deadline.recalculate",
                reason=reason,
                today=today,
                subject_prefix="New due date",
                message_lead=f"{reason}. ",
                message_tail="",
            )
        now = timezone.now()
        for deadline in changed:
            deadline.updated_at = now
        Deadline.objects.bulk_update(
            changed, ["due_date", "due_at", "explanation", "next_action_at", "updated_at"], batch_size=1000
        )
        moved = len(changed)
    return moved


def _record_due_date_move(
    deadline: Deadline,
    old_due: datetime.date,
    *,
    by,
    action: str,
    reason: str,
    today: datetime.date,
    subject_prefix: str,
    message_lead: str,
    message_tail: str,
) -> None:
    """Audit a moved due date and tell the people the deadline binds (extension, new holiday)."""
    audit_event_record(
        by=by,
        subject=deadline,
        action=action,
        from_state=deadline.state,
        to_state=deadline.state,
        reason=reason,
        provider=deadline.provider,
        data={"from_due_date": old_due.isoformat(), "to_due_date": deadline.due_date.isoformat()},
    )
    _notify_bound(
        deadline,
        step=f"{action.split('.')[-1]}:{deadline.due_date.isoformat()}",
        today=today,
        subject_prefix=subject_prefix,
        message=f"{message_lead}The due date has moved from {old_due:%-d %B %Y} to "
        f"{deadline.due_date:%A %-d %B %Y}.{message_tail}",
    )


# --- notifications -----------------------------------------------------------------------------------


def _recipients(deadline: Deadline, today: datetime.date) -> list:
    if deadline.binds == Binds.PROVIDER and deadline.provider_id:
        return selectors.provider_contacts(
            provider_id=deadline.provider_id, location_id=deadline.location_id, today=today
        )
    return [deadline.owner] if deadline.owner_id else []


def deadline_message(deadline, *, headline: str, extra: str = "") -> str:
    """The plain-text message about a deadline: the news, the case, the due date and how it was worked out."""
    rule = RULES[Kind(deadline.kind)]
    lines = [
        headline,
        "",
        f"{rule.label}: {deadline.case_description}",
        f"Due: {deadline.due_date:%A %-d %B %Y} (by the end of the day)",
    ]
    if extra:
        lines += ["", extra]
    lines += ["", "How this date was worked out:", deadline.explanation]
    return "\n".join(lines)


def _notify(deadline: Deadline, people, *, step: str, subject: str, headline: str, extra: str = "", kind: str) -> int:
    text = deadline_message(deadline, headline=headline, extra=extra)
    for person in people:
        notification_queue(
            recipient=person,
            subject=subject,
            body=text,
            link_url=deadline.case_url,
            kind=kind,
            dedupe_key=f"deadline:{deadline.pk}:{step}:{deadline.due_date.isoformat()}:{person.pk}",
        )
    return len(people)


def _notify_bound(deadline: Deadline, *, step: str, subject_prefix: str, message: str, today: datetime.date) -> None:
    rule = RULES[Kind(deadline.kind)]
    _notify(
        deadline,
        _recipients(deadline, today),
        step=step,
        subject=f"{subject_prefix}: {rule.label.lower()} – {deadline.case_description}",
        headline=message,
        kind="deadline.changed",
    )
