"""The staff deadlines dashboard: what is due today and this week, what was missed, and the 12-week record."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cqcportal.accounts import rules as perms
from cqcportal.deadlines import selectors_dashboard as selectors
from cqcportal.deadlines.rules import RULES, Binds


# The filter form lives here rather than in a forms.py because it is the only form of this page and of the app.
class DeadlineFilterForm(forms.Form):
    team = forms.ChoiceField(label="Team", required=False)
    kind = forms.ChoiceField(
        label="Kind of deadline",
        required=False,
        choices=[("", "All kinds"), *[(kind.value, rule.label) for kind, rule in RULES.items()]],
    )
    binds = forms.ChoiceField(
        label="Who it binds",
        required=False,
        choices=[("", "Providers and staff"), (Binds.PROVIDER.value, "Providers"), (Binds.STAFF.value, "Staff")],
    )

    def __init__(self, *args, teams: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [
            ("", "All teams"),
            *[(str(pk), name) for pk, name in teams],
            (selectors.NO_TEAM, "No team"),
        ]


# The chart's drawing area, in SVG user units (the SVG scales to the width of its column).
CHART_WIDTH, CHART_HEIGHT = 640, 240
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM = 36, 12, 200


def _chart(weeks: list[selectors.WeekOutcome]) -> dict:
    """Bar positions for the weekly chart: two bars a week, on time and late or missed, on a shared scale."""
    top = max([1, *(max(w.on_time, w.late) for w in weeks)])
    plot_height = PLOT_BOTTOM - PLOT_TOP
    slot = (CHART_WIDTH - PLOT_LEFT) / len(weeks)
    bar = slot * 0.35
    groups = []
    for n, week in enumerate(weeks):
        x = PLOT_LEFT + n * slot + slot * 0.15
        bars = []
        for offset, value, name in ((0, week.on_time, "on_time"), (bar, week.late, "late")):
            height = round(plot_height * value / top, 1)
            bars.append(
                {
                    "name": name,
                    "value": value,
                    "x": round(x + offset, 1),
                    "y": round(PLOT_BOTTOM - height, 1),
                    "h": height,
                }
            )
        groups.append({"week": week, "bars": bars, "label_x": round(x + bar, 1)})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PLOT_LEFT,
        "top": PLOT_TOP,
        "bottom": PLOT_BOTTOM,
        "label_y": PLOT_BOTTOM + 18,
        "bar_width": round(bar, 1),
        "max": top,
        "groups": groups,
        "on_time": sum(w.on_time for w in weeks),
        "late": sum(w.late for w in weeks),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404("The deadlines dashboard is for the regulator's staff.")
    form = DeadlineFilterForm(request.GET or None, teams=selectors.dashboard_team_choices())
    filters = selectors.DashboardFilters(**form.cleaned_data) if form.is_bound and form.is_valid() else None
    board = selectors.deadline_dashboard(today=timezone.localdate(), filters=filters)
    return render(
        request,
        "deadlines/dashboard.html",
        {
            "form": form,
            "board": board,
            "chart": _chart(board.weeks),
            "filtered": filters is not None and any(vars(filters).values()),
        },
    )
