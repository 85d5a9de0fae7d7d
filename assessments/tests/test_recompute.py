"""Recomputing every location's ratings from its scores (after a rule change): set-based, the same answer as each
location's own working, statuses kept, changes audited."""

import datetime

import pytest
from django.db import transaction

from assessments.models import EnforcementLimit, LocationRating, QualityStatement
from assessments.services import (
    assessment_complete,
    assessment_create,
    assessment_start,
    location_rating_suspend,
    locations_ratings_recompute,
)
from assessments.tests.test_assessments import _score_all
from assessments.working import location_working
from cqcportal.audit.models import AuditEvent
from cqcportal.register.models import KeyQuestion, PublishedRating
from cqcportal.tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

FIELDS = ["rating", "calculated_rating", "percent", "published_score", "explanation", "enforcement_limit"]


def _assessed(inspector, scores, *, service_types=("Residential homes",)):
    location = LocationFactory(service_types=list(service_types))
    scored = [kq for kq, values in scores.items() if values != [None]]
    with transaction.atomic():
        assessment = assessment_create(
            by=inspector,
            location=location,
            kind="planned",
            announced=True,
            statements=list(QualityStatement.objects.filter(key_question__in=scored).order_by("order")),
        )
    assessment_start(by=inspector, assessment=assessment)
    _score_all(assessment, inspector, scores)
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=assessment)
    return location


def _stored(location) -> dict:
    return {
        r.key_question: tuple(getattr(r, f) for f in FIELDS) for r in LocationRating.objects.filter(location=location)
    }


@pytest.fixture
def assessed(inspector):
    good = _assessed(inspector, {kq: [3] for kq in ("safe", "effective", "caring", "responsive", "well_led")})
    mixed = _assessed(
        inspector, {"safe": [2, 1], "effective": [3], "caring": [4, 3], "responsive": [3, 2], "well_led": [2]}
    )
    # Part-scored, with ratings under the previous model for the statements it did not score.
    partial = _assessed(
        inspector, {"safe": [3], "effective": [None], "caring": [3], "responsive": [2], "well_led": [4]}
    )
    PublishedRating.objects.bulk_create(
        PublishedRating(
            location=partial,
            key_question=kq,
            rating="outstanding",
            report_date=datetime.date(2021, 3, 1),
            source=PublishedRating.Source.PREVIOUS_MODEL,
        )
        for kq in KeyQuestion
        if kq != KeyQuestion.OVERALL
    )
    return [good, mixed, partial]


def test_recompute_gives_each_location_what_its_own_working_gives(assessed, inspector):
    EnforcementLimit.objects.create(
        location=assessed[0],
        key_question="safe",
        action="warning_notice",
        reason="Unsafe staffing",
        in_force_from=datetime.date(2020, 1, 1),
    )
    # What the ratings were when stored, then wrong (as after a change to the rules), then recomputed.
    LocationRating.objects.update(rating="outstanding", calculated_rating="outstanding", explanation="old rules")
    with transaction.atomic():
        result = locations_ratings_recompute(by=inspector)
    assert (result.locations, result.ratings) == (3, 18)
    for location in assessed:
        working = location_working(location)
        stored = _stored(location)
        for kq in working.key_questions:
            assert stored[kq.key_question][0] == kq.rating.slug, (location, kq.key_question)
            assert stored[kq.key_question][4] == kq.explanation
        assert stored["overall"][0] == working.overall.slug
    assert _stored(assessed[0])["safe"][0] == "inadequate"  # the limit in force
    # Effective was not scored: its statements take initial scores from the previous model's outstanding.
    assert _stored(assessed[2])["effective"][0] == "outstanding"


def test_recompute_keeps_a_suspension_and_audits_only_what_changed(assessed, inspector):
    location_rating_suspend(by=inspector, location=assessed[1], reason="Serious concerns", today=datetime.date.today())
    LocationRating.objects.filter(location=assessed[2], key_question="overall").update(rating="inadequate")
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    with transaction.atomic():
        result = locations_ratings_recompute(by=inspector)
    assert result.changed == 1
    suspended = LocationRating.objects.get(location=assessed[1], key_question="overall")
    assert (suspended.status, suspended.status_reason) == (LocationRating.Status.SUSPENDED, "Serious concerns")
    event = AuditEvent.objects.get(pk__gt=before)
    assert (event.action, event.object_id, event.from_state) == (
        "rating.recalculate",
        str(assessed[2].pk),
        "inadequate",
    )
    assert event.provider_id == assessed[2].provider_id and event.to_state == _stored(assessed[2])["overall"][0]
    with transaction.atomic():
        assert locations_ratings_recompute(by=inspector).changed == 0  # nothing changed the second time


def test_recompute_of_named_locations_leaves_the_others(assessed, inspector):
    LocationRating.objects.update(rating="outstanding")
    with transaction.atomic():
        result = locations_ratings_recompute(by=inspector, location_ids=[assessed[1].pk])
    assert result.locations == 1
    assert _stored(assessed[0])["overall"][0] == "outstanding"
    assert _stored(assessed[1])["overall"][0] != "outstanding"


def test_recompute_queries_do_not_grow_with_the_locations(inspector, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 3):
        for _ in range(n if not counts else n - 1):
            _assessed(inspector, {kq: [3] for kq in ("safe", "effective", "caring", "responsive", "well_led")})
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            locations_ratings_recompute(by=inspector)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts
