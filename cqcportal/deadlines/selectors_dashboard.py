"""Reads for the staff deadlines dashboard: what is due today, later this week and missed, by team and by kind,
and how many deadlines were met on time in each of the last 12 weeks.

Every figure is counted by the database (conditional ``Count``s, ``TruncWeek``), so the page costs the same
fixed number of queries whether there are ten deadlines or a hundred thousand. ``today`` is passed in: these
functions never read the clock.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import TruncWeek

from cqcportal.accounts.models import Team
from cqcportal.deadlines.models import LIVE_STATES, Deadline, DeadlineState
from cqcportal.deadlines.rules import RULES, Kind

LONDON = ZoneInfo("Europe/London")
LIST_LIMIT = 50  # rows shown per list; the counts above each list are always complete
MISSED_LOOKBACK_WEEKS = 4
CHART_WEEKS = 12
NO_TEAM = "none"  # the team filter's value for deadlines that belong to no team (most provider windows)

BUCKETS = ("due_today", "due_this_week", "missed")


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard is narrowed to; an empty string means "all"."""

    team: str = ""  # a team's primary key, NO_TEAM, or ""
    kind: str = ""  # a Kind value, or ""
    binds: str = ""  # "provider", "staff", or ""


@dataclass(frozen=True)
class DashboardDates:
    """The dates the buckets are worked out from, all in Europe/London."""

    today: datetime.date
    week_end_date: datetime.date  # the Sunday of today's week
    missed_since_date: datetime.date  # missed deadlines closed on or after this day are shown
    chart_start_date: datetime.date  # the Monday of the chart's first week
    chart_end_date: datetime.date  # the Monday after the chart's last week (today's week)


@dataclass(frozen=True)
class BucketCounts:
    due_today: int = 0
    due_this_week: int = 0
    missed: int = 0


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    counts: BucketCounts


@dataclass(frozen=True)
class WeekOutcome:
    """Deadlines closed in one Monday–Sunday week: met on time, and late or missed."""

    start_date: datetime.date
    on_time: int
    late: int

    @property
    def end_date(self) -> datetime.date:
        return self.start_date + datetime.timedelta(days=6)


@dataclass
class DeadlineDashboard:
    dates: DashboardDates
    counts: BucketCounts
    due_today: list[Deadline]
    due_this_week: list[Deadline]
    missed: list[Deadline]
    by_team: list[BreakdownRow]
    by_kind: list[BreakdownRow]
    weeks: list[WeekOutcome] = field(default_factory=list)


def kind_label(kind: str) -> str:
    """The rule's label for a deadline kind ("Factual accuracy check")."""
    return RULES[Kind(kind)].label


def dashboard_dates(*, today: datetime.date) -> DashboardDates:
    """The week, look-back and chart dates for ``today``."""
    monday = today - datetime.timedelta(days=today.weekday())
    return DashboardDates(
        today=today,
        week_end_date=monday + datetime.timedelta(days=6),
        missed_since_date=today - datetime.timedelta(weeks=MISSED_LOOKBACK_WEEKS),
        chart_start_date=monday - datetime.timedelta(weeks=CHART_WEEKS - 1),
        chart_end_date=monday + datetime.timedelta(weeks=1),
    )


def dashboard_team_choices() -> list[tuple[int, str]]:
    """Every team, by name, for the team filter."""
    return list(Team.objects.order_by("name").values_list("pk", "name"))


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in London (closed_at is stored in UTC)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LONDON)


def _bucket_conditions(dates: DashboardDates) -> dict[str, Q]:
    # The buckets do not overlap, so the per-kind rows add up to the totals.
    return {
        "due_today": Q(state__in=LIVE_STATES, due_date=dates.today),
        "due_this_week": Q(state__in=LIVE_STATES, due_date__gt=dates.today, due_date__lte=dates.week_end_date),
        # Closed as missed in the look-back, or still open after its due date because the sweep has not reached
        # it yet. A paused deadline is not overdue: its clock is stopped and its due date moves when it resumes.
        "missed": Q(state=DeadlineState.MISSED, closed_at__gte=_start_of(dates.missed_since_date))
        | Q(state=DeadlineState.OPEN, due_date__lt=dates.today),
    }


def _filtered(filters: DashboardFilters) -> QuerySet[Deadline]:
    qs = Deadline.objects.all()
    if filters.team == NO_TEAM:
        qs = qs.filter(team__isnull=True)
    elif filters.team:
        qs = qs.filter(team_id=int(filters.team))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.binds:
        qs = qs.filter(binds=filters.binds)
    return qs


def _listed(qs: QuerySet[Deadline], *order: str) -> list[Deadline]:
    rows = list(qs.select_related("owner", "team", "provider", "location").order_by(*order)[:LIST_LIMIT])
    for row in rows:
        row.kind_label = kind_label(row.kind)
    return rows


def _counts(row: dict) -> BucketCounts:
    return BucketCounts(**{name: row[name] for name in BUCKETS})


def _breakdown(qs: QuerySet[Deadline], conditions: dict[str, Q], *group_by: str) -> list[dict]:
    any_bucket = conditions["due_today"] | conditions["due_this_week"] | conditions["missed"]
    return list(
        qs.filter(any_bucket)
        .values(*group_by)
        .annotate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
        .order_by(*group_by)
    )


def _weeks(qs: QuerySet[Deadline], dates: DashboardDates) -> list[WeekOutcome]:
    rows = (
        qs.filter(
            state__in=[DeadlineState.MET, DeadlineState.MISSED],
            closed_at__gte=_start_of(dates.chart_start_date),
            closed_at__lt=_start_of(dates.chart_end_date),
        )
        .annotate(week=TruncWeek("closed_at", tzinfo=LONDON, output_field=DateField()))
        .values("week")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=Q(state=DeadlineState.MET, met_on_time=True)))
        .order_by("week")
    )
    by_week = {row["week"]: row for row in rows}
    weeks = []
    for n in range(CHART_WEEKS):
        start = dates.chart_start_date + datetime.timedelta(weeks=n)
        row = by_week.get(start, {"total": 0, "on_time": 0})
        weeks.append(WeekOutcome(start_date=start, on_time=row["on_time"], late=row["total"] - row["on_time"]))
    return weeks


def deadline_dashboard(*, today: datetime.date, filters: DashboardFilters | None = None) -> DeadlineDashboard:
    """Counts, lists, breakdowns and the 12-week chart of the deadlines dashboard, in six queries.

    :raises ValueError: when ``filters.team`` is neither a team's primary key, NO_TEAM nor empty.
    """
    filters = filters or DashboardFilters()
    dates = dashboard_dates(today=today)
    conditions = _bucket_conditions(dates)
    qs = _filtered(filters)

    by_kind_rows = _breakdown(qs, conditions, "kind")
    by_kind_rows.sort(key=lambda row: list(Kind).index(Kind(row["kind"])))
    by_kind = [BreakdownRow(label=kind_label(row["kind"]), counts=_counts(row)) for row in by_kind_rows]
    # Every deadline has exactly one kind and the buckets do not overlap, so the totals are the rows' sums.
    counts = BucketCounts(**{name: sum(row[name] for row in by_kind_rows) for name in BUCKETS})

    by_team_rows = _breakdown(qs, conditions, "team__name")  # team names are unique
    by_team_rows.sort(key=lambda row: (row["team__name"] is None, row["team__name"] or ""))  # "No team" last
    by_team = [BreakdownRow(label=row["team__name"] or "No team", counts=_counts(row)) for row in by_team_rows]

    return DeadlineDashboard(
        dates=dates,
        counts=counts,
        due_today=_listed(qs.filter(conditions["due_today"]), "due_date", "pk"),
        due_this_week=_listed(qs.filter(conditions["due_this_week"]), "due_date", "pk"),
        missed=_listed(qs.filter(conditions["missed"]), "-due_date", "-pk"),
        by_team=by_team,
        by_kind=by_kind,
        weeks=_weeks(qs, dates),
    )
