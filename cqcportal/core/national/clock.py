"""Deadlines for the generated cases, worked out with the portal's own rules and left as the sweep would leave them.

Every window and target is opened with the case that opens it (``Clock.open``) and closed when the case's story
says so (met, cancelled or paused). Due dates and their explanations come from ``cqcportal/deadlines/rules.py``;
the reminders, the close and the escalation of each deadline are the clock's own planned steps
(``rules.planned_steps``), so ``next_action_at`` is what ``deadline_open`` and the sweep would have set. Steps whose
time had come before ``now`` are in the ledger (``DeadlineStep``) as the sweep, running every minute, would have
written them; a deadline whose due day has passed without being met was closed as missed by the sweep.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from cqcportal import workdays
from cqcportal.deadlines.models import Deadline, DeadlineExtension, DeadlinePause, DeadlineStep
from cqcportal.deadlines.rules import RULES, Binds, Kind, due_date_for, explain, planned_steps

SWEEP_LAG = datetime.timedelta(seconds=25)  # the sweep runs every minute; it picks a step up within it

DEADLINE_FIELDS = [
    "id",
    "kind",
    "binds",
    "unit",
    "rule_days",
    "content_type_id",
    "object_id",
    "case_description",
    "case_url",
    "provider_id",
    "location_id",
    "owner_id",
    "team_id",
    "start_date",
    "paused_days",
    "extension_days",
    "original_due_date",
    "due_date",
    "due_at",
    "explanation",
    "state",
    "paused_on",
    "closed_at",
    "met_on_time",
    "next_action_at",
    "created_at",
    "updated_at",
]


@dataclass
class DeadlineCase:
    """One deadline as the generator knows it; ``end`` is how it closed, if it did (state, when)."""

    id: int
    kind: Kind
    content_type_id: int
    object_id: int
    description: str
    url: str
    provider_id: int | None
    location_id: int | None
    owner: object | None
    start_date: datetime.date
    opened_at: datetime.datetime
    due_date: datetime.date
    end: tuple[str, datetime.datetime] | None = None
    paused: tuple[datetime.date, str, object] | None = None  # (paused on, reason, by)
    # Granted extensions, as (from due date, to due date, days, reason, by, at), in time order.
    extensions: list = field(default_factory=list)
    extension_days: int = 0
    # Filled when written: the steps done for the final due date, as (step, done at, skipped); those done for
    # earlier due dates (before an extension), as (due date, step, done at, skipped); and the final state.
    steps: list = field(default_factory=list)
    earlier_steps: list = field(default_factory=list)
    state: str = ""

    def extend(self, *, to: datetime.date, days: int, reason: str, by, at: datetime.datetime) -> None:
        """A later due date, granted at ``at`` (as ``deadline_extend``)."""
        self.extensions.append((self.due_date, to, days, reason, by, at))
        self.due_date = to
        self.extension_days += days

    def meet(self, at: datetime.datetime) -> None:
        if self.end is None:
            self.end = ("met", at)

    def cancel(self, at: datetime.datetime) -> None:
        if self.end is None:
            self.end = ("cancelled", at)

    @property
    def due_at(self) -> datetime.datetime:
        return workdays.deadline_end_of_day(self.due_date)


class Clock:
    """Opens deadlines for cases and writes them, with their ledger of steps, when the case's story is told."""

    def __init__(self, loader, *, now: datetime.datetime, holidays: frozenset):
        self.now = now
        self.holidays = holidays
        self.deadlines = loader.table(Deadline, DEADLINE_FIELDS)
        self.steps = loader.table(DeadlineStep, ["id", "deadline_id", "step", "due_date", "done_at", "skipped"])
        self.extensions = loader.table(
            DeadlineExtension,
            ["id", "deadline_id", "from_due_date", "to_due_date", "days", "reason", "extended_by_id", "created_at"],
        )
        self.pauses = loader.table(
            DeadlinePause,
            ["id", "deadline_id", "paused_on", "resumed_on", "days_added", "reason", "paused_by_id", "resumed_by_id"],
        )
        self.written: list[DeadlineCase] = []

    @functools.cache  # noqa: B019 - one clock per run; the cache is the point
    def due(self, kind: Kind, start_date: datetime.date) -> datetime.date:
        """The due date of a deadline of ``kind`` opened on ``start_date``."""
        return due_date_for(RULES[kind], start_date, extra_holidays=self.holidays)

    @functools.cache  # noqa: B019
    def explanation(self, kind: Kind, start_date: datetime.date, extension_days: int = 0) -> str:
        return explain(RULES[kind], start_date, extension_days=extension_days, extra_holidays=self.holidays)

    @functools.cache  # noqa: B019
    def _planned(self, kind: Kind, due: datetime.date) -> tuple[tuple[str, datetime.datetime], ...]:
        return planned_steps(RULES[kind], due, extra_holidays=self.holidays)

    def open(
        self,
        *,
        kind: Kind,
        content_type_id: int,
        object_id: int,
        description: str,
        url: str,
        provider_id: int | None,
        location_id: int | None,
        owner,
        start_date: datetime.date,
        opened_at: datetime.datetime,
    ) -> DeadlineCase:
        return DeadlineCase(
            id=self.deadlines.new_id(),
            kind=kind,
            content_type_id=content_type_id,
            object_id=object_id,
            description=description[:300],
            url=url,
            provider_id=provider_id,
            location_id=location_id,
            owner=owner,
            start_date=start_date,
            opened_at=opened_at,
            due_date=self.due(kind, start_date),
        )

    def write(self, d: DeadlineCase) -> DeadlineCase:
        """Write the deadline as the sweep would have left it at ``now``, with its ledger; returns it, filled in."""
        rule = RULES[d.kind]
        planned = self._planned(d.kind, d.due_date)
        close_at = planned[-1][1]
        end = d.end
        if end is not None and end[1] >= self.now:
            end = None  # it happens later than the moment the data describe
        if (
            d.paused is not None
            and end is None
            and datetime.datetime.combine(d.paused[0], datetime.time(9), tzinfo=close_at.tzinfo)
            < min(close_at, self.now)
        ):
            state, limit = "paused", datetime.datetime.combine(d.paused[0], datetime.time(9), tzinfo=close_at.tzinfo)
        elif end is None and close_at + SWEEP_LAG <= self.now:
            state, limit = "missed", close_at + SWEEP_LAG
        elif end is None:
            state, limit = "open", self.now
        else:
            state, limit = end
        # Before each extension the deadline was open with its earlier due date: the sweep did that date's steps
        # until the extension was granted. From then on, the new date's (a step whose time had already come is
        # done by the first sweep after it).
        earlier = []
        opened = d.opened_at
        for from_due, _, _, _, _, granted_at in d.extensions:
            earlier += [
                (from_due, *step) for step in self._done(self._planned(d.kind, from_due), opened, granted_at, "open")
            ]
            opened = granted_at
        done = self._done(planned, opened, limit, state)
        if state == "missed" and rule.escalate_when_missed:
            done.append(("escalate", limit, False))
        done_names = {name for name, _, _ in done}
        next_action = None
        if state == "open":
            next_action = min(at for name, at in planned if name not in done_names)
        closed_at = limit if state in ("met", "missed", "cancelled") else None
        met_on_time = None
        if state == "met":
            met_on_time = limit <= d.due_at
        elif state == "missed":
            met_on_time = False
        updated = max([d.opened_at, *(extension[5] for extension in d.extensions)])
        for _, when, _ in done:
            if when > updated:
                updated = when
        if closed_at is not None and closed_at > updated:
            updated = closed_at
        team_id = d.owner.team_id if d.owner is not None else None
        self.deadlines.add(
            (
                d.id,
                rule.kind.value,
                rule.binds.value,
                rule.unit.value,
                rule.days,
                d.content_type_id,
                str(d.object_id),
                d.description,
                d.url,
                d.provider_id,
                d.location_id,
                d.owner.id if d.owner is not None else None,
                team_id,
                d.start_date,
                0,
                d.extension_days,
                d.extensions[0][0] if d.extensions else d.due_date,
                d.due_date,
                d.due_at,
                self.explanation(d.kind, d.start_date, d.extension_days),
                state,
                d.paused[0] if state == "paused" else None,
                closed_at,
                met_on_time,
                next_action,
                d.opened_at,
                updated,
            )
        )
        for due_date, name, when, skipped in [*earlier, *((d.due_date, *step) for step in done)]:
            self.steps.add((self.steps.new_id(), d.id, name, due_date, when, skipped))
        for from_due, to_due, days, reason, by, at in d.extensions:
            self.extensions.add((self.extensions.new_id(), d.id, from_due, to_due, days, reason, by.id, at))
        if state == "paused":
            _, reason, by = d.paused
            self.pauses.add((self.pauses.new_id(), d.id, d.paused[0], None, None, reason[:500], by.id, None))
        d.steps, d.earlier_steps, d.state = done, earlier, state
        self.written.append(d)
        return d

    @staticmethod
    def _done(planned, opened_at: datetime.datetime, limit: datetime.datetime, state: str) -> list:
        """The steps the sweep did between ``opened_at`` and ``limit``, as (step, done at, skipped).

        It does a step at its time, or at the first sweep after the deadline opened (or its date moved) if that
        was later; steps that came due together leave only the latest (or the close) done, the others passed over.
        """
        first_sweep = opened_at + SWEEP_LAG
        groups: dict[datetime.datetime, list[str]] = {}
        for name, at in planned:
            when = max(at + SWEEP_LAG, first_sweep)
            if name == "close":
                if state != "missed":
                    continue
            elif when > limit or (state == "missed" and when >= limit):
                continue
            groups.setdefault(when, []).append(name)
        done: list[tuple[str, datetime.datetime, bool]] = []
        for when, names in sorted(groups.items()):
            keep = "close" if "close" in names else names[-1]
            done += [(name, when, name != keep) for name in names]
        return done

    @staticmethod
    def binds_provider(d: DeadlineCase) -> bool:
        return RULES[d.kind].binds == Binds.PROVIDER
