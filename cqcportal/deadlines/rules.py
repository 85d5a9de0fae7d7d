"""The deadline rules: how long each kind of window is, whom it binds, and when to remind.

Pure: no ORM, no settings, no clock. Every flow's deadline is one of these kinds, so all of them
are computed, reminded, closed and escalated by the same sweep.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from cqcportal import workdays

LONDON = ZoneInfo("Europe/London")
REMINDER_HOUR = 8  # reminders go out at 08:00 London time on their day


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


class Binds(StrEnum):
    PROVIDER = "provider"
    STAFF = "staff"


class Kind(StrEnum):
    PROVIDER_INFORMATION_REQUEST = "provider_information_request"
    ASSESSMENT_INFORMATION_REQUEST = "assessment_information_request"
    FACTUAL_ACCURACY_CHECK = "factual_accuracy_check"
    RATING_REVIEW_REQUEST_WINDOW = "rating_review_request_window"
    RATING_REVIEW_TARGET = "rating_review_target"
    REPRESENTATIONS_WARNING_NOTICE = "representations_warning_notice"
    REPRESENTATIONS_NOTICE_OF_PROPOSAL = "representations_notice_of_proposal"
    RESPONSE_TARGET = "response_target"
    PUBLICATION_TARGET = "publication_target"
    SPECIAL_MEASURES_REASSESSMENT = "special_measures_reassessment"
    COMPLAINT_INFORMAL = "complaint_informal"
    COMPLAINT_FORMAL = "complaint_formal"
    REPRESENTATIONS_RESPONSE_TARGET = "representations_response_target"
    TRIBUNAL_APPEAL_WINDOW = "tribunal_appeal_window"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    label: str
    days: int
    unit: Unit
    binds: Binds
    # Reminders, in working days before the due date (provider windows: 5 and 1, as promised to providers).
    reminder_days_before: tuple[int, ...]
    # Staff targets that are missed go to the team's operations manager.
    escalate_when_missed: bool

    @property
    def describe(self) -> str:
        unit = "working days" if self.unit == Unit.WORKING_DAYS else "calendar days"
        return f"{self.days} {unit}"


RULES: dict[Kind, Rule] = {
    rule.kind: rule
    for rule in [
        Rule(
            Kind.PROVIDER_INFORMATION_REQUEST,
            "Provider information request",
            15,
            Unit.WORKING_DAYS,
            Binds.PROVIDER,
            (5, 1),
            False,
        ),
        Rule(
            Kind.ASSESSMENT_INFORMATION_REQUEST,
            "Provider information request for an assessment",
            5,
            Unit.WORKING_DAYS,
            Binds.PROVIDER,
            (1,),
            False,
        ),
        Rule(
            Kind.FACTUAL_ACCURACY_CHECK, "Factual accuracy check", 10, Unit.WORKING_DAYS, Binds.PROVIDER, (5, 1), False
        ),
        Rule(
            Kind.RATING_REVIEW_REQUEST_WINDOW,
            "Rating review request window",
            15,
            Unit.WORKING_DAYS,
            Binds.PROVIDER,
            (5, 1),
            False,
        ),
        Rule(
            Kind.RATING_REVIEW_TARGET,
            "Rating review decision target",
            50,
            Unit.WORKING_DAYS,
            Binds.STAFF,
            (10, 5, 1),
            True,
        ),
        Rule(
            Kind.REPRESENTATIONS_WARNING_NOTICE,
            "Representations on a warning notice",
            10,
            Unit.WORKING_DAYS,
            Binds.PROVIDER,
            (5, 1),
            False,
        ),
        Rule(
            Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL,
            "Representations on a notice of proposal",
            28,
            Unit.CALENDAR_DAYS,
            Binds.PROVIDER,
            (5, 1),
            False,
        ),
        Rule(Kind.RESPONSE_TARGET, "Response target", 10, Unit.WORKING_DAYS, Binds.STAFF, (2,), True),
        Rule(Kind.PUBLICATION_TARGET, "Publication target", 50, Unit.WORKING_DAYS, Binds.STAFF, (10, 5, 1), True),
        Rule(
            Kind.REPRESENTATIONS_RESPONSE_TARGET,
            "Response to representations",
            20,
            Unit.WORKING_DAYS,
            Binds.STAFF,
            (5, 1),
            True,
        ),
        Rule(
            Kind.TRIBUNAL_APPEAL_WINDOW,
            "Appeal to the First-tier Tribunal",
            28,
            Unit.CALENDAR_DAYS,
            Binds.PROVIDER,
            (),
            False,
        ),
        Rule(
            Kind.COMPLAINT_INFORMAL,
            "Complaint: informal resolution",
            7,
            Unit.WORKING_DAYS,
            Binds.STAFF,
            (2,),
            True,
        ),
        Rule(
            Kind.COMPLAINT_FORMAL,
            "Complaint: formal investigation",
            30,
            Unit.WORKING_DAYS,
            Binds.STAFF,
            (10, 5, 1),
            True,
        ),
        Rule(
            Kind.SPECIAL_MEASURES_REASSESSMENT,
            "Special measures re-assessment",
            183,
            Unit.CALENDAR_DAYS,
            Binds.STAFF,
            (20, 5),
            True,
        ),
    ]
}


def due_date_for(
    rule: Rule, start_date: datetime.date, *, extra_days: int = 0, extra_holidays: frozenset = frozenset()
) -> datetime.date:
    """The due date of a window opened on ``start_date``, with paused or extended days added in its own unit."""
    total = rule.days + extra_days
    if rule.unit == Unit.WORKING_DAYS:
        return workdays.add_working_days(start_date, total, extra_holidays=extra_holidays)
    return start_date + datetime.timedelta(days=total)


def days_between(
    rule: Rule, start: datetime.date, end: datetime.date, *, extra_holidays: frozenset = frozenset()
) -> int:
    """Days in the rule's unit after ``start`` up to and including ``end`` (0 if end is not after start)."""
    if rule.unit == Unit.WORKING_DAYS:
        return workdays.working_days_between(start, end, extra_holidays=extra_holidays)
    return max(0, (end - start).days)


def working_days_before(day: datetime.date, n: int, *, extra_holidays: frozenset = frozenset()) -> datetime.date:
    """The working day that is ``n`` working days before ``day`` (so that ``n`` working days remain after it)."""
    current = day
    remaining = n
    while remaining > 0:
        current -= datetime.timedelta(days=1)
        if workdays.is_working_day(current, extra_holidays=extra_holidays):
            remaining -= 1
    return current


def explain(
    rule: Rule,
    start_date: datetime.date,
    *,
    paused_days: int = 0,
    extension_days: int = 0,
    extra_holidays: frozenset = frozenset(),
) -> str:
    """How the due date was worked out, in plain English, for the people it binds."""
    total = rule.days + paused_days + extension_days
    if rule.unit == Unit.WORKING_DAYS:
        text = workdays.explain_add_working_days(start_date, total, extra_holidays=extra_holidays).text
    else:
        due = start_date + datetime.timedelta(days=total)
        text = (
            f"{total} calendar days after {start_date:%A %-d %B %Y}, not counting that day, "
            f"weekends and bank holidays included: {due:%A %-d %B %Y}."
        )
    parts = [f"{rule.label}: {rule.describe}."]
    if paused_days:
        parts.append(f"{paused_days} day{'s' if paused_days != 1 else ''} added back for time the clock was paused.")
    if extension_days:
        parts.append(f"Extended by {extension_days} day{'s' if extension_days != 1 else ''}.")
    parts.append(text)
    return " ".join(parts)


def close_at(due_date: datetime.date) -> datetime.datetime:
    """When a window closes: the first instant after its due day in London (the whole due day counts)."""
    return workdays.deadline_end_of_day(due_date) + datetime.timedelta(microseconds=1)


@lru_cache(maxsize=4096)
def planned_steps(
    rule: Rule, due_date: datetime.date, *, extra_holidays: frozenset = frozenset()
) -> tuple[tuple[str, datetime.datetime], ...]:
    """What the sweep does for a deadline due on ``due_date``, and when: each reminder at 08:00 London on its
    working day (earliest first), then the close. Cached: deadlines share due dates, and the answer is pure."""
    steps = [
        (
            f"reminder:{n}",
            datetime.datetime.combine(
                working_days_before(due_date, n, extra_holidays=extra_holidays),
                datetime.time(REMINDER_HOUR),
                tzinfo=LONDON,
            ),
        )
        for n in sorted(rule.reminder_days_before, reverse=True)
    ]
    steps.append(("close", close_at(due_date)))
    return tuple(steps)
