"""The sweep: every reminder, close and escalation that is due, set-based, exactly once (docs/adr/0006-the-clock.md,
docs/adr/0013-national-scale.md).

It reads only the database (``next_action_at`` on open deadlines, and the ``DeadlineStep`` ledger), so after any
outage it catches up on everything due, once. It claims due deadlines a batch at a time (``FOR UPDATE SKIP
LOCKED``: several workers share the work, and a deadline someone is acting on is left alone), decides for each row
with the pure rules what is due, and writes the batch's ledger rows, notifications, audit events, the flows'
transitions and the deadlines' new states with a handful of set-based statements in one transaction. A worker killed
mid-sweep loses nothing that committed and repeats nothing that did.

The batch never waits for a lock. A deadline whose case is locked by someone acting on it (a provider sending at
the last moment), or whose batch failed, is done at the end on its own: it takes its case's lock and then the
deadline's, waiting for each, in the order every service takes them, so the two cannot deadlock.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from cqcportal.accounts.models import StaffRole, User
from cqcportal.audit.services import audit_event_build, audit_events_record_many
from cqcportal.core.bulk import insert_rows
from cqcportal.core.compiled import matches_any
from cqcportal.core.transitions import transition_many
from cqcportal.deadlines import selectors
from cqcportal.deadlines.models import Deadline, DeadlineState, DeadlineStep
from cqcportal.deadlines.registry import has_expiry_handler, run_expiry_handlers
from cqcportal.deadlines.rules import LONDON, RULES, Binds, planned_steps
from cqcportal.deadlines.services import deadline_message
from cqcportal.notifications.services import NotificationDraft, notification_body, notifications_queue_many

logger = logging.getLogger(__name__)


class Due(NamedTuple):
    """A claimed deadline: the columns the sweep reads (handlers use ``pk``, ``kind``, ``object_id``, ``due_date``)."""

    pk: int
    kind: str
    binds: str
    due_date: datetime.date
    case_description: str
    case_url: str
    explanation: str
    content_type_id: int
    object_id: str
    provider_id: int | None
    location_id: int | None
    owner_id: int | None
    owner_email: str | None
    owner_name: str | None
    manager_id: int | None
    manager_email: str | None
    manager_active: bool | None


_CLAIMED = (
    "pk",
    "kind",
    "binds",
    "due_date",
    "case_description",
    "case_url",
    "explanation",
    "content_type_id",
    "object_id",
    "provider_id",
    "location_id",
    "owner_id",
    "owner__email",
    "owner__full_name",
    "team__operations_manager_id",
    "team__operations_manager__email",
    "team__operations_manager__is_active",
)


@dataclass
class SweepResult:
    processed: int = 0
    reminders: int = 0
    closed: int = 0
    escalated: int = 0
    notifications: int = 0
    failed: list[int] = field(default_factory=list)

    def add(self, other: SweepResult) -> None:
        self.processed += other.processed
        self.reminders += other.reminders
        self.closed += other.closed
        self.escalated += other.escalated
        self.notifications += other.notifications
        self.failed += other.failed


@dataclass
class _Sweep:
    """What every batch of one sweep shares: the time, the extra holidays, and the look-ups done once."""

    now: datetime.datetime
    holidays: frozenset
    _managers: list | None = None
    _contacts: dict = field(default_factory=dict)  # (provider, location) -> contacts, for the whole sweep

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone(LONDON).date()

    def every_operations_manager(self) -> list[tuple[int, str]]:
        if self._managers is None:
            self._managers = list(
                User.objects.filter(is_active=True, groups__name=str(StaffRole.OPERATIONS_MANAGER))
                .order_by("pk")
                .distinct()
                .values_list("pk", "email")
            )
        return self._managers


def deadlines_sweep(
    *, now: datetime.datetime | None = None, batch_size: int | None = None, max_items: int = 1_000_000
) -> SweepResult:
    """Do everything due by ``now``: reminders, closing windows (with the flows' transitions) and escalations.

    Safe to run at any time, as often as wanted, in several workers at once: what is done is recorded
    once, what is not is found again by the next run.
    """
    sweep = _Sweep(now=now or timezone.now(), holidays=selectors.extra_holidays())
    batch_size = batch_size or settings.DEADLINE_SWEEP_BATCH_SIZE
    result = SweepResult()
    one_at_a_time: list[int] = []
    while result.processed + len(one_at_a_time) < max_items:
        claimed: list[Due] = []
        try:
            with transaction.atomic():
                claimed = _claim(sweep.now, limit=batch_size, exclude=one_at_a_time)
                if not claimed:
                    break
                batch, busy = _sweep_batch(claimed, sweep, wait_for_cases=False)
        except Exception:
            if not claimed:
                raise  # the claim itself failed (the database is unreachable): nothing was done
            logger.exception(
                "The sweep could not do a batch of %s deadlines; it does them one at a time.", len(claimed)
            )
            one_at_a_time += [row.pk for row in claimed]
            continue
        result.add(batch)
        one_at_a_time += busy
    for pk in one_at_a_time:
        try:
            with transaction.atomic():
                batch = _sweep_one(pk, sweep)
        except Exception:
            logger.exception("The sweep could not process deadline %s; it will be tried again.", pk)
            result.failed.append(pk)
        else:
            result.add(batch)
    return result


def _claim(now: datetime.datetime, *, limit: int, exclude=(), pk: int | None = None, wait: bool = False) -> list[Due]:
    rows = Deadline.objects.filter(state=DeadlineState.OPEN, next_action_at__lte=now)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if exclude:
        rows = rows.exclude(pk__in=exclude)
    skip_locked = not wait and connection.features.has_select_for_update_skip_locked
    rows = rows.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("next_action_at", "pk")
    return [Due(*row) for row in rows.values_list(*_CLAIMED)[:limit]]


def _sweep_one(pk: int, sweep: _Sweep) -> SweepResult:
    """One deadline on its own: its case's lock, then its own, waiting for each (the order services take them)."""
    found = Deadline.objects.filter(pk=pk).values_list("content_type_id", "object_id", "kind").first()
    if found is None:
        return SweepResult()
    content_type_id, object_id, kind = found
    if has_expiry_handler(kind):
        case_model = ContentType.objects.get_for_id(content_type_id).model_class()
        list(case_model._default_manager.select_for_update().filter(pk=object_id).values_list("pk"))
    claimed = _claim(sweep.now, limit=1, pk=pk, wait=True)
    if not claimed:
        return SweepResult()  # met, moved or done meanwhile
    batch, _ = _sweep_batch(claimed, sweep, wait_for_cases=True)
    return batch


def _done_steps(rows: list[Due]) -> dict[int, set[str]]:
    """The ledger: the steps already done for each row's current due date."""
    due_dates = {row.pk: row.due_date for row in rows}
    done: dict[int, set[str]] = {}
    for deadline_id, step, due_date in DeadlineStep.objects.filter(
        matches_any(DeadlineStep, "deadline", due_dates)
    ).values_list("deadline_id", "step", "due_date"):
        if due_dates[deadline_id] == due_date:
            done.setdefault(deadline_id, set()).add(step)
    return done


def _busy_cases(rows: list[Due], *, wait: bool) -> set[int]:
    """Lock the cases of closing deadlines whose flow acts on them; the deadlines whose case another holds."""
    by_type: dict[int, list[Due]] = {}
    for row in rows:
        if has_expiry_handler(row.kind):
            by_type.setdefault(row.content_type_id, []).append(row)
    busy = set()
    for content_type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        skip_locked = not wait and connection.features.has_select_for_update_skip_locked
        locked = {
            str(pk)
            for pk in model._default_manager.select_for_update(skip_locked=skip_locked, of=("self",))
            .filter(matches_any(model, model._meta.pk.name, [model._meta.pk.to_python(row.object_id) for row in group]))
            .values_list("pk", flat=True)
        }
        if not wait:
            busy |= {row.pk for row in group if row.object_id not in locked}
    return busy


def _sweep_batch(rows: list[Due], sweep: _Sweep, *, wait_for_cases: bool) -> tuple[SweepResult, list[int]]:
    """Everything due for the claimed rows, set-based; returns what was done and the rows left for later (busy)."""
    now, result = sweep.now, SweepResult()
    done = _done_steps(rows)
    plans: dict[int, tuple] = {}  # pk -> (planned steps, names due now)
    reminders, closes, idle = [], [], []
    for row in rows:
        steps = planned_steps(RULES[row.kind], row.due_date, extra_holidays=sweep.holidays)
        finished = done.get(row.pk, ())
        names = [name for name, at in steps if at <= now and name not in finished]
        plans[row.pk] = (steps, names)
        if "close" in names:
            closes.append(row)
        elif names:
            reminders.append(row)
        else:
            idle.append(row)  # moved on since it was planned (e.g. a step done by an earlier run): reschedule
    busy = _busy_cases(closes, wait=wait_for_cases)
    if busy:
        closes = [row for row in closes if row.pk not in busy]

    # The ledger: the step acted on, and the earlier ones an outage made pointless, recorded as passed over. After
    # an outage only the nearest reminder goes out; once the window has closed, none does.
    ledger = []
    for row in reminders + closes:
        names = plans[row.pk][1]
        acted = "close" if "close" in names else names[-1]
        ledger += [(row.pk, name, row.due_date, now, name != acted) for name in names]

    drafts: list[NotificationDraft] = []
    contacts = _provider_contacts([row for row in reminders + closes if row.binds == Binds.PROVIDER], sweep)

    for row in reminders:
        rule, step = RULES[row.kind], plans[row.pk][1][-1]
        days_left = step.split(":", 1)[1]
        drafts += _drafts(
            row,
            _bound(row, contacts),
            step=step,
            kind="deadline.reminder",
            subject=f"Reminder: {rule.label.lower()} due {row.due_date:%-d %B %Y} – {row.case_description}",
            headline=f"{days_left} working day{'s' if days_left != '1' else ''} left: this is due on "
            f"{row.due_date:%A %-d %B %Y}.",
        )
    result.reminders = len(reminders)

    # Closing: the flows move their cases first (e.g. an information request closes "no response"), then every
    # deadline their handler did not close itself is missed, audited, told and, for a staff target, escalated.
    closed_by_flow = run_expiry_handlers(deadlines=closes, now=now)
    if closed_by_flow:
        closed_by_flow = set(
            Deadline.objects.filter(matches_any(Deadline, "id", closed_by_flow))
            .exclude(state=DeadlineState.OPEN)
            .values_list("pk", flat=True)
        )
        Deadline.objects.filter(matches_any(Deadline, "id", closed_by_flow)).update(next_action_at=None)
    missed = [row for row in closes if row.pk not in closed_by_flow]
    moved = transition_many(
        [
            Deadline(
                pk=row.pk,
                kind=row.kind,
                case_description=row.case_description,
                due_date=row.due_date,
                provider_id=row.provider_id,
            )
            for row in missed
        ],
        transition="miss",
        fields=["state", "closed_at", "met_on_time"],
        also={"next_action_at": None, "updated_at": now},
        at=now,
    )
    occurred_at = timezone.now()
    audit_events_record_many(
        [
            audit_event_build(
                by=None,
                subject=deadline,
                action="deadline.missed",
                from_state="open",
                to_state="missed",
                reason=f"Due {deadline.due_date:%-d %B %Y}; the sweep closed it at {now:%Y-%m-%d %H:%M %Z}.",
                occurred_at=occurred_at,
            )
            for deadline in moved
        ]
    )
    for row in missed:
        rule = RULES[row.kind]
        people = _bound(row, contacts)
        if row.binds == Binds.PROVIDER and row.owner_id:
            people = [*people, (row.owner_id, row.owner_email)]
        drafts += _drafts(
            row,
            people,
            step="close",
            kind="deadline.closed",
            subject=f"Closed: {rule.label.lower()} – {row.case_description}",
            headline=f"The deadline of {row.due_date:%A %-d %B %Y} has passed without a response.",
        )
        if rule.escalate_when_missed and "escalate" not in done.get(row.pk, ()):
            ledger.append((row.pk, "escalate", row.due_date, now, False))
            drafts += _drafts(
                row,
                _escalation_contacts(row, sweep),
                step="escalate",
                kind="deadline.escalation",
                subject=f"Missed target: {rule.label.lower()} – {row.case_description}",
                headline=f"A target held by {row.owner_name or 'no one'} was missed on {row.due_date:%-d %B %Y} "
                "and needs your attention.",
            )
            result.escalated += 1
    result.closed = len(missed)

    insert_rows(DeadlineStep, ["deadline_id", "step", "due_date", "done_at", "skipped"], ledger)
    notifications_queue_many(drafts)
    result.notifications = len(drafts)

    # The next action of every deadline still open: its earliest step not yet done.
    next_at: dict[datetime.datetime | None, list[int]] = {}
    for row in reminders + idle:
        steps, names = plans[row.pk]
        finished = done.get(row.pk, set()) | set(names)
        pending = [at for name, at in steps if name not in finished]
        next_at.setdefault(min(pending) if pending else None, []).append(row.pk)
    for value, pks in next_at.items():
        Deadline.objects.filter(matches_any(Deadline, "id", pks)).update(next_action_at=value, updated_at=now)

    result.processed = len(reminders) + len(closes) + len(idle)
    return result, sorted(busy)


def _provider_contacts(rows: list[Due], sweep: _Sweep) -> dict:
    """The contacts of the rows' (provider, location) pairs; each pair is looked up once per sweep."""
    missing = {(row.provider_id, row.location_id) for row in rows if row.provider_id} - sweep._contacts.keys()
    if missing:
        sweep._contacts.update(selectors.provider_contacts_many(keys=missing, today=sweep.today))
    return sweep._contacts


def _bound(row: Due, contacts: dict) -> list[tuple[int, str]]:
    """The people the deadline binds, as (id, e-mail): the provider's registered persons and delegates, or the
    member of staff who owns a target."""
    if row.binds == Binds.PROVIDER and row.provider_id:
        return [(person.pk, person.email) for person in contacts[(row.provider_id, row.location_id)]]
    return [(row.owner_id, row.owner_email)] if row.owner_id else []


def _escalation_contacts(row: Due, sweep: _Sweep) -> list[tuple[int, str]]:
    """Who hears of a missed staff target: the team's operations manager, else every operations manager."""
    if row.manager_id and row.manager_active:
        return [(row.manager_id, row.manager_email)]
    return sweep.every_operations_manager()


def _drafts(row: Due, people, *, step: str, kind: str, subject: str, headline: str) -> list[NotificationDraft]:
    body = notification_body(deadline_message(row, headline=headline), row.case_url)
    key = f"deadline:{row.pk}:{step}:{row.due_date.isoformat()}"
    return [
        NotificationDraft(person_id, email, subject, body, row.case_url, kind, f"{key}:{person_id}")
        for person_id, email in people
    ]
