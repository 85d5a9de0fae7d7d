"""The factual accuracy check in real headless Chromium: from the inspector's draft to the public report, and the
check's other endings (no inaccuracies, no response, more time, a late send refused).

The clock is moved with time_machine. The live server answers from a thread of this process, so it reads the
same moved clock. People sign in after a move of more than a few hours, or their 8-hour session would have run out.
"""

import datetime
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import QualityStatement, StatementScore
from assessments.services import assessment_complete, assessment_create, assessment_start, statement_score_set
from cqcportal.core.tests.test_browser import PASSWORD, accessibility_violations, sign_in
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.register.models import PublishedRating
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from factual_accuracy.models import (
    Comment,
    ExtensionRequest,
    Report,
    ReportSection,
    ReportState,
    ResponseOutcome,
    SupportingFile,
)
from factual_accuracy.services import (
    report_create,
    report_quality_review_pass,
    report_send_for_factual_accuracy,
    report_submit_for_quality_review,
)

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
# A Monday with no bank holiday in the next ten working days: the check runs to the end of Monday 15 February.
SENT_AT = datetime.datetime(2027, 2, 1, 10, 0, tzinfo=LONDON)
DUE_DATE = datetime.date(2027, 2, 15)
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


@pytest.fixture
def clock():
    with time_machine.travel(SENT_AT, tick=True) as traveller:
        yield traveller


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(clock):
    """The assessment team's lead, a registered manager at the location, and the assessment to report on."""
    inspector = StaffFactory(full_name="Isla Inspector", email="isla@regulator.example")
    location = LocationFactory(name="Maple Court")
    manager = ProviderUserFactory(
        full_name="Paula Provider",
        email="paula@provider.example",
        membership__provider=location.provider,
        membership__role="registered_manager",
        membership__locations=[location],
    )
    statements = list(QualityStatement.objects.filter(key_question="safe").order_by("order")[:2])
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
                summary="Staff follow the safeguarding procedure.",
                judgement="",
                expected_version=0,
            )
        assessment = assessment_complete(by=inspector, assessment=assessment)
    with transaction.atomic():
        report = report_create(by=inspector, assessment=assessment)
    return {"inspector": inspector, "location": location, "manager": manager, "report": report}


@pytest.fixture
def out_for_check(people):
    """The report, past quality review and sent to the provider on SENT_AT."""
    inspector, report = people["inspector"], people["report"]
    report_submit_for_quality_review(by=inspector, report=report)
    report_quality_review_pass(by=StaffFactory(), report=report)
    report_send_for_factual_accuracy(by=inspector, report=report, today=SENT_AT.date())
    return people


@pytest.fixture
def signed_in(new_context, live_server):
    """A page of its own (own cookies) for each person, signed in."""

    def open_as(person):
        page = new_context().new_page()
        sign_in(page, live_server, person.email)
        return page

    return open_as


def _state(report) -> str:
    return Report.objects.get(pk=report.pk).state


def _window(report) -> Deadline:
    return Deadline.objects.get(object_id=str(report.pk), kind=Kind.FACTUAL_ACCURACY_CHECK)


def _click(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _comment(page, *, kind, text, evidence=None):
    page.get_by_role("group", name="What kind of correction is it?").get_by_label(kind).check()
    page.get_by_label("Your comment").fill(text)
    if evidence is not None:
        page.get_by_label("Upload evidence (optional)").set_input_files(evidence)
    _click(page, "Save as a draft")
    expect(page.get_by_text("Comment saved as a draft.")).to_be_visible()


def _respond(page, region, *, outcome, reasons):
    page.get_by_role("region", name=region).get_by_role("link", name="Respond to the comment by Paula Provider").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Respond to a comment on")
    page.get_by_role("group", name="Your response").get_by_label(outcome, exact=True).check()
    page.get_by_label("Reasons").fill(reasons)
    _click(page, "Save the response")
    expect(page.get_by_text("Response saved.")).to_be_visible()


def test_browser_report_drafted_checked_by_the_provider_answered_and_published(
    clock, people, signed_in, page, live_server, tmp_path, media
):
    inspector, location, manager, report = people["inspector"], people["location"], people["manager"], people["report"]
    report_url = f"{live_server.url}/reports/{report.pk}/"
    statement = report.sections.filter(kind=ReportSection.Kind.STATEMENT).order_by("order").first()
    reviewer = StaffFactory(full_name="Rhys Reviewer")
    checker = StaffFactory(full_name="Cora Checker")  # not on the assessment team

    # The inspector drafts the summary and sends the draft to quality review.
    staff = signed_in(inspector)
    staff.goto(report_url)
    expect(staff.get_by_role("heading", level=1)).to_have_text("Draft report")
    staff.get_by_role("link", name="Edit Overall summary").click()
    staff.get_by_label("Summary").fill("Maple Court is a safe service: people are protected from avoidable harm.")
    _click(staff, "Save the section")
    expect(staff.get_by_text("'Overall summary' saved.")).to_be_visible()
    _click(staff, "Send to quality review")
    expect(staff.get_by_text("Sent to quality review.")).to_be_visible()
    assert _state(report) == ReportState.IN_QUALITY_REVIEW

    review = signed_in(reviewer)
    review.goto(report_url)
    _click(review, "Pass quality review")
    expect(review.get_by_text("Quality review passed.")).to_be_visible()
    assert _state(report) == ReportState.QUALITY_REVIEW_PASSED

    staff.reload()
    _click(staff, "Send for the factual accuracy check")
    expect(staff.get_by_text("the factual accuracy check has started")).to_be_visible()
    assert _state(report) == ReportState.OUT_FOR_FACTUAL_ACCURACY
    assert _window(report).due_date == DUE_DATE
    expect(staff.get_by_text("by the end of Monday 15 February 2027")).to_be_visible()

    # Until the report is published, the public profile says an assessment is under way.
    page.goto(f"{live_server.url}/location/{location.cqc_id}/")
    expect(page.get_by_role("heading", name="Assessment in progress")).to_be_visible()
    expect(page.get_by_text("No reports under our current assessment approach")).to_be_visible()
    assert accessibility_violations(page) == []

    # The registered manager comments on two sections, one with a PDF of evidence, and sends both.
    evidence = tmp_path / "rota February.pdf"
    evidence.write_bytes(PDF)
    provider = signed_in(manager)
    provider.goto(report_url)
    expect(provider.get_by_role("heading", name="Check the draft for factual accuracy")).to_be_visible()
    assert accessibility_violations(provider) == []
    provider.get_by_role("link", name="Comment on this section (Overall summary)").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Overall summary")
    provider.get_by_label("Your comment").fill("Twelve")
    expect(provider.locator(".govuk-character-count__status")).to_have_text("You have 1,994 characters remaining")
    assert accessibility_violations(provider) == []
    _comment(
        provider,
        kind="Information that is factually inaccurate",
        text="We had twelve nurses on each night shift in January, not ten: the rota is attached.",
        evidence=evidence,
    )
    expect(provider.get_by_role("link", name="rota February.pdf")).to_be_visible()
    provider.get_by_role("link", name="Back to the report").click()
    provider.get_by_role("link", name=f"Comment on this section ({statement.title})").click()
    _comment(provider, kind="Information that was omitted", text="The report leaves out our monthly safety audit.")
    drafts = Comment.objects.filter(report=report).order_by("section__order")
    assert [(c.kind, c.submission_id) for c in drafts] == [("inaccurate", None), ("omitted", None)]
    upload = SupportingFile.objects.get(comment=drafts[0])
    assert (upload.name, upload.file_type, upload.size) == ("rota February.pdf", "pdf", len(PDF))
    with upload.file.open("rb") as stored:
        assert stored.read() == PDF

    provider.get_by_role("link", name="Back to the report").click()
    provider.get_by_role("link", name="Review and send your comments (2)").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Review and send your comments")
    expect(provider.get_by_text("These 2 comments and their files will be sent")).to_be_visible()
    expect(provider.get_by_text("We had twelve nurses")).to_be_visible()
    assert accessibility_violations(provider) == []
    _click(provider, "Send 2 comments")
    expect(provider.get_by_text("Your comments have been sent.")).to_be_visible()
    assert _state(report) == ReportState.FA_CLOSED_COMMENTS
    report = Report.objects.get(pk=report.pk)
    assert report.submission.submitted_by == manager
    assert Comment.objects.filter(report=report, submission=report.submission).count() == 2
    window = _window(report)
    assert (window.state, window.met_on_time) == (DeadlineState.MET, True)

    # The team answers each comment and amends the statement's score.
    staff.reload()
    expect(staff.get_by_text("Comments sent by Paula Provider")).to_be_visible()
    _click(staff, "Start responding to the comments")
    assert _state(report) == ReportState.RESPONDING
    _respond(staff, "Overall summary", outcome="Accepted", reasons="The rota shows twelve nurses; corrected.")
    _respond(staff, f"{statement.title}: score 3 of 4", outcome="Partly accepted", reasons="The audit is noted.")
    assert dict(Comment.objects.filter(report=report).values_list("kind", "outcome")) == {
        "inaccurate": ResponseOutcome.ACCEPTED,
        "omitted": ResponseOutcome.PARTLY_ACCEPTED,
    }
    staff.get_by_role("link", name=f"Edit {statement.title} or amend the score").click()
    staff.get_by_role("group", name="New score").get_by_label("4", exact=True).check()
    staff.get_by_label("Why the score changed").fill("The safety audit the provider sent shows exceptional practice.")
    _click(staff, "Amend the score")
    expect(staff.get_by_text("Score amended")).to_be_visible()
    expect(staff.get_by_role("heading", name=f"{statement.title}: score 4 of 4")).to_be_visible()
    assert ReportSection.objects.get(pk=statement.pk).score == 4
    assert StatementScore.objects.get(assessment=report.assessment, statement=statement.statement).score == 4
    _click(staff, "Send for an independent check")
    assert _state(report) == ReportState.INDEPENDENT_CHECK
    assert report.versions.count() == 2  # as sent, and as amended

    # Someone from the assessment team cannot check their own responses; a colleague from outside it can.
    staff.reload()
    _click(staff, "Pass the independent check")
    expect(staff.get_by_text("must be done by someone who was not on the assessment team")).to_be_visible()
    assert _state(report) == ReportState.INDEPENDENT_CHECK
    check = signed_in(checker)
    check.goto(report_url)
    _click(check, "Pass the independent check")
    expect(check.get_by_text("Independent check passed: ready to publish.")).to_be_visible()
    report = Report.objects.get(pk=report.pk)
    assert (report.state, report.checked_by) == (ReportState.READY_TO_PUBLISH, checker)

    staff.goto(report_url)  # from the refusal page back to the report
    _click(staff, "Publish")
    expect(staff.get_by_text("Published: the report is on the location's public profile.")).to_be_visible()
    report = Report.objects.get(pk=report.pk)
    assert report.state == ReportState.PUBLISHED and report.published_at is not None
    assert PublishedRating.objects.filter(location=location, is_current=True, report_link_id=str(report.pk)).exists()

    # The public sees it from the profile; the provider's comments and evidence stay private.
    page.goto(f"{live_server.url}/location/{location.cqc_id}/")
    expect(page.get_by_role("heading", name="Assessment in progress")).to_have_count(0)
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Report published 1 February 2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment report")
    expect(page.get_by_text("Maple Court is a safe service")).to_be_visible()
    expect(page.get_by_role("heading", name=statement.title)).to_be_visible()
    expect(page.get_by_text("Score: 4 of 4")).to_be_visible()
    assert "twelve nurses" not in page.content() and "rota February.pdf" not in page.content()
    assert accessibility_violations(page) == []

    # The provider now reads the responses to its comments with the report.
    provider.goto(report_url)
    expect(provider.get_by_role("heading", level=1)).to_have_text("Report")
    expect(provider.get_by_text("Our response: accepted.")).to_be_visible()
    expect(provider.get_by_text("Our response: partly accepted.")).to_be_visible()


def test_browser_provider_says_there_are_no_inaccuracies_and_the_report_is_published(
    clock, out_for_check, signed_in, page, live_server
):
    report, location = out_for_check["report"], out_for_check["location"]
    report_url = f"{live_server.url}/reports/{report.pk}/"
    provider = signed_in(out_for_check["manager"])
    provider.goto(report_url)
    _click(provider, "There are no factual inaccuracies")
    expect(provider.get_by_text("there are no factual inaccuracies. The check is closed.")).to_be_visible()
    expect(provider.get_by_role("button", name="There are no factual inaccuracies")).to_have_count(0)
    assert _state(report) == ReportState.FA_CLOSED_NO_INACCURACIES
    window = _window(report)
    assert (window.state, window.met_on_time) == (DeadlineState.MET, True)
    assert not Comment.objects.filter(report=report).exists()

    staff = signed_in(out_for_check["inspector"])
    staff.goto(report_url)
    expect(staff.get_by_text("The check closed on time")).to_be_visible()
    _click(staff, "Mark ready to publish")
    _click(staff, "Publish")
    assert _state(report) == ReportState.PUBLISHED
    page.goto(f"{live_server.url}/location/{location.cqc_id}/")
    expect(page.get_by_role("link", name="Report published 1 February 2027")).to_be_visible()


def test_browser_check_with_no_response_closes_when_the_deadline_passes(clock, out_for_check, signed_in, live_server):
    report = out_for_check["report"]
    due_at = _window(report).due_at
    clock.move_to(due_at + datetime.timedelta(hours=9))  # Tuesday morning after the last day
    result = deadlines_sweep(now=timezone.now())
    assert result.closed == 1
    assert _state(report) == ReportState.FA_CLOSED_NO_RESPONSE
    assert _window(report).state == DeadlineState.MISSED

    staff = signed_in(out_for_check["inspector"])
    staff.goto(f"{live_server.url}/reports/{report.pk}/")
    expect(staff.get_by_text("Factual accuracy check closed: no response")).to_be_visible()
    expect(
        staff.get_by_text("The check closed at the end of Monday 15 February 2027 with no response.")
    ).to_be_visible()
    _click(staff, "Mark ready to publish")
    expect(staff.get_by_text("Ready to publish.")).to_be_visible()
    assert _state(report) == ReportState.READY_TO_PUBLISH

    # The provider reads that the check closed, and has nothing left to send.
    provider = signed_in(out_for_check["manager"])
    provider.goto(f"{live_server.url}/reports/{report.pk}/")
    expect(provider.get_by_text("with no response")).to_be_visible()
    expect(provider.get_by_role("link", name="Review and send your comments")).to_have_count(0)
    expect(provider.get_by_role("button", name="There are no factual inaccuracies")).to_have_count(0)


def test_browser_provider_asks_for_more_time_and_staff_grant_it(clock, out_for_check, signed_in, live_server):
    report = out_for_check["report"]
    report_url = f"{live_server.url}/reports/{report.pk}/"
    provider = signed_in(out_for_check["manager"])
    provider.goto(report_url)
    provider.get_by_role("link", name="Ask for more time").click()
    provider.get_by_label("Why do you need more time?").fill("Our registered manager is in hospital until next week.")
    _click(provider, "Ask for more time")
    expect(provider.get_by_text("We have your request for more time")).to_be_visible()
    asked = ExtensionRequest.objects.get(report=report)
    assert (asked.state, asked.requested_by, asked.due_date_when_asked) == (
        "pending",
        out_for_check["manager"],
        DUE_DATE,
    )

    new_date = datetime.date(2027, 2, 17)  # a Wednesday, two working days later
    staff = signed_in(StaffFactory(full_name="Olu Officer"))
    staff.goto(report_url)
    expect(staff.get_by_text("Our registered manager is in hospital")).to_be_visible()
    staff.get_by_label("Grant (exceptional circumstances)").check()
    staff.get_by_label("New end of the check, if granted").fill(new_date.isoformat())
    staff.get_by_label("Reason (the provider reads this)").fill("The manager's illness is exceptional.")
    _click(staff, "Record the decision")
    expect(staff.get_by_text("Extension granted: the new date is on the check.")).to_be_visible()
    asked.refresh_from_db()
    assert (asked.state, asked.new_due_date) == (ExtensionRequest.State.GRANTED, new_date)
    window = _window(report)
    assert (window.state, window.due_date) == (DeadlineState.OPEN, new_date)

    provider.reload()
    expect(provider.get_by_text("by the end of Wednesday 17 February 2027")).to_be_visible()
    provider.get_by_text("How this date was worked out").click()
    expect(provider.locator(".govuk-details__text")).to_contain_text(
        "Extended from 15 February 2027 to 17 February 2027: The manager's illness is exceptional."
    )
    expect(provider.get_by_role("listitem").filter(has_text="Paula Provider: granted")).to_contain_text(
        "extended from 15 February 2027 to 17 February 2027"
    )


def test_browser_send_after_the_deadline_is_refused_and_the_drafts_are_kept(
    clock, out_for_check, signed_in, live_server
):
    report = out_for_check["report"]
    section = report.sections.get(kind=ReportSection.Kind.OVERALL)
    # Late on the last day, the manager drafts a comment and opens the page to send it ...
    # (Ten minutes, not more: half an hour without a request would end the session for inactivity.)
    clock.move_to(_window(report).due_at - datetime.timedelta(minutes=10))
    provider = signed_in(out_for_check["manager"])
    provider.goto(f"{live_server.url}/reports/{report.pk}/sections/{section.pk}/")
    _comment(provider, kind="A typographical or numerical error", text="The home has 42 beds, not 24.")
    provider.goto(f"{live_server.url}/reports/{report.pk}/send-comments/")
    expect(provider.get_by_text("This comment and its files will be sent to the assessment team.")).to_be_visible()
    # ... and presses the button just after midnight.
    clock.move_to(_window(report).due_at + datetime.timedelta(minutes=1))
    _click(provider, "Send 1 comment")
    expect(
        provider.get_by_text("The factual accuracy check closed at the end of Monday 15 February 2027.")
    ).to_be_visible()
    expect(provider.get_by_text("The home has 42 beds, not 24.")).to_be_visible()
    expect(provider.get_by_role("button", name="Send 1 comment")).to_have_count(0)
    expect(provider.get_by_text("will be sent to the assessment team")).to_have_count(0)
    # The sweep has not closed the window yet, but the deadline no longer asks for comments.
    expect(provider.locator(".govuk-inset-text").last).to_contain_text(
        "The check closed at the end of Monday 15 February 2027 (11:59pm, UK time)."
    )
    expect(provider.get_by_text("Send your comments, or tell us there are none")).to_have_count(0)
    assert _state(report) == ReportState.OUT_FOR_FACTUAL_ACCURACY
    draft = Comment.objects.get(report=report)
    assert (draft.text, draft.submission_id) == ("The home has 42 beds, not 24.", None)

    # The draft stays readable on its section, with no way to change it.
    provider.goto(f"{live_server.url}/reports/{report.pk}/")
    expect(provider.get_by_text("The factual accuracy check has closed.")).to_be_visible()
    provider.get_by_role("link", name="See your comments (Overall summary)").click()
    expect(provider.get_by_text("The home has 42 beds, not 24.")).to_be_visible()
    expect(provider.get_by_role("button", name="Save as a draft")).to_have_count(0)


def test_browser_comment_typed_when_the_session_timed_out_comes_back_after_signing_in(
    clock, out_for_check, signed_in, live_server
):
    """The session ends while the provider types; saving sends them to sign in and
    the post is lost, but the browser kept the text and puts it back on the same section."""
    report, manager = out_for_check["report"], out_for_check["manager"]
    section = report.sections.filter(kind=ReportSection.Kind.STATEMENT).order_by("order").first()
    page = signed_in(manager)
    page.goto(f"{live_server.url}/reports/{report.pk}/sections/{section.pk}/")
    text = "Night staffing was six carers, not four: see the rota for 3 to 9 January."
    page.get_by_label("Your comment").fill(text)  # fill() fires the input event the browser's copy listens for
    Session.objects.all().delete()  # the session expires on the server; the browser still holds its cookies
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a draft").click()
    expect(page.get_by_label("E-mail address")).to_be_visible()
    assert not Comment.objects.exists()
    page.get_by_label("E-mail address").fill(manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section.title)
    expect(page.get_by_text("We have put back text you typed here earlier")).to_be_visible()
    expect(page.get_by_label("Your comment")).to_have_value(text)
    page.get_by_label("Information that is factually inaccurate").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save as a draft").click()
    expect(page.get_by_text("Comment saved as a draft")).to_be_visible()
    assert Comment.objects.get().text == text
    # Saved: the browser's copy is cleared, so the empty box for a new comment stays empty.
    page.reload()
    expect(page.get_by_label("Your comment")).to_have_value("")
