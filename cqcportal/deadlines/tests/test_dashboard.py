"""The staff deadlines dashboard: who may see it, what each bucket counts, the weekly record, filters, query budget."""

import datetime
import itertools
import os
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cqcportal.accounts.models import Team
from cqcportal.core.tests.test_browser import accessibility_violations, sign_in
from cqcportal.deadlines.models import Deadline
from cqcportal.deadlines.rules import RULES, Kind
from cqcportal.deadlines.selectors_dashboard import (
    NO_TEAM,
    BucketCounts,
    DashboardFilters,
    dashboard_dates,
    deadline_dashboard,
)
from cqcportal.tests.factories import StaffFactory

# Playwright's sync API runs an event loop in this thread (the browser test at the end); the ORM calls stay synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LONDON = ZoneInfo("Europe/London")
TODAY = datetime.date(2027, 3, 10)  # a Wednesday; the week runs to Sunday 14 March
URL = "/deadlines/"
QUERY_BUDGET = 12

_ids = itertools.count(1)


def at(day: str, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour, minute), tzinfo=LONDON)


def deadline(
    *,
    due: str | datetime.date,
    state: str = "open",
    kind: Kind = Kind.RESPONSE_TARGET,
    closed_at: datetime.datetime | None = None,
    met_on_time: bool | None = None,
    team: Team | None = None,
    owner=None,
    save: bool = True,
) -> Deadline:
    """A deadline with its dates written out (no rule arithmetic): the dashboard reads only stored fields."""
    due_date = datetime.date.fromisoformat(due) if isinstance(due, str) else due
    rule = RULES[kind]
    if state in ("met", "missed", "cancelled") and closed_at is None:
        closed_at = at(due_date.isoformat())
    if state == "missed":
        met_on_time = False
    row = Deadline(
        kind=kind.value,
        binds=rule.binds.value,
        unit=rule.unit.value,
        rule_days=rule.days,
        content_type=ContentType.objects.get_for_model(Team),
        object_id=str(next(_ids)),
        case_description=f"Case due {due_date:%-d %B}",
        case_url="/cases/1/",
        owner=owner,
        team=team,
        start_date=due_date - datetime.timedelta(days=30),
        original_due_date=due_date,
        due_date=due_date,
        due_at=at(due_date.isoformat(), 23, 59),
        explanation="Worked out for the test.",
        state=state,
        paused_on=due_date - datetime.timedelta(days=5) if state == "paused" else None,
        closed_at=closed_at,
        met_on_time=met_on_time,
    )
    if save:
        row.save()
    return row


@pytest.fixture
def on_today():
    with time_machine.travel(at(TODAY.isoformat(), 10), tick=False):
        yield


@pytest.fixture
def staff_client(client, inspector, on_today):
    # Signed in on "today", so that the session has not expired by the clock the page reads.
    client.force_login(inspector)
    return client


def _count(response, bucket: str) -> int:
    match = re.search(rf'id="count-{bucket}">(\d+)<', response.text)
    assert match, bucket
    return int(match.group(1))


def _counts(response) -> tuple[int, int, int]:
    return tuple(_count(response, b) for b in ("due-today", "due-this-week", "missed"))


# --- who may see it -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign-in"))


@pytest.mark.django_db
def test_dashboard_provider_user_gets_not_found(client, provider_user):
    deadline(due=TODAY)
    client.force_login(provider_user)
    assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_dashboard_staff_see_it_and_reach_it_from_their_dashboard(staff_client):
    assert reverse("deadlines:dashboard") == URL
    assert f'href="{URL}"' in staff_client.get(reverse("core:dashboard")).text
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert "Today is Wednesday 10 March 2027" in response.text
    assert _counts(response) == (0, 0, 0)


# --- the buckets -----------------------------------------------------------------------------------------------------


@pytest.fixture
def spread(db):
    """Deadlines on both sides of every bucket's edge, around Wednesday 10 March 2027."""
    return {
        "today_open": deadline(due=TODAY),
        "today_paused": deadline(due=TODAY, state="paused"),
        "today_met": deadline(due=TODAY, state="met", met_on_time=True),
        "thursday": deadline(due="2027-03-11"),
        "sunday": deadline(due="2027-03-14", kind=Kind.FACTUAL_ACCURACY_CHECK),
        "next_monday": deadline(due="2027-03-15"),
        "overdue_not_swept": deadline(due="2027-03-09"),
        "overdue_paused": deadline(due="2027-03-09", state="paused"),
        # Missed and closed exactly 4 weeks ago at midnight (shown), and a minute before that (not shown).
        "missed_recent": deadline(due="2027-02-09", state="missed", closed_at=at("2027-02-10", 0, 0)),
        "missed_old": deadline(due="2027-02-08", state="missed", closed_at=at("2027-02-09", 23, 59)),
        "cancelled": deadline(due="2027-03-09", state="cancelled"),
    }


@pytest.mark.django_db
def test_dashboard_dates_week_ends_on_sunday_and_missed_looks_back_four_weeks():
    dates = dashboard_dates(today=TODAY)
    assert dates.week_end_date == datetime.date(2027, 3, 14)
    assert dates.missed_since_date == datetime.date(2027, 2, 10)
    assert dates.chart_start_date == datetime.date(2026, 12, 21)  # 11 Mondays before this week's Monday 8 March
    assert dates.chart_end_date == datetime.date(2027, 3, 15)
    assert dashboard_dates(today=datetime.date(2027, 3, 14)).week_end_date == datetime.date(2027, 3, 14)


@pytest.mark.django_db
def test_dashboard_buckets_count_the_right_deadlines(spread):
    board = deadline_dashboard(today=TODAY)
    assert board.counts == BucketCounts(due_today=2, due_this_week=2, missed=2)
    assert {d.pk for d in board.due_today} == {spread["today_open"].pk, spread["today_paused"].pk}
    assert [d.pk for d in board.due_this_week] == [spread["thursday"].pk, spread["sunday"].pk]
    assert {d.pk for d in board.missed} == {spread["overdue_not_swept"].pk, spread["missed_recent"].pk}


@pytest.mark.django_db
def test_dashboard_on_sunday_nothing_is_later_this_week(spread):
    board = deadline_dashboard(today=datetime.date(2027, 3, 14))
    assert board.counts.due_this_week == 0
    assert board.counts.due_today == 1  # the Sunday one


@pytest.mark.django_db
def test_dashboard_page_shows_counts_lists_and_breakdowns(staff_client, spread):
    response = staff_client.get(URL)
    assert _counts(response) == (2, 2, 2)
    text = response.text
    assert "Case due 14 March" in text and "Case due 15 March" not in text
    assert "Overdue" in text and "Paused" in text
    assert "Factual accuracy check" in text and "Response target" in text  # the rules' labels
    assert "No team" in text
    assert "Sunday 14 March" in text


@pytest.mark.django_db
def test_dashboard_breakdowns_by_team_and_kind_add_up(db):
    north, south = Team.objects.create(name="North"), Team.objects.create(name="South")
    deadline(due=TODAY, team=north)
    deadline(due=TODAY, team=north, kind=Kind.PUBLICATION_TARGET)
    deadline(due="2027-03-12", team=south, kind=Kind.PUBLICATION_TARGET)
    deadline(due="2027-03-01", team=south)
    deadline(due="2027-03-12", kind=Kind.PROVIDER_INFORMATION_REQUEST)
    deadline(due="2027-06-01", team=north)  # not in any bucket: no row of its own
    board = deadline_dashboard(today=TODAY)
    assert [(r.label, r.counts) for r in board.by_team] == [
        ("North", BucketCounts(2, 0, 0)),
        ("South", BucketCounts(0, 1, 1)),
        ("No team", BucketCounts(0, 1, 0)),
    ]
    assert [(r.label, r.counts) for r in board.by_kind] == [
        ("Provider information request", BucketCounts(0, 1, 0)),
        ("Response target", BucketCounts(1, 0, 1)),
        ("Publication target", BucketCounts(1, 1, 0)),
    ]
    assert board.counts == BucketCounts(2, 2, 1)


# --- the 12-week record ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_weeks_run_monday_to_sunday_in_london_time(db):
    today = datetime.date(2027, 7, 14)  # Wednesday, British Summer Time
    # 00:30 on Monday 12 July in London is 23:30 on Sunday in UTC: it belongs to the week of 12 July.
    deadline(due="2027-07-09", state="met", met_on_time=False, closed_at=at("2027-07-12", 0, 30))
    deadline(due="2027-07-09", state="met", met_on_time=True, closed_at=at("2027-07-11", 23, 59))
    deadline(due="2027-07-09", state="missed", closed_at=at("2027-07-10", 0, 0))
    deadline(due="2027-07-09", state="met", met_on_time=True, closed_at=at("2027-07-05", 0, 0))
    deadline(due="2027-07-09", state="cancelled", closed_at=at("2027-07-06"))  # neither met nor missed
    # The first week of the chart begins on Monday 26 April; the Sunday before is outside it.
    deadline(due="2027-04-20", state="met", met_on_time=True, closed_at=at("2027-04-26", 0, 0))
    deadline(due="2027-04-20", state="missed", closed_at=at("2027-04-25", 23, 59))
    weeks = deadline_dashboard(today=today).weeks
    assert len(weeks) == 12
    assert (weeks[0].start_date, weeks[0].end_date) == (datetime.date(2027, 4, 26), datetime.date(2027, 5, 2))
    assert weeks[-1].start_date == datetime.date(2027, 7, 12)
    outcomes = {w.start_date: (w.on_time, w.late) for w in weeks if w.on_time or w.late}
    assert outcomes == {
        datetime.date(2027, 4, 26): (1, 0),
        datetime.date(2027, 7, 5): (2, 1),
        datetime.date(2027, 7, 12): (0, 1),
    }


@pytest.mark.django_db
def test_dashboard_chart_is_drawn_with_its_figures_in_a_table(staff_client):
    deadline(due="2027-03-01", state="met", met_on_time=True, closed_at=at("2027-03-02"))
    deadline(due="2027-03-01", state="met", met_on_time=True, closed_at=at("2027-03-03"))
    deadline(due="2027-03-01", state="missed", closed_at=at("2027-03-04"))
    text = staff_client.get(URL).text
    assert '<svg viewBox="0 0 640 240" width="100%" role="img" aria-labelledby="chart-title chart-desc"' in text
    assert "2 deadlines were met on time and 1 was late or missed" in text
    assert "Week beginning 1 Mar: 2 met on time" in text
    row = re.search(r"1 Mar to 7 Mar 2027</th>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", text)
    assert row and row.groups() == ("2", "1")
    assert text.count("<rect ") == 12 * 2 + 2  # two bars a week, and the legend's two keys


# --- filters -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_filters_by_team_kind_and_binds(staff_client):
    north = Team.objects.create(name="North")
    deadline(due=TODAY, team=north)
    deadline(due=TODAY, team=north, kind=Kind.PUBLICATION_TARGET)
    deadline(due=TODAY, kind=Kind.FACTUAL_ACCURACY_CHECK)
    deadline(due="2027-03-12", kind=Kind.PROVIDER_INFORMATION_REQUEST)
    assert _counts(staff_client.get(URL)) == (3, 1, 0)
    assert _counts(staff_client.get(URL, {"team": north.pk})) == (2, 0, 0)
    assert _counts(staff_client.get(URL, {"team": NO_TEAM})) == (1, 1, 0)
    assert _counts(staff_client.get(URL, {"kind": "publication_target"})) == (1, 0, 0)
    assert _counts(staff_client.get(URL, {"binds": "provider"})) == (1, 1, 0)
    assert _counts(staff_client.get(URL, {"binds": "staff", "team": north.pk, "kind": "response_target"})) == (1, 0, 0)
    response = staff_client.get(URL, {"binds": "provider"})
    assert '<option value="provider" selected>' in response.text
    assert "Showing only the deadlines that match the filters" in response.text


@pytest.mark.django_db
def test_dashboard_filter_with_unknown_value_shows_the_error_and_everything(staff_client):
    deadline(due=TODAY)
    response = staff_client.get(URL, {"team": "999999"})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "<title>Error: Deadlines" in response.text
    assert _counts(response) == (1, 0, 0)


@pytest.mark.django_db
def test_dashboard_selector_filters_match_the_form_values(db):
    team = Team.objects.create(name="East")
    deadline(due=TODAY, team=team)
    deadline(due=TODAY)
    assert deadline_dashboard(today=TODAY, filters=DashboardFilters(team=str(team.pk))).counts.due_today == 1
    assert deadline_dashboard(today=TODAY, filters=DashboardFilters(binds="provider")).counts.due_today == 0


# --- query budget --------------------------------------------------------------------------------------------------


def _many(n: int) -> None:
    """n deadlines spread over every bucket, team, kind and week of the chart."""
    teams = [Team.objects.create(name=f"Team {i}") for i in range(4)]
    owners = StaffFactory.create_batch(3)
    kinds = list(Kind)
    rows = []
    for i in range(n):
        common = {"team": teams[i % 4] if i % 5 else None, "owner": owners[i % 3], "kind": kinds[i % len(kinds)]}
        match i % 5:
            case 0:
                rows.append(deadline(due=TODAY, save=False, **common))
            case 1:
                rows.append(deadline(due=TODAY + datetime.timedelta(days=1 + i % 4), save=False, **common))
            case 2:
                rows.append(deadline(due=TODAY - datetime.timedelta(days=1 + i % 3), save=False, **common))
            case 3:
                closed = at((TODAY - datetime.timedelta(days=i % 80)).isoformat())
                rows.append(deadline(due="2026-12-01", state="missed", closed_at=closed, save=False, **common))
            case 4:
                closed = at((TODAY - datetime.timedelta(days=i % 80)).isoformat())
                rows.append(
                    deadline(due="2026-12-01", state="met", met_on_time=bool(i % 2), closed_at=closed, save=False)
                )
    Deadline.objects.bulk_create(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [5, 200])
def test_dashboard_query_budget_does_not_grow(staff_client, django_assert_max_num_queries, n):
    _many(n)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = staff_client.get(URL, {"team": "", "kind": "", "binds": "staff"})
    assert response.status_code == 200
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert staff_client.get(URL).status_code == 200


@pytest.mark.django_db
def test_dashboard_query_count_is_the_same_for_5_and_200_deadlines(staff_client):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    _many(5)
    few = page_queries()
    Deadline.objects.all().delete()
    Team.objects.all().delete()
    _many(200)
    assert page_queries() == few


# --- in a real browser -----------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_dashboard_passes_accessibility_check(page, live_server):
    staff = StaffFactory(email="dash@regulator.example")
    today = timezone.localdate()  # the live server reads the real clock
    team = Team.objects.create(name="North West 2")
    deadline(due=today, team=team, owner=staff)
    deadline(due=today - datetime.timedelta(days=2), kind=Kind.FACTUAL_ACCURACY_CHECK)
    deadline(due=today - datetime.timedelta(days=9), state="met", met_on_time=True)
    sign_in(page, live_server, staff.email)
    page.goto(f"{live_server.url}{URL}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deadlines")
    expect(page.get_by_role("img", name=re.compile("Deadlines met on time"))).to_be_visible()
    assert accessibility_violations(page) == []
    page.get_by_label("Who it binds").select_option("provider")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#count-missed")).to_have_text("1")
    expect(page.locator("#count-due-today")).to_have_text("0")
    assert accessibility_violations(page) == []
