"""Special measures and escalation on PostgreSQL: entry when an inadequate overall rating is published, the
re-assessment target, the outcome, the tasks after repeated ratings of requires improvement, and the pages."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments.tests.test_rating_reviews import _assessed
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.register.models import PublishedRating
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory
from cqcportal.tests.flows import report_published
from enforcement import special_measures as services
from enforcement.models import EscalationTask, EscalationTaskKind, SpecialMeasures

LONDON = ZoneInfo("Europe/London")
PUBLISHED = datetime.date(2026, 12, 18)
INADEQUATE, REQUIRES_IMPROVEMENT, GOOD = 1, 2, 3  # the score of every statement, and so the overall rating


def at(day, hour=10, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(at(PUBLISHED), tick=False) as traveller:
        yield traveller


def _publish(inspector, location, score):
    return report_published(_assessed(inspector, location, score=score), by=inspector)


def _publish_later(clock, inspector, location, score, *, days=120):
    """Move the clock on (the next assessment comes months later) and publish a report scored ``score``."""
    clock.move_to(at(timezone.localdate() + datetime.timedelta(days=days)))
    return _publish(inspector, location, score)


@pytest.fixture
def in_special_measures(clock, inspector, location, provider_user):
    _publish(inspector, location, INADEQUATE)
    return SpecialMeasures.objects.get(location=location)


@pytest.mark.django_db
def test_special_measures_entered_on_publishing_an_inadequate_overall(in_special_measures, inspector, location):
    record = in_special_measures
    assert PublishedRating.objects.get(location=location, key_question="overall", is_current=True).rating == (
        "inadequate"
    )
    assert record.state == "in_special_measures"
    assert record.entered_date == PUBLISHED
    assert record.review_by_date == PUBLISHED + datetime.timedelta(days=183)  # about 6 months
    assert "inadequate overall" in record.reason
    target = Deadline.objects.get(kind=Kind.SPECIAL_MEASURES_REASSESSMENT)
    assert (target.state, target.due_date, target.binds, target.unit) == (
        DeadlineState.OPEN,
        datetime.date(2027, 6, 19),
        "staff",
        "calendar_days",
    )
    assert target.owner == inspector and target.location == location
    assert AuditEvent.objects.filter(action="special_measures.enter", object_id=str(record.pk)).count() == 1
    assert not EscalationTask.objects.exists()


@pytest.mark.django_db
def test_special_measures_not_entered_twice(in_special_measures, clock, inspector, location):
    assert services.special_measures_check(location=location, by=inspector, today=PUBLISHED).special_measures is None
    _publish_later(clock, inspector, location, INADEQUATE)  # re-assessed and still inadequate: staff decide
    assert SpecialMeasures.objects.filter(location=location).count() == 1
    assert Deadline.objects.filter(kind=Kind.SPECIAL_MEASURES_REASSESSMENT).count() == 1


@pytest.mark.django_db
def test_special_measures_not_entered_for_good_or_requires_improvement(clock, inspector, location, provider_user):
    _publish(inspector, location, REQUIRES_IMPROVEMENT)
    _publish_later(clock, inspector, location, GOOD)
    assert not SpecialMeasures.objects.exists()
    assert not EscalationTask.objects.exists()


@pytest.mark.django_db
def test_special_measures_leave_needs_a_better_rating_and_meets_the_target(
    in_special_measures, clock, inspector, location
):
    with pytest.raises(services.SpecialMeasuresCannotChange, match="still inadequate"):
        services.special_measures_leave(by=inspector, record=in_special_measures, outcome="Improved.")
    _publish_later(clock, inspector, location, GOOD)
    # A better rating alone does not take it out: staff record the outcome.
    assert services.special_measures_open_for(location.pk) == in_special_measures
    record = services.special_measures_leave(
        by=inspector, record=in_special_measures, outcome="Re-assessed: rated good; leaves special measures."
    )
    assert (record.state, record.closed_by) == ("left_improved", inspector)
    target = Deadline.objects.get(kind=Kind.SPECIAL_MEASURES_REASSESSMENT)
    assert target.state == DeadlineState.MET and target.met_on_time
    assert services.special_measures_open_for(location.pk) is None
    with pytest.raises(services.SpecialMeasuresCannotChange, match="already left"):
        services.special_measures_propose_cancellation(by=inspector, record=record, outcome="No.")


@pytest.mark.django_db
def test_special_measures_proposal_to_cancel_is_recorded_and_cancels_the_target(in_special_measures, inspector):
    with pytest.raises(services.SpecialMeasuresCannotChange, match="Enter the outcome"):
        services.special_measures_propose_cancellation(by=inspector, record=in_special_measures, outcome="  ")
    record = services.special_measures_propose_cancellation(
        by=inspector, record=in_special_measures, outcome="Not improved: notice of proposal to cancel to be served."
    )
    assert record.state == "cancellation_proposed" and record.outcome.startswith("Not improved")
    assert Deadline.objects.get(kind=Kind.SPECIAL_MEASURES_REASSESSMENT).state == DeadlineState.CANCELLED
    assert AuditEvent.objects.filter(action="special_measures.propose_cancellation").count() == 1


@pytest.mark.django_db
def test_special_measures_outcome_refused_for_provider_users(in_special_measures, provider_user):
    with pytest.raises(services.SpecialMeasuresCannotChange, match="Only the regulator's staff"):
        services.special_measures_propose_cancellation(by=provider_user, record=in_special_measures, outcome="x")


@pytest.mark.django_db
def test_special_measures_entered_again_after_leaving_when_rated_inadequate_again(
    in_special_measures, clock, inspector, location
):
    _publish_later(clock, inspector, location, GOOD)
    services.special_measures_leave(by=inspector, record=in_special_measures, outcome="Improved.")
    _publish_later(clock, inspector, location, INADEQUATE)
    assert SpecialMeasures.objects.filter(location=location).count() == 2
    assert services.special_measures_open_for(location.pk).entered_date > PUBLISHED


@pytest.mark.django_db
def test_two_requires_improvement_in_a_row_raise_a_regulation_17_task(clock, inspector, location, provider_user):
    _publish(inspector, location, REQUIRES_IMPROVEMENT)
    assert not EscalationTask.objects.exists()
    _publish_later(clock, inspector, location, REQUIRES_IMPROVEMENT)
    task = EscalationTask.objects.get()
    assert (task.kind, task.state, task.location) == (EscalationTaskKind.CONSIDER_REGULATION_17, "open", location)
    assert "regulation 17" in task.reason and "written report" in task.reason
    today = timezone.localdate()
    assert services.special_measures_check(location=location, by=inspector, today=today).tasks == []
    assert EscalationTask.objects.count() == 1
    with pytest.raises(services.SpecialMeasuresCannotChange, match="not a meeting"):
        services.escalation_task_meeting_schedule(by=inspector, task=task, meeting_date=today, today=today)
    done = services.escalation_task_complete(
        by=inspector, task=task, notes="Breach of regulation 17 found; improvement report asked for by 1 June."
    )
    assert (done.state, done.done_by) == ("done", inspector)


@pytest.mark.django_db
def test_three_requires_improvement_in_a_row_raise_a_management_review_meeting(
    clock, inspector, location, provider_user
):
    _publish(inspector, location, REQUIRES_IMPROVEMENT)
    _publish_later(clock, inspector, location, REQUIRES_IMPROVEMENT)
    _publish_later(clock, inspector, location, REQUIRES_IMPROVEMENT)
    meeting = EscalationTask.objects.get(kind=EscalationTaskKind.MANAGEMENT_REVIEW_MEETING)
    assert "three assessments in a row" in meeting.reason
    # The regulation 17 task from the second report is still open alongside it; no second one is raised.
    assert EscalationTask.objects.filter(kind=EscalationTaskKind.CONSIDER_REGULATION_17).count() == 1
    today = timezone.localdate()
    with pytest.raises(services.SpecialMeasuresCannotChange, match="Schedule the meeting first"):
        services.escalation_task_meeting_record(by=inspector, task=meeting, notes="Met.")
    with pytest.raises(services.SpecialMeasuresCannotChange, match="today or in the future"):
        services.escalation_task_meeting_schedule(
            by=inspector, task=meeting, meeting_date=today - datetime.timedelta(days=1), today=today
        )
    scheduled = services.escalation_task_meeting_schedule(
        by=inspector, task=meeting, meeting_date=today + datetime.timedelta(days=14), today=today
    )
    assert (scheduled.state, scheduled.meeting_date) == ("meeting_scheduled", today + datetime.timedelta(days=14))
    recorded = services.escalation_task_meeting_record(
        by=inspector, task=scheduled, notes="Agreed a warning notice on governance."
    )
    assert recorded.state == "done" and recorded.notes.startswith("Agreed")


@pytest.mark.django_db
def test_public_profile_shows_special_measures_while_in(in_special_measures, client, inspector, location):
    text = client.get(reverse("register:location", args=[location.cqc_id])).text
    assert "This service is in special measures since 18 December 2026." in text
    services.special_measures_propose_cancellation(by=inspector, record=in_special_measures, outcome="Proposed.")
    assert "special measures" not in client.get(reverse("register:location", args=[location.cqc_id])).text


@pytest.mark.django_db
def test_special_measures_pages_record_the_outcome(in_special_measures, client, inspector, location):
    client.force_login(inspector)
    listing = client.get(reverse("special_measures:list")).text
    assert location.name in listing and "183 days left" in listing and "19 Jun 2027" in listing
    url = reverse("special_measures:detail", args=[in_special_measures.pk])
    assert "Record the outcome" in client.get(url).text
    outcome_url = reverse("special_measures:outcome", args=[in_special_measures.pk])
    refused = client.post(outcome_url, {"choice": "left_improved", "outcome": "Better."})
    assert refused.status_code == 200 and "still inadequate" in refused.text
    missing = client.post(outcome_url, {"choice": "cancellation_proposed", "outcome": ""})
    assert "Enter the outcome." in missing.text
    response = client.post(outcome_url, {"choice": "cancellation_proposed", "outcome": "Notice of proposal."})
    assert response.status_code == 302
    assert SpecialMeasures.objects.get().state == "cancellation_proposed"
    assert location.name not in client.get(reverse("special_measures:list")).text


@pytest.mark.django_db
def test_escalation_task_pages_schedule_and_record_a_meeting(clock, client, inspector, location):
    task = _task(location, EscalationTaskKind.MANAGEMENT_REVIEW_MEETING)
    client.force_login(inspector)
    url = reverse("special_measures:task", args=[task.pk])
    assert "Schedule the meeting" in client.get(url).text
    assert task.get_kind_display() in client.get(reverse("special_measures:list")).text
    schedule = reverse("special_measures:task-schedule", args=[task.pk])
    assert "Enter the date of the meeting." in client.post(schedule, {}).text
    assert "must be a real date" in client.post(schedule, {"day": "31", "month": "2", "year": "2027"}).text
    assert client.post(schedule, {"day": "8", "month": "1", "year": "2027"}).status_code == 302
    page = client.get(url).text
    assert "Friday 8 January 2027" in page and "Record the meeting" in page
    done = reverse("special_measures:task-done", args=[task.pk])
    assert "Enter what was decided." in client.post(done, {"notes": ""}).text
    assert client.post(done, {"notes": "Agreed to re-assess in March."}).status_code == 302
    assert EscalationTask.objects.get().state == "done"
    assert "No escalation tasks to do." in client.get(reverse("special_measures:list")).text


@pytest.mark.django_db
def test_escalation_task_pages_mark_a_regulation_17_task_done(clock, client, inspector, location):
    task = _task(location, EscalationTaskKind.CONSIDER_REGULATION_17)
    client.force_login(inspector)
    page = client.get(reverse("special_measures:task", args=[task.pk])).text
    assert "Mark as done" in page and "Schedule the meeting" not in page
    done = reverse("special_measures:task-done", args=[task.pk])
    assert client.post(done, {"notes": "Improvement report asked for."}).status_code == 302
    assert EscalationTask.objects.get().state == "done"


@pytest.mark.django_db
def test_special_measures_pages_are_not_found_for_provider_users(in_special_measures, client, location):
    task = _task(location, EscalationTaskKind.MANAGEMENT_REVIEW_MEETING)
    client.force_login(ProviderUserFactory(membership__provider=location.provider, membership__role="colleague"))
    for url in (
        reverse("special_measures:list"),
        reverse("special_measures:detail", args=[in_special_measures.pk]),
        reverse("special_measures:task", args=[task.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (reverse("special_measures:outcome", args=[in_special_measures.pk]), {"choice": "x", "outcome": "x"}),
        (reverse("special_measures:task-schedule", args=[task.pk]), {"day": "1", "month": "1", "year": "2030"}),
        (reverse("special_measures:task-done", args=[task.pk]), {"notes": "x"}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert SpecialMeasures.objects.get().state == "in_special_measures"


@pytest.mark.django_db
def test_special_measures_pages_send_anonymous_people_to_sign_in(client):
    response = client.get(reverse("special_measures:list"))
    assert response.status_code == 302 and "sign" in response["Location"].lower()


def _rating(location, rating="inadequate"):
    return PublishedRating.objects.create(
        location=location,
        key_question="overall",
        rating=rating,
        report_date=PUBLISHED,
        report_link_id="",
        source=PublishedRating.Source.ASSESSMENT,
        is_current=False,  # history is enough here: the pages do not read it
    )


def _task(location, kind):
    return EscalationTask.objects.create(
        location=location,
        provider=location.provider,
        kind=kind,
        published_rating=_rating(location, "requires_improvement"),
        reason="Requires improvement again.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_special_measures_list_query_budget_does_not_grow(clock, client, django_assert_max_num_queries, inspector, n):
    for _ in range(n):
        location = LocationFactory()
        SpecialMeasures.objects.create(
            location=location,
            provider=location.provider,
            published_rating=_rating(location),
            reason="Rated inadequate overall.",
            entered_date=PUBLISHED,
            review_by_date=PUBLISHED + datetime.timedelta(days=183),
        )
        _task(location, EscalationTaskKind.MANAGEMENT_REVIEW_MEETING)
    client.force_login(inspector)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("special_measures:list"))
    assert response.status_code == 200 and response.text.count("183 days left") == n
    record = SpecialMeasures.objects.first()
    with django_assert_max_num_queries(10):
        assert client.get(reverse("special_measures:detail", args=[record.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("special_measures:task", args=[EscalationTask.objects.first().pk])).status_code == 200
