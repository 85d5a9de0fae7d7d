"""Working days in England and Wales: deadlines counted in working days, and how they were worked out.

A working day is Monday to Friday, other than an England and Wales bank holiday. Bank holidays come
from the ``holidays`` package, including one-off holidays (jubilees, the 2022 State Funeral, the 2023
Coronation) and substitute days; it matches the GOV.UK list for 2012 to 2028 on every weekday.

Counting rule: "n working days after start" never counts ``start`` itself, whatever day it is. The 10th
working day after a report e-mailed on a Friday is counted from the Monday, and after one e-mailed on a
Saturday or a bank holiday from the next working day. ``add_working_days(start, 0)`` returns ``start``
unchanged, even when ``start`` is not a working day.

Extra holidays: every function that depends on holidays takes an optional keyword-only
``extra_holidays``, a frozenset of further dates (dates, not datetimes) that are not working days, such
as one-off closures that admin staff record. Callers load them and pass them in; a deadline worked out
with one set must be worked out again when the set changes. In explanations they are named
``EXTRA_HOLIDAY_NAME``; a date that is already a bank holiday keeps its bank holiday name.

This module is pure: no Django, no settings and no clock. Callers pass dates in and store what comes
back, so the rules can be tested exhaustively without a database.
"""

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "EXTRA_HOLIDAY_NAME",
    "WorkingDaysExplanation",
    "add_working_days",
    "deadline_end_of_day",
    "explain_add_working_days",
    "is_working_day",
    "working_days_between",
]

EXTRA_HOLIDAY_NAME = "Extra holiday"

_LONDON = ZoneInfo("Europe/London")
_ONE_DAY = timedelta(days=1)
_NO_EXTRA_HOLIDAYS: frozenset[date] = frozenset()

# Spelt out rather than strftime("%A %B") so that user-facing text does not depend on the server locale.
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class WorkingDaysExplanation:
    """How ``add_working_days`` reached its result, worded for the people whose deadline it is."""

    text: str
    result_date: date
    skipped_holidays: tuple[tuple[date, str], ...]


def is_working_day(day: date, *, extra_holidays: frozenset[date] = _NO_EXTRA_HOLIDAYS) -> bool:
    """Return whether ``day`` is a working day: Monday to Friday and not a bank or extra holiday.

    :raises TypeError: if ``day`` is a datetime or not a date.
    """
    _require_date(day, "day")
    return _is_working_day(day, extra_holidays)


def add_working_days(start: date, days: int, *, extra_holidays: frozenset[date] = _NO_EXTRA_HOLIDAYS) -> date:
    """Return the date ``days`` working days after ``start``, never counting ``start`` (0 returns ``start``).

    :raises ValueError: if ``days`` is negative.
    :raises TypeError: if ``start`` is a datetime or not a date, or ``days`` is not an integer.
    """
    _require_date(start, "start")
    remaining = _require_days(days)
    day = start
    while remaining:
        day += _ONE_DAY
        if _is_working_day(day, extra_holidays):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, *, extra_holidays: frozenset[date] = _NO_EXTRA_HOLIDAYS) -> int:
    """Return the number of working days after ``start`` up to and including ``end`` (0 if ``end <= start``).

    :raises TypeError: if ``start`` or ``end`` is a datetime or not a date.
    """
    _require_date(start, "start")
    _require_date(end, "end")
    if end <= start:
        return 0
    # Counted by arithmetic rather than day by day, so a span of years costs a few steps per year; it
    # also makes this an independent check on add_working_days in the tests.
    weekdays = _weekdays_up_to(end) - _weekdays_up_to(start)
    bank_holidays = sum(
        1 for year in range(start.year, end.year + 1) for day in _bank_holidays(year) if start < day <= end
    )
    extra = sum(
        1 for day in extra_holidays if start < day <= end and day.weekday() < 5 and day not in _bank_holidays(day.year)
    )
    return weekdays - bank_holidays - extra


def deadline_end_of_day(day: date) -> datetime:
    """Return the last moment of ``day`` in London as an aware datetime, so a deadline lasts the whole day.

    :raises TypeError: if ``day`` is a datetime or not a date.
    """
    _require_date(day, "day")
    # London's clocks change at 01:00 and 02:00, so 23:59:59.999999 exists exactly once on every day,
    # including change days, and zoneinfo gives it the offset (GMT or BST) in force at that moment.
    return datetime.combine(day, time.max, tzinfo=_LONDON)


def explain_add_working_days(
    start: date, days: int, *, extra_holidays: frozenset[date] = _NO_EXTRA_HOLIDAYS
) -> WorkingDaysExplanation:
    """Return ``add_working_days(start, days)`` with a plain-English account of how it was worked out.

    :raises ValueError: if ``days`` is negative.
    :raises TypeError: if ``start`` is a datetime or not a date, or ``days`` is not an integer.
    """
    result = add_working_days(start, days, extra_holidays=extra_holidays)
    days = operator.index(days)
    if days == 0:
        return WorkingDaysExplanation(
            text=f"0 working days after {_long_date(start)}: {_long_date(start)} itself.",
            result_date=start,
            skipped_holidays=(),
        )

    skipped_weekend = False
    skipped_holidays: list[tuple[date, str]] = []
    day = start + _ONE_DAY
    while day < result:
        if day.weekday() >= 5:
            skipped_weekend = True
        elif day in _bank_holidays(day.year):
            skipped_holidays.append((day, _bank_holidays(day.year)[day]))
        elif day in extra_holidays:
            skipped_holidays.append((day, EXTRA_HOLIDAY_NAME))
        day += _ONE_DAY

    # Keeps the wording of the agreed example: "skipping weekends and Good Friday (...) and Easter
    # Monday (...)", with a plain list when only holidays were skipped.
    holiday_list = _join_words([f"{name} ({_date_with_year(when)})" for when, name in skipped_holidays])
    if skipped_weekend and holiday_list:
        skipping = f", skipping weekends and {holiday_list}"
    elif skipped_weekend:
        skipping = ", skipping weekends"
    elif holiday_list:
        skipping = f", skipping {holiday_list}"
    else:
        skipping = ""

    unit = "working day" if days == 1 else "working days"
    text = (
        f"{days} {unit} after {_long_date(start)}, not counting {start.day} {_MONTH_NAMES[start.month - 1]}"
        f" itself{skipping}: {_long_date(result)}."
    )
    return WorkingDaysExplanation(text=text, result_date=result, skipped_holidays=tuple(skipped_holidays))


@functools.cache
def _bank_holidays(year: int) -> Mapping[date, str]:
    # Only weekday dates are kept: the package also lists weekend-dated originals (Boxing Day on a
    # Saturday) beside their substitute days, which would otherwise appear twice in explanations.
    # The language is pinned because the package otherwise picks one from the server's locale.
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year, language="en_GB")
    return MappingProxyType({day: name for day, name in sorted(calendar.items()) if day.weekday() < 5})


def _is_working_day(day: date, extra_holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in extra_holidays


def _weekdays_up_to(day: date) -> int:
    # Ordinal 1 (1 January 1 AD) is a Monday, so every block of seven ordinals holds five weekdays.
    whole_weeks, rest = divmod(day.toordinal(), 7)
    return whole_weeks * 5 + min(rest, 5)


def _require_date(value: object, name: str) -> None:
    # A datetime is a date subclass but never equals a date, so holiday lookups would silently miss.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def _require_days(days: int) -> int:
    # operator.index rejects floats, which would otherwise never count down to zero.
    days = operator.index(days)
    if days < 0:
        raise ValueError(f"days must be 0 or more, not {days}")
    return days


def _long_date(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {_date_with_year(day)}"


def _date_with_year(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"
