"""The inspector's caseload: whose assessments it lists, in what order, with what counts, a page at a time."""

import datetime

import pytest
from django.core.paginator import Paginator
from django.db import transaction
from django.urls import reverse

from assessments import selectors
from assessments.models import AssessmentState, AssessmentTeamMember, QualityStatement
from assessments.services import assessment_create, assessment_start, statement_score_set
from cqcportal.tests.factories import LocationFactory, StaffFactory


def _planned(by, *, onsite=None, statements=None):
    with transaction.atomic():
        return assessment_create(
            by=by,
            location=LocationFactory(),
            kind="planned",
            announced=True,
            onsite_start_date=onsite,
            onsite_end_date=onsite,
            statements=statements,
        )


@pytest.mark.django_db
def test_caseload_lists_what_the_inspector_leads_or_is_on_the_team_of_and_nothing_else(inspector):
    colleague = StaffFactory()
    led = _planned(inspector)
    teamed = _planned(colleague)
    AssessmentTeamMember.objects.create(assessment=teamed, user=inspector, name="Isla", role="inspector")
    _planned(colleague)  # someone else's

    page = selectors.caseload_page(inspector, per_page=50)

    assert {a.pk for a in page.object_list} == {led.pk, teamed.pk}
    assert page.paginator.count == 2
    assert {a.pk for a in selectors.caseload_for(inspector)} == {led.pk, teamed.pk}


@pytest.mark.django_db
def test_caseload_orders_by_state_then_on_site_date_and_filters_by_state(inspector):
    statements = list(QualityStatement.objects.order_by("order")[:3])
    late = _planned(inspector, onsite=datetime.date(2027, 3, 1), statements=statements)
    early = _planned(inspector, onsite=datetime.date(2027, 2, 1), statements=statements)
    with transaction.atomic():
        begun = assessment_start(by=inspector, assessment=_planned(inspector, statements=statements))
    statement_score_set(
        by=inspector,
        assessment=begun,
        statement=statements[0],
        score=3,
        summary="Safe staffing",
        judgement="",
        expected_version=None,
    )

    rows = selectors.caseload_page(inspector, per_page=50).object_list

    assert [a.pk for a in rows] == [begun.pk, early.pk, late.pk]  # in progress sorts before planned
    assert (rows[0].scored, rows[0].in_scope) == (1, 3)
    assert (rows[1].scored, rows[1].in_scope) == (0, 3)
    assert rows[0].location_name == begun.location.name
    assert rows[0].url == reverse("assessments:workspace", args=[begun.pk])
    assert (rows[0].state_label, rows[1].state_label) == ("In progress", "Planned")
    planned = selectors.caseload_page(inspector, state=AssessmentState.PLANNED, per_page=50)
    assert [a.pk for a in planned.object_list] == [early.pk, late.pk]
    assert planned.paginator.count == 2


@pytest.mark.django_db
def test_caseload_pages_keep_the_order_and_an_unknown_page_is_the_last(client, inspector):
    made = [_planned(inspector, onsite=datetime.date(2027, 1, day)) for day in range(1, 6)]

    first = selectors.caseload_page(inspector, per_page=2)
    third = selectors.caseload_page(inspector, page_number="3", per_page=2)
    beyond = selectors.caseload_page(inspector, page_number="99", per_page=2)

    assert [a.pk for a in first.object_list] == [made[0].pk, made[1].pk]
    assert [a.pk for a in third.object_list] == [made[4].pk]
    assert beyond.number == 3
    client.force_login(inspector)
    response = client.get(reverse("assessments:caseload"), {"state": "not-a-state"})
    assert response.status_code == 200
    for assessment in made:
        assert assessment.location.name in response.text


@pytest.mark.django_db
def test_caseload_order_is_the_tables_own_for_led_and_team_only_assessments_each_listed_once(inspector):
    """The caseload's order, read from the lead index and the team table, is the one the assessments table gives
    (state, on-site date, newest first, then id), with a team-only assessment in its place, an assessment led and
    teamed listed once, and the newest first even when created within the same millisecond."""
    colleague = StaffFactory()
    onsite = datetime.date(2027, 4, 1)
    led = [_planned(inspector, onsite=onsite) for _ in range(3)]
    teamed = _planned(colleague, onsite=onsite)
    AssessmentTeamMember.objects.create(assessment=teamed, user=inspector, name="Isla", role="inspector")
    AssessmentTeamMember.objects.create(assessment=led[0], user=inspector, name="Isla", role="inspector")
    undated = _planned(colleague)
    AssessmentTeamMember.objects.create(assessment=undated, user=inspector, name="Isla", role="inspector")
    # Microseconds apart, in the opposite order to their ids: only the moments can order them.
    base = led[0].created_at
    for n, assessment in enumerate([led[2], led[1], teamed, led[0]]):
        type(assessment).objects.filter(pk=assessment.pk).update(created_at=base + datetime.timedelta(microseconds=n))

    expected = list(selectors.caseload_for(inspector).values_list("pk", flat=True))
    rows = selectors.caseload_page(inspector, per_page=50).object_list

    assert [row.pk for row in rows] == expected
    assert expected == [led[0].pk, teamed.pk, led[1].pk, led[2].pk, undated.pk]
    planned = selectors.caseload_page(inspector, state=AssessmentState.PLANNED, per_page=50)
    assert [row.pk for row in planned.object_list] == expected
    assert selectors.caseload_page(inspector, state=AssessmentState.IN_PROGRESS, per_page=50).paginator.count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("per_page", [2, 5])
def test_caseload_pages_are_the_ones_django_s_paginator_gives_for_any_page_asked_for(inspector, per_page):
    """One statement reads a page and the caseload's size; a page asked for past either end, or not a number, is
    the page ``Paginator.get_page`` gives, with the same rows, count and number."""
    colleague = StaffFactory()
    for day in range(1, 6):
        _planned(inspector, onsite=datetime.date(2027, 1, day))
    teamed = _planned(colleague, onsite=datetime.date(2027, 1, 3))
    AssessmentTeamMember.objects.create(assessment=teamed, user=inspector, name="Isla", role="inspector")
    ordered = list(selectors.caseload_for(inspector).values_list("pk", flat=True))
    assert len(ordered) == 6

    for asked in [None, "", "1", "2", "3", "4", "99", "0", "-1", "abc", "2.5", "1e3"]:
        page = selectors.caseload_page(inspector, page_number=asked, per_page=per_page)
        django_s = Paginator(ordered, per_page).get_page(asked)
        assert (page.number, page.paginator.count, page.paginator.num_pages) == (
            django_s.number,
            6,
            django_s.paginator.num_pages,
        ), asked
        assert [row.pk for row in page.object_list] == list(django_s.object_list), asked
        assert (page.has_next(), page.has_previous()) == (django_s.has_next(), django_s.has_previous()), asked


@pytest.mark.django_db
def test_an_empty_caseload_is_one_empty_page_whatever_page_is_asked_for(inspector):
    _planned(StaffFactory())  # someone else's
    for asked in [None, "1", "3", "0", "x"]:
        page = selectors.caseload_page(inspector, page_number=asked, per_page=2)
        assert (page.number, page.paginator.count, list(page.object_list)) == (1, 0, []), asked
        assert not page.has_other_pages()
    in_state = selectors.caseload_page(inspector, state=AssessmentState.COMPLETED, page_number="2", per_page=2)
    assert (in_state.number, in_state.paginator.count) == (1, 0)
