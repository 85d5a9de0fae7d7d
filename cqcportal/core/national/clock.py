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
from cqcportal.deadlines.models import Deadline, DeadlinePause, DeadlineStep
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
    # Filled when written: the steps done, as (step, done at, skipped), and the final state.
    steps: list = field(default_factory=list)
    state: str = ""

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
    def _explanation(self, kind: Kind, start_date: datetime.date) -> str:
        return explain(RULES[kind], start_date, extra_holidays=self.holidays)

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
        # The sweep does a step at its time, or at the first sweep after the deadline opened if that was later;
        # steps that came due together leave only the latest (or the close) done, the others passed over.
        first_sweep = d.opened_at + SWEEP_LAG
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
        updated = d.opened_at
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
                0,
                d.due_date,
                d.due_date,
                d.due_at,
                self._explanation(d.kind, d.start_date),
                state,
                d.paused[0] if state == "paused" else None,
                closed_at,
                met_on_time,
                next_action,
                d.opened_at,
                updated,
            )
        )
        for name, when, skipped in done:
            self.steps.add((self.steps.new_id(), d.id, name, d.due_date, when, skipped))
        if state == "paused":
            _, reason, by = d.paused
            self.pauses.add((self.pauses.new_id(), d.id, d.paused[0], None, None, reason[:500], by.id, None))
        d.steps, d.state = done, state
        self.written.append(d)
        return d

    @staticmethod
    def binds_provider(d: DeadlineCase) -> bool:
        return RULES[d.kind].binds == Binds.PROVIDER
