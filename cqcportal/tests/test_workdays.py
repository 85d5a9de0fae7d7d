"""Tests for the working-day calendar: pure functions, so no database and no Django."""

import ast
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cqcportal import workdays
from cqcportal.tests.shared_data import shared_file
from cqcportal.workdays import (
    EXTRA_HOLIDAY_NAME,
    add_working_days,
    deadline_end_of_day,
    explain_add_working_days,
    is_working_day,
    working_days_between,
)

# CI checks out shared/ beside the repository, so this is ../shared from the repository root.
GOVUK_FEED = shared_file("bank-holidays.json")
GOVUK_YEARS = range(2012, 2029)
LONDON = ZoneInfo("Europe/London")
ONE_HOUR = timedelta(hours=1)
NO_OFFSET = timedelta(0)


def _load_govuk_holidays() -> frozenset[date]:
    events = json.loads(GOVUK_FEED.read_text(encoding="utf-8"))["england-and-wales"]["events"]
    return frozenset(date.fromisoformat(event["date"]) for event in events)


GOVUK_HOLIDAYS = _load_govuk_holidays()
GOVUK_FIRST_DAY = date(GOVUK_YEARS[0], 1, 1)
GOVUK_LAST_DAY = date(GOVUK_YEARS[-1], 12, 31)

# The rules take microseconds, so three times Hypothesis's default number of examples costs little.
property_test = settings(max_examples=300)
govuk_dates = st.dates(min_value=GOVUK_FIRST_DAY, max_value=GOVUK_LAST_DAY)


def _govuk_is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in GOVUK_HOLIDAYS


def _govuk_add_working_days(start: date, days: int) -> date:
    day = start
    while days:
        day += timedelta(days=1)
        assert day <= GOVUK_LAST_DAY, "the reference calendar ends in 2028"
        if _govuk_is_working_day(day):
            days -= 1
    return day


def _every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


# is_working_day


def test_govuk_feed_covers_2012_to_2028():
    assert {day.year for day in GOVUK_HOLIDAYS} == set(GOVUK_YEARS)


@pytest.mark.parametrize("year", GOVUK_YEARS)
def test_is_working_day_matches_govuk_for_every_day_of_year(year):
    mismatches = [day for day in _every_day(year) if is_working_day(day) != _govuk_is_working_day(day)]

    assert mismatches == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2020, 5, 8), False, id="2020 VE Day, early May holiday moved to Friday"),
        pytest.param(date(2020, 5, 4), True, id="2020 first Monday in May, not a holiday that year"),
        pytest.param(date(2020, 12, 28), False, id="2020 substitute Boxing Day"),
        pytest.param(date(2022, 6, 2), False, id="2022 spring bank holiday moved for the jubilee"),
        pytest.param(date(2022, 6, 3), False, id="2022 Platinum Jubilee"),
        pytest.param(date(2022, 5, 30), True, id="2022 last Monday in May, not a holiday that year"),
        pytest.param(date(2022, 9, 19), False, id="2022 State Funeral of Queen Elizabeth II"),
        pytest.param(date(2023, 5, 8), False, id="2023 Coronation of King Charles III"),
        pytest.param(date(2026, 12, 25), False, id="2026 Christmas Day, a Friday"),
        pytest.param(date(2026, 12, 28), False, id="2026 substitute Boxing Day"),
        pytest.param(date(2026, 12, 29), True, id="2026 Tuesday after the substitute day"),
        pytest.param(date(2027, 12, 24), True, id="2027 Christmas Eve, not a holiday"),
        pytest.param(date(2027, 12, 27), False, id="2027 substitute Christmas Day"),
        pytest.param(date(2027, 12, 28), False, id="2027 substitute Boxing Day"),
        pytest.param(date(2025, 6, 7), False, id="a Saturday"),
        pytest.param(date(2025, 6, 8), False, id="a Sunday"),
        pytest.param(date(2025, 6, 9), True, id="an ordinary Monday"),
    ],
)
def test_is_working_day_special_days_match_govuk(day, expected):
    assert is_working_day(day) is expected
    assert _govuk_is_working_day(day) is expected


def test_is_working_day_datetime_raises_type_error():
    with pytest.raises(TypeError, match="day must be a date"):
        is_working_day(datetime(2025, 6, 9, 9, 0, tzinfo=LONDON))


# add_working_days


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(date(2025, 3, 7), 10, date(2025, 3, 21), id="Friday start, counted from Monday"),
        pytest.param(date(2025, 3, 8), 10, date(2025, 3, 21), id="Saturday start"),
        pytest.param(date(2025, 3, 8), 1, date(2025, 3, 10), id="Saturday start, 1 day"),
        pytest.param(date(2025, 3, 9), 1, date(2025, 3, 10), id="Sunday start, 1 day"),
        pytest.param(date(2025, 4, 21), 1, date(2025, 4, 22), id="Easter Monday start, 1 day"),
        pytest.param(date(2025, 4, 21), 10, date(2025, 5, 6), id="Easter Monday start, over May Day"),
        pytest.param(date(2025, 4, 4), 10, date(2025, 4, 22), id="10 days over Easter"),
        pytest.param(date(2025, 4, 4), 15, date(2025, 4, 29), id="15 days over Easter"),
        pytest.param(date(2025, 12, 19), 10, date(2026, 1, 7), id="10 days over Christmas and New Year"),
        pytest.param(date(2020, 12, 23), 3, date(2020, 12, 30), id="over the 2020 substitute Boxing Day"),
        pytest.param(date(2027, 12, 23), 2, date(2027, 12, 29), id="over both 2027 substitute days"),
        pytest.param(date(2022, 6, 1), 1, date(2022, 6, 6), id="over the 2022 jubilee"),
        pytest.param(date(2022, 9, 16), 1, date(2022, 9, 20), id="over the 2022 State Funeral"),
        pytest.param(date(2023, 5, 5), 1, date(2023, 5, 9), id="over the 2023 Coronation"),
        pytest.param(date(2025, 6, 2), 50, date(2025, 8, 11), id="50 days, no holidays"),
        pytest.param(date(2025, 12, 1), 50, date(2026, 2, 12), id="50 days over Christmas"),
        pytest.param(date(2025, 3, 8), 0, date(2025, 3, 8), id="0 days returns a Saturday start unchanged"),
        pytest.param(date(2025, 12, 25), 0, date(2025, 12, 25), id="0 days returns a holiday unchanged"),
    ],
)
def test_add_working_days_table(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(
    ("sent", "expected_deadline", "expected_offset"),
    [
        pytest.param(
            date(2025, 4, 4),
            datetime(2025, 4, 22, 23, 59, 59, 999999, tzinfo=LONDON),
            ONE_HOUR,
            id="sent Friday before Easter, ends in BST",
        ),
        pytest.param(
            date(2025, 12, 22),
            datetime(2026, 1, 8, 23, 59, 59, 999999, tzinfo=LONDON),
            NO_OFFSET,
            id="sent Monday before Christmas, ends in GMT",
        ),
    ],
)
def test_add_working_days_factual_accuracy_window_ends_after_ten_working_days(sent, expected_deadline, expected_offset):
    deadline = deadline_end_of_day(add_working_days(sent, 10))

    assert deadline == expected_deadline
    assert deadline.utcoffset() == expected_offset
    assert working_days_between(sent, deadline.date()) == 10
    assert working_days_between(sent, deadline.date() - timedelta(days=1)) == 9


@pytest.mark.parametrize("function", [add_working_days, explain_add_working_days])
def test_add_working_days_negative_raises_value_error(function):
    with pytest.raises(ValueError, match="days must be 0 or more"):
        function(date(2025, 3, 7), -1)


@pytest.mark.parametrize(
    ("start", "days"),
    [
        pytest.param(datetime(2025, 3, 7, 17, 30, tzinfo=LONDON), 10, id="datetime start"),
        pytest.param("2025-03-07", 10, id="string start"),
        pytest.param(date(2025, 3, 7), 2.5, id="float days"),
    ],
)
def test_add_working_days_wrong_type_raises_type_error(start, days):
    with pytest.raises(TypeError):
        add_working_days(start, days)


@property_test
@given(start=st.dates(min_value=GOVUK_FIRST_DAY, max_value=date(2028, 8, 31)), days=st.integers(0, 60))
def test_add_working_days_matches_govuk_counting_for_any_start(start, days):
    assert add_working_days(start, days) == _govuk_add_working_days(start, days)


@property_test
@given(start=govuk_dates, days=st.integers(0, 300))
def test_add_working_days_result_is_first_working_day_reaching_count(start, days):
    result = add_working_days(start, days)

    assert working_days_between(start, result) == days
    if days > 0:
        assert is_working_day(result)
        assert working_days_between(start, result - timedelta(days=1)) == days - 1


# working_days_between


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2025, 4, 4), date(2025, 4, 22), 10, id="over Easter"),
        pytest.param(date(2025, 3, 8), date(2025, 3, 10), 1, id="Saturday to Monday"),
        pytest.param(date(2025, 3, 7), date(2025, 3, 9), 0, id="Friday to Sunday"),
        pytest.param(date(2025, 12, 24), date(2025, 12, 26), 0, id="Christmas Eve to Boxing Day"),
        pytest.param(date(2025, 3, 7), date(2025, 3, 7), 0, id="same day"),
        pytest.param(date(2025, 3, 10), date(2025, 3, 7), 0, id="end before start"),
    ],
)
def test_working_days_between_table(start, end, expected):
    assert working_days_between(start, end) == expected


def test_working_days_between_whole_govuk_range_matches_govuk():
    expected = sum(
        _govuk_is_working_day(day) for year in GOVUK_YEARS for day in _every_day(year) if day != GOVUK_FIRST_DAY
    )

    assert working_days_between(GOVUK_FIRST_DAY, GOVUK_LAST_DAY) == expected


@property_test
@given(start=govuk_dates, span=st.integers(-10, 400))
def test_working_days_between_equals_count_of_working_days_in_range(start, span):
    end = start + timedelta(days=span)
    expected = sum(is_working_day(start + timedelta(days=n)) for n in range(1, span + 1))

    assert working_days_between(start, end) == expected


# deadline_end_of_day


@pytest.mark.parametrize(
    ("day", "expected_offset"),
    [
        pytest.param(date(2025, 7, 15), ONE_HOUR, id="July, BST"),
        pytest.param(date(2025, 1, 15), NO_OFFSET, id="January, GMT"),
        pytest.param(date(2025, 3, 29), NO_OFFSET, id="day before clocks go forward"),
        pytest.param(date(2025, 3, 30), ONE_HOUR, id="day clocks go forward"),
        pytest.param(date(2025, 10, 25), ONE_HOUR, id="day before clocks go back"),
        pytest.param(date(2025, 10, 26), NO_OFFSET, id="day clocks go back"),
        pytest.param(date(2024, 3, 31), ONE_HOUR, id="2024 day clocks go forward"),
        pytest.param(date(2024, 10, 27), NO_OFFSET, id="2024 day clocks go back"),
    ],
)
def test_deadline_end_of_day_offset_follows_london_clocks(day, expected_offset):
    deadline = deadline_end_of_day(day)

    assert deadline.utcoffset() == expected_offset
    assert deadline.tzinfo.key == "Europe/London"
    assert (deadline.date(), deadline.time()) == (day, time(23, 59, 59, 999999))
    next_midnight_utc = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    assert deadline.astimezone(UTC) + timedelta(microseconds=1) == next_midnight_utc


@pytest.mark.parametrize(
    ("day", "expected_length"),
    [
        pytest.param(date(2025, 3, 30), timedelta(hours=23), id="clocks go forward"),
        pytest.param(date(2025, 10, 26), timedelta(hours=25), id="clocks go back"),
        pytest.param(date(2025, 7, 15), timedelta(hours=24), id="ordinary day"),
    ],
)
def test_deadline_end_of_day_clock_change_day_has_its_real_length(day, expected_length):
    previous = deadline_end_of_day(day - timedelta(days=1)).astimezone(UTC)

    assert deadline_end_of_day(day).astimezone(UTC) - previous == expected_length


def test_deadline_end_of_day_datetime_raises_type_error():
    with pytest.raises(TypeError, match="day must be a date"):
        deadline_end_of_day(datetime(2025, 7, 15, 9, 0, tzinfo=LONDON))


# extra_holidays


def test_is_working_day_extra_holiday_is_not_working_day():
    extra = frozenset({date(2025, 3, 12)})

    assert is_working_day(date(2025, 3, 12))
    assert not is_working_day(date(2025, 3, 12), extra_holidays=extra)


def test_add_working_days_extra_holiday_shifts_result():
    extra = frozenset({date(2025, 3, 12)})

    assert add_working_days(date(2025, 3, 7), 10) == date(2025, 3, 21)
    assert add_working_days(date(2025, 3, 7), 10, extra_holidays=extra) == date(2025, 3, 24)


def test_add_working_days_extra_holiday_on_weekend_or_bank_holiday_changes_nothing():
    extra = frozenset({date(2025, 4, 12), date(2025, 4, 18)})

    assert add_working_days(date(2025, 4, 4), 10, extra_holidays=extra) == date(2025, 4, 22)
    assert working_days_between(date(2025, 4, 4), date(2025, 4, 22), extra_holidays=extra) == 10


def test_working_days_between_extra_holiday_is_not_counted():
    extra = frozenset({date(2025, 3, 12), date(2025, 3, 24)})

    assert working_days_between(date(2025, 3, 7), date(2025, 3, 21), extra_holidays=extra) == 9


@property_test
@given(
    start=govuk_dates,
    days=st.integers(0, 120),
    extra=st.frozensets(st.dates(min_value=GOVUK_FIRST_DAY, max_value=date(2029, 6, 30)), max_size=20),
)
def test_add_working_days_with_extra_holidays_never_lands_on_one(start, days, extra):
    result = add_working_days(start, days, extra_holidays=extra)

    assert working_days_between(start, result, extra_holidays=extra) == days
    assert result >= add_working_days(start, days)
    if days > 0:
        assert result not in extra


# explain_add_working_days


def test_explain_add_working_days_easter_example_text():
    explanation = explain_add_working_days(date(2025, 4, 4), 10)

    assert explanation.text == (
        "10 working days after Friday 4 April 2025, not counting 4 April itself, skipping weekends and "
        "Good Friday (18 April 2025) and Easter Monday (21 April 2025): Tuesday 22 April 2025."
    )
    assert explanation.result_date == date(2025, 4, 22)
    assert explanation.skipped_holidays == (
        (date(2025, 4, 18), "Good Friday"),
        (date(2025, 4, 21), "Easter Monday"),
    )


def test_explain_add_working_days_christmas_names_each_holiday_and_result():
    explanation = explain_add_working_days(date(2025, 12, 19), 10)

    assert explanation.skipped_holidays == (
        (date(2025, 12, 25), "Christmas Day"),
        (date(2025, 12, 26), "Boxing Day"),
        (date(2026, 1, 1), "New Year's Day"),
    )
    holidays_text = (
        "Christmas Day (25 December 2025), Boxing Day (26 December 2025) and New Year's Day (1 January 2026)"
    )
    assert holidays_text in explanation.text
    assert explanation.text.endswith(": Wednesday 7 January 2026.")


def test_explain_add_working_days_substitute_day_listed_once():
    explanation = explain_add_working_days(date(2020, 12, 23), 3)

    assert explanation.skipped_holidays == (
        (date(2020, 12, 25), "Christmas Day"),
        (date(2020, 12, 28), "Boxing Day (observed)"),
    )


def test_explain_add_working_days_holiday_without_weekend_text():
    explanation = explain_add_working_days(date(2025, 12, 30), 2)

    assert explanation.text == (
        "2 working days after Tuesday 30 December 2025, not counting 30 December itself, "
        "skipping New Year's Day (1 January 2026): Friday 2 January 2026."
    )


@pytest.mark.parametrize(
    ("start", "days", "expected_text"),
    [
        pytest.param(
            date(2025, 4, 7),
            2,
            "2 working days after Monday 7 April 2025, not counting 7 April itself: Wednesday 9 April 2025.",
            id="nothing skipped",
        ),
        pytest.param(
            date(2025, 3, 7),
            1,
            "1 working day after Friday 7 March 2025, not counting 7 March itself, skipping weekends: "
            "Monday 10 March 2025.",
            id="one day over a weekend",
        ),
        pytest.param(
            date(2025, 3, 8),
            0,
            "0 working days after Saturday 8 March 2025: Saturday 8 March 2025 itself.",
            id="zero days",
        ),
    ],
)
def test_explain_add_working_days_plain_cases_text(start, days, expected_text):
    assert explain_add_working_days(start, days).text == expected_text


def test_explain_add_working_days_extra_holiday_named():
    explanation = explain_add_working_days(date(2025, 3, 7), 10, extra_holidays=frozenset({date(2025, 3, 12)}))

    assert explanation.skipped_holidays == ((date(2025, 3, 12), EXTRA_HOLIDAY_NAME),)
    assert f"{EXTRA_HOLIDAY_NAME} (12 March 2025)" in explanation.text
    assert explanation.text.endswith(": Monday 24 March 2025.")


@property_test
@given(start=govuk_dates, days=st.integers(0, 60))
def test_explain_add_working_days_result_matches_add_working_days(start, days):
    explanation = explain_add_working_days(start, days)

    assert explanation.result_date == add_working_days(start, days)
    assert all(
        not is_working_day(day) and start < day < explanation.result_date for day, _ in explanation.skipped_holidays
    )


# purity


def test_workdays_module_imports_no_django_and_reads_no_clock():
    tree = ast.parse(Path(workdays.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    clock_reads = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"today", "now", "utcnow"}
    }

    assert not {name for name in imported if name.split(".")[0] in {"django", "time"}}
    assert clock_reads == set()
