"""An open complaint about the regulator about a location pauses rating reviews there; closing it resumes them."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from assessments import review_services
from assessments.models import RatingReview, RatingReviewState
from cqcportal.complaints.selectors import open_complaint_reasons
from cqcportal.complaints.services import complaint_close, complaint_escalate, complaint_record
from cqcportal.deadlines.models import DeadlinePause, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_open
from cqcportal.tests.factories import LocationFactory
from factual_accuracy.services import report_create
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture

RECEIVED = datetime.date(2027, 3, 3)


def _record(by, location, received=RECEIVED):
    return complaint_record(
        by=by,
        location=location,
        complainant="Ann Smith",
        about="The inspection was cut short.",
        received_date=received,
        today=received,
    )


@pytest.mark.django_db
def test_open_complaint_reasons_while_open_and_none_after_close(inspector, location):
    other = LocationFactory()
    assert open_complaint_reasons(location.pk) == []
    first = _record(inspector, location)
    _record(inspector, location, received=datetime.date(2027, 3, 10))
    _record(inspector, other)
    _record(inspector, None)
    assert open_complaint_reasons(location.pk) == [
        "A complaint about the regulator received 3 March 2027 is open.",
        "A complaint about the regulator received 10 March 2027 is open.",
    ]
    # Registered when the app is ready, so reviews hear of it; the words name no complainant.
    assert review_services.pause_reasons(location.pk) == open_complaint_reasons(location.pk)
    assert "Ann Smith" not in " ".join(review_services.pause_reasons(location.pk))
    complaint_escalate(by=inspector, complaint=first, today=RECEIVED)
    assert len(open_complaint_reasons(location.pk)) == 2  # still open while formally investigated
    for complaint in location.complaints_about_regulator.all():
        complaint_close(by=inspector, complaint=complaint, outcome="Resolved.", today=RECEIVED)
    assert open_complaint_reasons(location.pk) == []
    assert review_services.pause_reasons(location.pk) == []
    assert len(open_complaint_reasons(other.pk)) == 1


@pytest.fixture
def review_under_way(inspector, completed):  # noqa: F811
    """A rating review at the location, submitted, with its 50-working-day target running."""
    with transaction.atomic():
        report = report_create(by=inspector, assessment=completed)
        review = RatingReview.objects.create(
            report=report,
            location=report.location,
            provider=report.provider,
            state=RatingReviewState.SUBMITTED,
            created_by=inspector,
            created_at=timezone.now(),
            updated_by=inspector,
            updated_at=timezone.now(),
            submitted_by=inspector,
            submitted_at=timezone.now(),
        )
        deadline_open(
            case=review,
            kind=Kind.RATING_REVIEW_TARGET,
            start_date=datetime.date(2027, 3, 1),
            case_description="Rating review",
            location=review.location,
            owner=inspector,
            by=inspector,
        )
    return review


def _target(review):
    from cqcportal.deadlines.models import Deadline

    return Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET, object_id=str(review.pk))


@pytest.mark.django_db
def test_complaint_pauses_the_review_target_until_it_closes(inspector, review_under_way):
    before = _target(review_under_way).due_date
    complaint = _record(inspector, review_under_way.location)
    target = _target(review_under_way)
    assert target.state == DeadlineState.PAUSED and target.paused_on == RECEIVED
    assert DeadlinePause.objects.get(deadline=target).reason == (
        "A complaint about the regulator received 3 March 2027 is open."
    )
    closed_on = datetime.date(2027, 3, 10)  # five working days later
    complaint_close(by=inspector, complaint=complaint, outcome="Resolved informally.", today=closed_on)
    target = _target(review_under_way)
    assert target.state == DeadlineState.OPEN
    assert target.paused_days == 5 and target.due_date > before


@pytest.mark.django_db
def test_complaint_about_another_location_or_none_leaves_the_review_running(inspector, review_under_way):
    _record(inspector, LocationFactory())
    _record(inspector, None)
    assert _target(review_under_way).state == DeadlineState.OPEN
