"""Rating reviews through their services and pages, on PostgreSQL: the window, the refusals, the decision, pauses."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from assessments import review_services as services
from assessments.models import (
    QualityStatement,
    RatingDeparture,
    RatingReview,
    RatingReviewChange,
    RatingReviewState,
)
from assessments.services import assessment_complete, assessment_create, assessment_start, statement_score_set
from cqcportal import workdays
from cqcportal.accounts.models import StaffRole
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.register.models import PublishedRating
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from cqcportal.tests.flows import report_published

LONDON = ZoneInfo("Europe/London")
PUBLISHED = datetime.date(2026, 12, 18)  # a Friday: 15 working days skip Christmas, Boxing Day and New Year
WINDOW_DUE = datetime.date(2027, 1, 13)


def at(day, hour=10, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(at(PUBLISHED), tick=False) as traveller:
        yield traveller


def _assessed(inspector, location, score=3):
    statements = [QualityStatement.objects.filter(key_question=kq).order_by("order").first() for kq in _KQS]
    with transaction.atomic():
        assessment = assessment_create(
            by=inspector, location=location, kind="planned", announced=True, statements=statements
        )
    assessment_start(by=inspector, assessment=assessment)
    for statement in statements:
        statement_score_set(
            by=inspector,
            assessment=assessment,
            statement=statement,
            score=score,
            summary="",
            judgement="",
            expected_version=0,
        )
    return assessment_complete(by=inspector, assessment=assessment)


_KQS = ["safe", "effective", "caring", "responsive", "well_led"]


@pytest.fixture
def report(clock, inspector, location, provider_user):
    return report_published(_assessed(inspector, location), by=inspector)


@pytest.fixture
def colleague(location):
    return ProviderUserFactory(membership__provider=location.provider, membership__role="colleague")


def _draft(report, by, **challenges):
    return services.rating_review_draft_save(
        by=by, report=report, challenges=challenges or {"safe": "You did not speak to any night staff."}
    )


def _submitted(report, by):
    return services.rating_review_submit(by=by, review=_draft(report, by), today=PUBLISHED)


# --- Words --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("The well-led rating", 3),
        ("We don't agree – at all.", 5),
        ("  Three\nlines\n\nhere  ", 3),
        ("On 3 March 2027, 12 staff", 6),
        ("— – - ...", 0),
        ("मानक हिंदी", 2),  # combining vowel signs are part of the word
        ("nai\u0308ve cafe\u0301", 2),  # decomposed accents too
    ],
)
def test_count_words_counts_as_a_person_would(text, words):
    assert services.count_words(text) == words


# --- The window ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_window_is_15_working_days_across_christmas(report):
    window = services.request_window(report)
    assert window.due_date == WINDOW_DUE == workdays.add_working_days(PUBLISHED, 15)
    assert "Christmas Day" in window.explanation


@pytest.mark.django_db
def test_request_on_the_last_day_is_taken_and_a_day_late_is_refused_with_the_draft_kept(report, provider_user, clock):
    review = _draft(report, provider_user)
    clock.move_to(at(WINDOW_DUE + datetime.timedelta(days=1), 9))  # the next working day
    with pytest.raises(services.RatingReviewCannotChange, match="ended at the end of Wednesday 13 January 2027"):
        services.rating_review_submit(by=provider_user, review=review, today=WINDOW_DUE + datetime.timedelta(days=1))
    assert RatingReview.objects.get().state == RatingReviewState.DRAFTING
    assert RatingReview.objects.get().challenges.get().grounds == "You did not speak to any night staff."
    clock.move_to(at(WINDOW_DUE, 23, 59))
    submitted = services.rating_review_submit(by=provider_user, review=review, today=WINDOW_DUE)
    assert submitted.state == RatingReviewState.SUBMITTED


# --- Refusals ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_request_is_refused_with_who_and_when(report, provider_user):
    _submitted(report, provider_user)
    with pytest.raises(services.RatingReviewCannotChange, match=r"Paula Provider requested a review .* Only one"):
        _draft(report, provider_user, caring="Again.")
    with pytest.raises(services.RatingReviewCannotChange, match="Only one request"):
        services.rating_review_submit(by=provider_user, review=RatingReview.objects.get(), today=PUBLISHED)
    assert RatingReview.objects.count() == 1


@pytest.mark.django_db
def test_501_words_are_refused_and_the_draft_is_kept_and_500_go(report, provider_user):
    review = _draft(report, provider_user, safe="word " * 300, caring="word " * 201)
    with pytest.raises(services.RatingReviewCannotChange, match="501 words; it must be 500 words or fewer"):
        services.rating_review_submit(by=provider_user, review=review, today=PUBLISHED)
    assert sum(services.count_words(c.grounds) for c in RatingReview.objects.get().challenges.all()) == 501
    review = _draft(report, provider_user, safe="word " * 300, caring="word " * 200)
    assert services.rating_review_submit(by=provider_user, review=review, today=PUBLISHED).state == "submitted"


@pytest.mark.django_db
def test_colleague_and_delegate_draft_but_only_a_registered_person_sends(report, provider_user, colleague, location):
    from cqcportal.accounts.models import Delegation

    Delegation.objects.create(
        delegator=provider_user,
        delegate=colleague,
        provider=location.provider,
        start_date=PUBLISHED,
        end_date=PUBLISHED + datetime.timedelta(days=60),
        created_by=provider_user,
    )
    review = _draft(report, colleague)
    with pytest.raises(services.RatingReviewCannotChange, match="Only the registered manager, the nominated"):
        services.rating_review_submit(by=colleague, review=review, today=PUBLISHED)
    with pytest.raises(services.RatingReviewCannotChange, match="provider's own staff"):
        _draft(report, StaffFactory())
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    with pytest.raises(services.RatingReviewCannotChange, match="provider's own staff"):
        _draft(report, stranger)
    assert services.rating_review_submit(by=provider_user, review=review, today=PUBLISHED).submitted_by == provider_user


@pytest.mark.django_db
def test_only_the_latest_rated_report_can_be_challenged(report, inspector, location, provider_user, clock):
    clock.move_to(at(PUBLISHED + datetime.timedelta(days=3)))
    report_published(_assessed(inspector, location, score=2), by=inspector)
    with pytest.raises(services.RatingReviewCannotChange, match="only of the latest published report"):
        _draft(report, provider_user)


@pytest.mark.django_db
def test_a_rating_the_report_did_not_give_cannot_be_challenged(report, provider_user):
    with pytest.raises(services.RatingReviewCannotChange, match="only ratings this report gave"):
        _draft(report, provider_user, leadership="No.")


# --- The review -------------------------------------------------------------------------------------------------


@pytest.fixture
def accepted(report, provider_user):
    review = _submitted(report, provider_user)
    staff = StaffFactory()
    services.rating_review_start_grounds_check(by=staff, review=review)
    return services.rating_review_accept(by=staff, review=review)


@pytest.mark.django_db
def test_reviewer_who_was_on_the_team_is_refused_an_independent_one_or_external_is_taken(accepted, inspector):
    with pytest.raises(services.RatingReviewCannotChange, match="was on the assessment team"):
        services.rating_review_assign_reviewer(by=StaffFactory(), review=accepted, reviewer=inspector)
    with pytest.raises(services.RatingReviewCannotChange, match="not both"):
        services.rating_review_assign_reviewer(by=StaffFactory(), review=accepted, reviewer=None, external="")
    reviewed = services.rating_review_assign_reviewer(
        by=StaffFactory(), review=accepted, external="Dr Ada Reviewer, retired inspector"
    )
    assert reviewed.reviewer_name == "Dr Ada Reviewer, retired inspector (external)"


@pytest.mark.django_db
def test_grounds_refused_with_a_letter_closes_the_target(report, provider_user):
    review = _submitted(report, provider_user)
    staff = StaffFactory()
    services.rating_review_start_grounds_check(by=staff, review=review)
    with pytest.raises(services.RatingReviewCannotChange, match="Write the letter"):
        services.rating_review_refuse(by=staff, review=review, letter=" ", today=PUBLISHED)
    refused = services.rating_review_refuse(
        by=staff, review=review, letter="Your request disagrees with our judgement.", today=PUBLISHED
    )
    assert refused.state == RatingReviewState.REFUSED
    assert Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET).state == DeadlineState.MET
    assert services.rating_review_close(by=staff, review=review).state == RatingReviewState.CLOSED


@pytest.mark.django_db
def test_deputy_director_lowers_one_rating_and_raises_another(accepted, report, location, client):
    from assessments.working import location_working

    reviewer = StaffFactory(full_name="Rhea Reviewer")
    services.rating_review_assign_reviewer(by=StaffFactory(), review=accepted, reviewer=reviewer)
    with pytest.raises(services.RatingReviewCannotChange, match="Only the independent reviewer"):
        services.rating_review_recommend(by=StaffFactory(), review=accepted, text="x")
    services.rating_review_recommend(by=reviewer, review=accepted, text="Safe evidence was thin; caring was strong.")
    profile = client.get(f"/location/{location.cqc_id}/").text
    assert "A review of these ratings is taking place" in profile
    with pytest.raises(services.RatingReviewCannotChange, match="deputy director or the chief inspector"):
        services.rating_review_decide(
            by=reviewer, review=accepted, ratings={"safe": "requires_improvement"}, reason="x", today=PUBLISHED
        )
    deputy = StaffFactory(roles=[StaffRole.DEPUTY_DIRECTOR])
    decided = services.rating_review_decide(
        by=deputy,
        review=accepted,
        ratings={"safe": "requires_improvement", "caring": "outstanding", "effective": "good", "overall": ""},
        reason="The process for safe was not followed; caring evidence supports outstanding.",
        today=PUBLISHED,
    )
    assert decided.state == RatingReviewState.DECIDED
    changes = {c.key_question: (c.from_rating, c.to_rating) for c in RatingReviewChange.objects.all()}
    assert changes == {"safe": ("good", "requires_improvement"), "caring": ("good", "outstanding")}
    current = dict(
        PublishedRating.objects.filter(location=location, is_current=True).values_list("key_question", "rating")
    )
    assert current["safe"] == "requires_improvement" and current["caring"] == "outstanding"
    assert PublishedRating.objects.filter(
        location=location, key_question="safe", is_current=False, rating="good"
    ).exists()
    assert report.versions.order_by("-number").first().reason == "Ratings changed after a rating review"
    assert RatingDeparture.objects.filter(review_state=RatingDeparture.ReviewState.RATING_REVIEW).count() == 2
    safe = location_working(location, published_only=True).key_questions[0]
    assert "Changed by a rating review: rated requires improvement instead of good" in safe.explanation
    assert Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET).state == DeadlineState.MET
    services.rating_review_publish_outcome(by=deputy, review=accepted, today=PUBLISHED)
    profile = client.get(f"/location/{location.cqc_id}/").text
    assert "A review of these ratings is taking place" not in profile
    assert "Requires improvement" in profile
    working = client.get(f"/location/{location.cqc_id}/how-this-rating-was-reached/").text
    assert "Changed by a rating review" in working
    assert AuditEvent.objects.filter(action="rating_review.decide", actor=deputy).exists()


# --- Pause and the 50-working-day target -------------------------------------------------------------------------


@pytest.mark.django_db
def test_review_target_is_50_working_days_and_pauses_while_a_complaint_is_open(
    report, provider_user, clock, monkeypatch
):
    open_complaints: dict[int, list[str]] = {}
    monkeypatch.setattr(services, "_PAUSE_SOURCES", [lambda location_id: open_complaints.get(location_id, [])])
    review = _submitted(report, provider_user)
    staff = StaffFactory()
    target = Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET)
    assert target.due_date == workdays.add_working_days(PUBLISHED, 50)
    clock.move_to(at(datetime.date(2027, 1, 11)))
    open_complaints[report.location_id] = ["A complaint about the regulator is open."]
    assert (
        services.rating_reviews_pause_recheck(
            location_id=report.location_id, by=staff, today=datetime.date(2027, 1, 11)
        )
        == 1
    )
    assert Deadline.objects.get(pk=target.pk).state == DeadlineState.PAUSED
    assert (
        services.rating_reviews_pause_recheck(
            location_id=report.location_id, by=staff, today=datetime.date(2027, 1, 11)
        )
        == 0
    )
    open_complaints.clear()
    services.rating_reviews_pause_recheck(location_id=report.location_id, by=staff, today=datetime.date(2027, 1, 18))
    resumed = Deadline.objects.get(pk=target.pk)
    assert resumed.state == DeadlineState.OPEN and resumed.paused_days == 5
    assert resumed.due_date == workdays.add_working_days(PUBLISHED, 55)
    assert resumed.pauses.get().reason == "A complaint about the regulator is open."
    assert review.pk


@pytest.mark.django_db
def test_review_submitted_while_a_complaint_is_open_starts_paused(report, provider_user, monkeypatch):
    monkeypatch.setattr(services, "_PAUSE_SOURCES", [lambda location_id: ["A complaint is open."]])
    _submitted(report, provider_user)
    assert Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET).state == DeadlineState.PAUSED


# --- Pages ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_request_page_keeps_an_over_long_request_and_says_so(client, report, provider_user):
    client.force_login(provider_user)
    url = reverse("assessments:rating-review-request", args=[report.pk])
    page = client.get(url)
    assert "Disagreeing with our judgement is not a ground for a review" in page.text
    assert "How this date was worked out" in page.text and "Wednesday 13 January 2027" in page.text
    long = "evidence " * 501
    response = client.post(url, {"challenge": ["safe"], "grounds-safe": long, "action": "submit"})
    assert response.status_code == 400
    assert "501 words" in response.text and long.strip() in response.text
    assert RatingReview.objects.get().state == RatingReviewState.DRAFTING  # the draft is kept
    response = client.post(
        url, {"challenge": ["safe"], "grounds-safe": "The night staff were not asked.", "action": "submit"}, follow=True
    )
    assert "Your request for a review has been sent" in response.text
    assert RatingReview.objects.get().state == RatingReviewState.SUBMITTED


@pytest.mark.django_db
def test_review_pages_are_scoped_and_within_budget(client, django_assert_max_num_queries, report, provider_user):
    review = _submitted(report, provider_user)
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    client.force_login(stranger)
    assert client.get(reverse("assessments:rating-review", args=[review.pk])).status_code == 404
    assert client.get(reverse("assessments:rating-review-request", args=[report.pk])).status_code == 404
    assert client.post(reverse("assessments:rating-review-action", args=[review.pk, "accept"])).status_code == 404
    client.force_login(provider_user)
    # Each reading of a review request is audited: +4 (savepoint, who the reader is, insert, release).
    with django_assert_max_num_queries(16):
        assert client.get(reverse("assessments:rating-review", args=[review.pk])).status_code == 200
    client.force_login(StaffFactory())
    with django_assert_max_num_queries(20):
        assert client.get(reverse("assessments:rating-review", args=[review.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("assessments:rating-reviews")).status_code == 200


@pytest.mark.django_db
def test_admin_review_buttons_call_the_services(client, report, provider_user):
    review = _submitted(report, provider_user)
    admin_user = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(reverse("admin:assessments_ratingreview_change", args=[review.pk]))
    assert "Start checking the grounds" in page.text and "Accept the grounds" not in page.text
    client.post(reverse("admin:assessments_ratingreview_transition", args=[review.pk, "check"]))
    assert RatingReview.objects.get().state == RatingReviewState.GROUNDS_CHECK
    assert AuditEvent.objects.get(action="rating_review.grounds_check").actor == admin_user
    response = client.post(reverse("admin:assessments_ratingreview_transition", args=[review.pk, "close"]), follow=True)
    assert "that cannot happen now" in response.text


@pytest.mark.django_db
def test_the_reviewer_is_found_by_name_or_email_among_staff_outside_the_team(accepted, inspector, client, monkeypatch):
    from assessments import review_views

    monkeypatch.setattr(review_views, "REVIEWER_CHOICES", 3)
    quill = StaffFactory(full_name="Zara Quill", email="z.quill@regulator.example")
    for n in range(4):
        StaffFactory(full_name=f"AAA Staff {n}")
    deputy = StaffFactory(full_name="Dora Deputy")
    client.force_login(deputy)
    url = reverse("assessments:rating-review", args=[accepted.pk])

    everyone = client.get(url).text
    assert "Showing the first 3 in name order: find by name to narrow the list." in everyone
    assert len(re.findall(r'<option value="\d+"', everyone)) == 3
    assert "AAA Staff 0" in everyone and "Zara Quill" not in everyone

    by_email = client.get(url, {"reviewer_q": "  Z.QUILL@ "}).text
    assert f'<option value="{quill.pk}" selected>Zara Quill (z.quill@regulator.example)</option>' in by_email
    assert "1 member of staff matches “Z.QUILL@”." in by_email
    assert 'value="Z.QUILL@"' in by_email  # what was typed stays in the box

    # The lead inspector was on the assessment team: never offered, even by name.
    lead = client.get(url, {"reviewer_q": inspector.full_name}).text
    assert f'<option value="{inspector.pk}"' not in lead
    assert "No member of staff outside the assessment team matches" in lead

    planted = client.get(url, {"reviewer_q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in planted and "&lt;script&gt;alert(1)&lt;/script&gt;" in planted
