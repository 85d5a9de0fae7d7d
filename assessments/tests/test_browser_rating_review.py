"""A rating review in real headless Chromium: the provider's request, the grounds check, the independent reviewer,
the deputy director's decision, and what the public sees during the review and after it; and the word limit.

The report is published on Friday 18 December 2026, so the window to ask ends on Wednesday 13 January 2027. The
clock is moved with time_machine and ticks: the live server answers from a thread of this process and reads it too.
"""

import datetime
import os
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from playwright.sync_api import expect

from assessments.models import QualityStatement, RatingDeparture, RatingReview, RatingReviewChange, RatingReviewState
from assessments.services import assessment_complete, assessment_create, assessment_start, statement_score_set
from cqcportal.accounts.models import StaffRole
from cqcportal.audit.models import AuditEvent
from cqcportal.core.tests.test_browser import accessibility_violations, sign_in
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.register.models import PublishedRating
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from cqcportal.tests.flows import report_published

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
PUBLISHED_AT = datetime.datetime(2026, 12, 18, 10, 0, tzinfo=LONDON)  # a Friday
BANNER = "A review of these ratings is taking place"
KEY_QUESTIONS = ["safe", "effective", "caring", "responsive", "well_led"]


@pytest.fixture
def clock():
    with time_machine.travel(PUBLISHED_AT, tick=True) as traveller:
        yield traveller


@pytest.fixture
def people(clock):
    """The inspector who led the assessment, the registered manager, and the report, rated good on every key
    question and published today."""
    inspector = StaffFactory(full_name="Isla Inspector", email="isla@regulator.example")
    location = LocationFactory(name="Maple Court")
    manager = ProviderUserFactory(
        full_name="Paula Provider",
        email="paula@provider.example",
        membership__provider=location.provider,
        membership__role="registered_manager",
        membership__locations=[location],
    )
    statements = [QualityStatement.objects.filter(key_question=kq).order_by("order").first() for kq in KEY_QUESTIONS]
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
            score=3,
            summary="",
            judgement="",
            expected_version=0,
        )
    report = report_published(assessment_complete(by=inspector, assessment=assessment), by=inspector)
    return {"inspector": inspector, "location": location, "manager": manager, "report": report}


@pytest.fixture
def signed_in(new_context, live_server):
    """A page of its own (own cookies) for each person, signed in."""

    def open_as(person):
        page = new_context().new_page()
        sign_in(page, live_server, person.email)
        return page

    return open_as


def _click(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _current_ratings(location) -> dict[str, str]:
    return dict(
        PublishedRating.objects.filter(location=location, is_current=True).values_list("key_question", "rating")
    )


def _review() -> RatingReview:
    return RatingReview.objects.get()


def _profile_rating(page, key_question):
    return page.locator(".govuk-summary-list__row", has=page.locator("dt", has_text=re.compile(f"^{key_question}$")))


def test_browser_rating_review_requested_decided_and_published(clock, people, signed_in, page, live_server):
    location, report, inspector = people["location"], people["report"], people["inspector"]
    profile_url = f"{live_server.url}/location/{location.cqc_id}/"
    assert set(_current_ratings(location).values()) == {"good"}
    officer = StaffFactory(full_name="Olu Officer")
    reviewer = StaffFactory(full_name="Rhea Reviewer", email="rhea@regulator.example")
    deputy = StaffFactory(full_name="Dara Deputy", email="dara@regulator.example", roles=[StaffRole.DEPUTY_DIRECTOR])

    # The registered manager opens the published report and asks for a review of the safe rating.
    provider = signed_in(people["manager"])
    provider.goto(f"{live_server.url}/reports/{report.pk}/")
    expect(provider.get_by_text("by the end of Wednesday 13 January 2027")).to_be_visible()
    provider.get_by_role("link", name="ask for a review of the ratings").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Ask for a review of the ratings")
    expect(provider.get_by_text("Send your request by the end of Wednesday 13 January 2027")).to_be_visible()
    expect(provider.get_by_text("You have 500 words remaining (0 of 500)")).to_be_visible()
    grounds = provider.get_by_label("How was our process for reaching the safe rating not followed?")
    expect(grounds).to_be_hidden()
    provider.get_by_label("Safe: Good").check()
    expect(grounds).to_be_visible()
    assert accessibility_violations(provider) == []
    grounds.press_sequentially("You did not speak to")
    expect(provider.get_by_text("You have 495 words remaining (5 of 500)")).to_be_visible()
    grounds.fill("You did not speak to any of the night staff, as your guidance on gathering evidence requires.")
    expect(provider.get_by_text("You have 483 words remaining (17 of 500)")).to_be_visible()
    _click(provider, "Send the request")
    expect(provider.get_by_text("Your request for a review has been sent.")).to_be_visible()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Rating review")
    expect(provider.get_by_text("Submitted", exact=True)).to_be_visible()
    expect(provider.get_by_role("heading", name="Ratings challenged (17 words)")).to_be_visible()
    assert accessibility_violations(provider) == []
    review = _review()
    assert (review.state, review.submitted_by) == (RatingReviewState.SUBMITTED, people["manager"])
    assert list(review.challenges.values_list("key_question", flat=True)) == ["safe"]
    target = Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET)
    assert target.state == DeadlineState.OPEN
    assert Deadline.objects.get(kind=Kind.RATING_REVIEW_REQUEST_WINDOW).state == DeadlineState.MET

    # While the review is under way, the public profile says so, and the ratings stay as published.
    page.goto(profile_url)
    expect(page.get_by_text(BANNER)).to_contain_text("The provider asked for it on 18 December 2026")
    expect(_profile_rating(page, "Safe")).to_contain_text("Good")
    assert accessibility_violations(page) == []

    # Staff check the grounds and accept them, then name a reviewer from outside the assessment team.
    staff = signed_in(officer)
    staff.goto(f"{live_server.url}/assessments/rating-reviews/")
    staff.get_by_role("link", name="Maple Court").click()
    expect(staff.get_by_text("You did not speak to any of the night staff")).to_be_visible()
    assert accessibility_violations(staff) == []
    _click(staff, "Start checking the grounds")
    expect(staff.get_by_text("Checking the grounds.", exact=True)).to_be_visible()
    _click(staff, "Accept the grounds")
    expect(staff.get_by_text("Accepted for an independent review.")).to_be_visible()
    choose = staff.get_by_label("Independent reviewer (not on the assessment team)")
    options = choose.locator("option").all_inner_texts()
    assert "Rhea Reviewer (rhea@regulator.example)" in options
    assert not [o for o in options if o.startswith(inspector.full_name)]
    # With a national workforce the list is found by name: the one match comes back chosen.
    staff.get_by_label("Find a member of staff by part of their name or e-mail address").fill("rhea")
    _click(staff, "Find")
    expect(staff.get_by_text("1 member of staff matches “rhea”.")).to_be_visible()
    assert choose.locator("option").all_inner_texts() == [
        "Choose a member of staff",
        "Rhea Reviewer (rhea@regulator.example)",
    ]
    expect(choose).to_have_value(str(reviewer.pk))
    _click(staff, "Name the reviewer")
    expect(staff.get_by_text("Independent reviewer named.")).to_be_visible()
    assert accessibility_violations(staff) == []
    review = _review()
    assert (review.state, review.reviewer) == (RatingReviewState.INDEPENDENT_REVIEW, reviewer)

    # The reviewer, signed in as themselves, recommends; only a deputy director may decide.
    independent = signed_in(reviewer)
    independent.goto(f"{live_server.url}/assessments/rating-reviews/{review.pk}/")
    independent.get_by_label("Recommendation").fill("Safe evidence was thin; caring evidence was strong.")
    _click(independent, "Record the recommendation")
    expect(independent.get_by_text("Recommendation recorded.")).to_be_visible()
    expect(independent.get_by_text("A deputy director or the chief inspector decides.")).to_be_visible()
    assert _review().state == RatingReviewState.RECOMMENDED

    # The deputy director lowers safe and raises caring, then publishes the outcome.
    director = signed_in(deputy)
    director.goto(f"{live_server.url}/assessments/rating-reviews/{review.pk}/")
    expect(director.get_by_text("Safe evidence was thin")).to_be_visible()
    director.get_by_label("Safe (now good)").select_option(label="Requires improvement")
    director.get_by_label("Caring (now good)").select_option(label="Outstanding")
    director.get_by_label("Reasons for the decision").fill(
        "The process for safe was not followed; the caring evidence supports outstanding."
    )
    assert accessibility_violations(director) == []
    _click(director, "Record the decision")
    expect(director.get_by_text("Decided: the ratings, the report and the working are updated.")).to_be_visible()
    expect(director.get_by_text("Safe: Good to Requires improvement")).to_be_visible()
    expect(director.get_by_text("Caring: Good to Outstanding")).to_be_visible()
    review = _review()
    assert (review.state, review.decided_by) == (RatingReviewState.DECIDED, deputy)
    assert {c.key_question: (c.from_rating, c.to_rating) for c in RatingReviewChange.objects.all()} == {
        "safe": ("good", "requires_improvement"),
        "caring": ("good", "outstanding"),
    }
    assert RatingDeparture.objects.filter(review_state=RatingDeparture.ReviewState.RATING_REVIEW).count() == 2
    assert Deadline.objects.get(pk=target.pk).state == DeadlineState.MET

    # Decided but not yet published: the public still reads that a review is taking place.
    page.reload()
    expect(page.get_by_text(BANNER)).to_be_visible()
    _click(director, "Publish the outcome")
    expect(director.get_by_text("Outcome published.")).to_be_visible()
    assert _review().state == RatingReviewState.OUTCOME_PUBLISHED

    # The public profile shows the new ratings, and the working says what the review changed and why.
    page.reload()
    expect(page.get_by_text(BANNER)).to_have_count(0)
    expect(_profile_rating(page, "Safe")).to_contain_text("Requires improvement")
    expect(_profile_rating(page, "Caring")).to_contain_text("Outstanding")
    expect(_profile_rating(page, "Effective")).to_contain_text("Good")
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="How this rating was reached").click()
    expect(page.get_by_text("Changed by a rating review: rated requires improvement instead of good")).to_be_visible()
    expect(page.get_by_text("Changed by a rating review: rated outstanding instead of good")).to_be_visible()
    current = _current_ratings(location)
    assert (current["safe"], current["caring"], current["effective"]) == ("requires_improvement", "outstanding", "good")
    assert PublishedRating.objects.filter(
        location=location, key_question="safe", is_current=False, rating="good"
    ).exists()
    assert report.versions.order_by("-number").first().reason == "Ratings changed after a rating review"

    # The provider reads the decision, the changes and the reasons; never the reviewer's recommendation.
    provider.reload()
    expect(provider.get_by_text("Outcome published", exact=True)).to_be_visible()
    expect(provider.get_by_text("Decided by Dara Deputy on 18 December 2026.")).to_be_visible()
    expect(provider.get_by_text("Safe: Good to Requires improvement")).to_be_visible()
    expect(provider.get_by_text("the caring evidence supports outstanding")).to_be_visible()
    assert "Safe evidence was thin" not in provider.content()
    assert accessibility_violations(provider) == []
    assert list(
        AuditEvent.objects.filter(action__startswith="rating_review.").order_by("pk").values_list("action", "actor")
    ) == [
        ("rating_review.submit", people["manager"].pk),
        ("rating_review.grounds_check", officer.pk),
        ("rating_review.accept", officer.pk),
        ("rating_review.reviewer", officer.pk),
        ("rating_review.recommend", reviewer.pk),
        ("rating_review.decide", deputy.pk),
        ("rating_review.publish_outcome", deputy.pk),
    ]


def test_browser_rating_review_over_the_word_limit_is_refused_and_the_text_kept(clock, people, signed_in, live_server):
    safe_text = " ".join(["evidence"] * 300)
    caring_text = "The well-led rating – don't " + " ".join(["word"] * 197)  # 201 words as a person counts them
    provider = signed_in(people["manager"])
    provider.goto(f"{live_server.url}/assessments/rating-reviews/request/{people['report'].pk}/")
    provider.get_by_label("Safe: Good").check()
    provider.get_by_label("How was our process for reaching the safe rating not followed?").fill(safe_text)
    expect(provider.get_by_text("You have 200 words remaining (300 of 500)")).to_be_visible()
    provider.get_by_label("Caring: Good").check()
    caring = provider.get_by_label("How was our process for reaching the caring rating not followed?")
    caring.fill(caring_text)
    count = provider.locator("#word-count")
    expect(count).to_have_text("You have 1 word too many (501 of 500)")
    expect(count).to_have_class("govuk-body govuk-error-message")
    # Unticking a rating leaves its words out of the count.
    provider.get_by_label("Caring: Good").uncheck()
    expect(count).to_have_text("You have 200 words remaining (300 of 500)")
    provider.get_by_label("Caring: Good").check()
    expect(count).to_have_text("You have 1 word too many (501 of 500)")

    # The server counts the same way: it refuses to send, keeps the draft, and gives the text back in the boxes.
    _click(provider, "Send the request")
    expect(provider).to_have_title(re.compile(r"^Error: Ask for a review of the ratings – Maple Court"))
    expect(provider.get_by_role("alert")).to_contain_text("Your request is 501 words; it must be 500 words or fewer")
    expect(provider.get_by_label("Safe: Good")).to_be_checked()
    expect(provider.get_by_label("Caring: Good")).to_be_checked()
    expect(provider.get_by_label("How was our process for reaching the safe rating not followed?")).to_have_value(
        safe_text
    )
    expect(caring).to_have_value(caring_text)
    expect(count).to_have_text("You have 1 word too many (501 of 500)")
    assert accessibility_violations(provider) == []
    review = _review()
    assert review.state == RatingReviewState.DRAFTING
    assert dict(review.challenges.values_list("key_question", "grounds")) == {"safe": safe_text, "caring": caring_text}

    # One word fewer, and it goes.
    caring.fill(caring_text.removesuffix(" word"))
    expect(count).to_have_text("You have 0 words remaining (500 of 500)")
    _click(provider, "Send the request")
    expect(provider.get_by_text("Your request for a review has been sent.")).to_be_visible()
    expect(provider.get_by_role("heading", name="Ratings challenged (500 words)")).to_be_visible()
    assert _review().state == RatingReviewState.SUBMITTED
