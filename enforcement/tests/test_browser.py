"""Enforcement in real headless Chromium: a warning notice served, challenged with representations, answered,
decided and published; a notice of proposal to cancel, adopted, appealed and decided by the tribunal; an urgent
suspension public at once. At each step, what staff, the provider and the public see, and the rows behind it.

The location's report is published on Friday 18 December 2026 with every key question rated good, and the action
is served the same day: a warning notice's 10-working-day window ends on Wednesday 6 January 2027, a notice of
proposal's 28 days on Friday 15 January 2027. The clock is moved with time_machine and ticks: the live server
answers from a thread of this process and reads it too. People sign in again after a move of more than a few
hours, or their 8-hour session would have run out.
"""

import datetime
import os
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from assessments.models import EnforcementLimit, LocationRating
from assessments.tests.test_rating_reviews import _assessed
from assessments.working import location_working
from cqcportal.alerts.models import PublicEvent
from cqcportal.core.tests.test_browser import accessibility_violations, sign_in
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.register.models import PublishedRating, RegulatedActivity
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from cqcportal.tests.flows import report_published
from enforcement.models import ActionState, Appeal, Breach, EnforcementAction, Representation

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
SERVED_AT = datetime.datetime(2026, 12, 18, 10, 0, tzinfo=LONDON)  # a Friday before Christmas
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
ACTIVITY = "Accommodation for persons who require nursing or personal care"
LIMITED = "Enforcement (warning notice) limits it to inadequate."


@pytest.fixture
def clock():
    with time_machine.travel(SERVED_AT, tick=True) as traveller:
        yield traveller


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(clock):
    """The inspector, a registered manager at Maple Court, and the location's report, rated good on every key
    question and published today; the location carries on two regulated activities."""
    inspector = StaffFactory(full_name="Isla Inspector", email="isla@regulator.example")
    location = LocationFactory(name="Maple Court")
    activity = RegulatedActivity.objects.get_or_create(code="RA2", defaults={"name": ACTIVITY})[0]
    nursing = RegulatedActivity.objects.get_or_create(code="RA14", defaults={"name": "Nursing care"})[0]
    location.regulated_activities.add(activity, nursing)
    manager = ProviderUserFactory(
        full_name="Paula Provider",
        email="paula@provider.example",
        membership__provider=location.provider,
        membership__role="registered_manager",
        membership__locations=[location],
    )
    report = report_published(_assessed(inspector, location), by=inspector)
    return {
        "inspector": inspector,
        "location": location,
        "manager": manager,
        "report": report,
        "activity": activity,
        "nursing": nursing,
    }


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


def _action() -> EnforcementAction:
    return EnforcementAction.objects.get()


def _published(location) -> dict[str, str]:
    return dict(
        PublishedRating.objects.filter(location=location, is_current=True).values_list("key_question", "rating")
    )


def _staff_ratings(location) -> dict[str, str]:
    return dict(LocationRating.objects.filter(location=location).values_list("key_question", "rating"))


def _profile_rating(page, key_question):
    return page.locator(".govuk-summary-list__row", has=page.locator("dt", has_text=re.compile(f"^{key_question}$")))


def _record(staff, live_server, location, *, kind, summary, reason, regulations, proposal=None):
    """From the location's private page, fill in and send the form to record an action."""
    staff.goto(f"{live_server.url}/organisations/{location.provider_id}/locations/{location.pk}/")
    staff.get_by_role("link", name="Record enforcement action").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Record enforcement action")
    # Each regulation's key question starts at the one it mostly relates to.
    expect(staff.get_by_label("Key question for regulation 12")).to_have_value("safe")
    expect(staff.get_by_label("Key question for regulation 17")).to_have_value("well_led")
    staff.get_by_role("group", name="Kind of action").get_by_label(kind, exact=True).check()
    if proposal is not None:
        staff.get_by_label("What it does to the registration").select_option(label=proposal)
    staff.get_by_label("What the provider must do, or what the action does").fill(summary)
    staff.get_by_label("Why: the decision and its reasons").fill(reason)
    for regulation in regulations:
        staff.get_by_label(regulation, exact=True).check()
    assert accessibility_violations(staff) == []
    _click(staff, "Record the action")
    expect(staff.get_by_text("Action recorded. Serve it when the notice has gone to the provider.")).to_be_visible()
    expect(staff.get_by_text("Being prepared", exact=True)).to_be_visible()


def test_browser_warning_notice_served_challenged_answered_and_published(
    clock, people, signed_in, page, live_server, tmp_path, media
):
    inspector, location, manager = people["inspector"], people["location"], people["manager"]
    profile_url = f"{live_server.url}/location/{location.cqc_id}/"
    assert set(_published(location).values()) == {"good"}

    # The inspector records a warning notice against safe (regulation 12's key question unless changed).
    staff = signed_in(inspector)
    _record(
        staff,
        live_server,
        location,
        kind="Warning notice",
        summary="Medicines are not managed safely: you must make improvements by 31 March 2027.",
        reason="Repeated medicines errors at two assessments.",
        regulations=["Regulation 12: Safe care and treatment"],
    )
    action = _action()
    assert (action.kind, action.state, action.decided_by, action.served_on) == (
        "warning_notice",
        ActionState.DRAFT,
        inspector,
        None,
    )
    assert list(Breach.objects.values_list("regulation", "key_question")) == [("12", "safe")]
    assert _staff_ratings(location)["safe"] == "good"  # recorded, not served: no limit yet
    action_url = f"{live_server.url}/enforcement/{action.pk}/"
    assert staff.url == action_url

    # Served: the provider has until the end of Wednesday 6 January 2027, and safe is limited for staff at once.
    _click(staff, "Serve the warning notice")
    expect(staff.get_by_text("Served: the provider has been told.")).to_be_visible()
    expect(staff.get_by_text("Served: representations may be made", exact=True)).to_be_visible()
    expect(staff.get_by_text("due by the end of Wednesday 6 January 2027")).to_be_visible()
    expect(staff.get_by_text("Not published: it appears on the public profile")).to_be_visible()
    assert accessibility_violations(staff) == []
    action = _action()
    assert (action.state, action.served_on, action.published_at) == (
        ActionState.SERVED,
        datetime.date(2026, 12, 18),
        None,
    )
    window = Deadline.objects.get(kind=Kind.REPRESENTATIONS_WARNING_NOTICE)
    assert (window.due_date, window.state) == (datetime.date(2027, 1, 6), DeadlineState.OPEN)
    limit = EnforcementLimit.objects.get(source_action=action)
    assert (limit.key_question, limit.action, limit.lifted_on) == ("safe", "warning_notice", None)
    staff_ratings = _staff_ratings(location)
    assert (staff_ratings["safe"], staff_ratings["effective"]) == ("inadequate", "good")
    assert staff_ratings["overall"] == "requires_improvement"  # worked out again from the key questions
    working = location_working(location)
    assert working.key_questions[0].key_question == "safe"
    assert LIMITED in working.key_questions[0].explanation
    assert working.overall.slug == "requires_improvement"

    # Staff read the new working in the assessment's workspace.
    staff.goto(f"{live_server.url}/assessments/{people['report'].assessment_id}/")
    expect(staff.get_by_role("heading", name="Overall: Requires improvement")).to_be_visible()
    expect(staff.get_by_role("heading", name="Safe: Inadequate")).to_be_visible()
    expect(staff.get_by_text(LIMITED)).to_be_visible()

    # The public sees nothing yet: the published ratings and the public working are as they were.
    page.goto(profile_url)
    expect(_profile_rating(page, "Safe")).to_contain_text("Good")
    expect(page.get_by_text("Overall: Good")).to_be_visible()
    expect(page.get_by_role("heading", name="Enforcement action")).to_have_count(0)
    expect(page.get_by_text("Medicines are not managed safely")).to_have_count(0)
    page.get_by_role("link", name="How this rating was reached").click()
    expect(page.get_by_role("heading", name="Safe: Good")).to_be_visible()
    expect(page.get_by_text(LIMITED)).to_have_count(0)
    assert set(_published(location).values()) == {"good"}

    # The registered manager drafts representations about the regulated activity, with a PDF of evidence.
    evidence = tmp_path / "medicines audit.pdf"
    evidence.write_bytes(PDF)
    provider = signed_in(manager)
    provider.goto(action_url)
    expect(provider.get_by_role("heading", level=1)).to_have_text("Warning notice")
    expect(provider.get_by_role("heading", name="Make representations")).to_be_visible()
    expect(provider.get_by_text("Medicines are not managed safely")).to_be_visible()
    assert accessibility_violations(provider) == []
    provider.get_by_label("Which regulated activity is it about?").select_option(label=ACTIVITY)
    provider.get_by_label("Your representations").fill("Our audit shows no medicines errors since October.")
    provider.get_by_label("Upload evidence (optional)").set_input_files(evidence)
    _click(provider, "Save as a draft")
    expect(provider.get_by_text("Saved as a draft. A registered person or their delegate sends it.")).to_be_visible()
    expect(provider.get_by_role("link", name="medicines audit.pdf")).to_be_visible()
    expect(provider.get_by_text("Draft", exact=True)).to_be_visible()
    # The box for the other activity starts empty: the saved text is not put back as if it had been lost.
    expect(provider.get_by_label("Which regulated activity is it about?")).to_have_value(str(people["nursing"].pk))
    expect(provider.get_by_label("Your representations")).to_have_value("")
    expect(provider.get_by_text("We have put back text you typed here earlier")).to_have_count(0)
    # Text typed and not saved still comes back when the page is opened again.
    provider.get_by_label("Your representations").fill("Nurses were trained in November.")
    provider.reload()
    expect(provider.get_by_label("Your representations")).to_have_value("Nurses were trained in November.")
    expect(provider.get_by_text("We have put back text you typed here earlier")).to_be_visible()
    representation = Representation.objects.get()
    assert (representation.regulated_activity, representation.submitted_at) == (people["activity"], None)
    upload = representation.files.get()
    assert (upload.name, upload.file_type, upload.size, upload.uploaded_by) == (
        "medicines audit.pdf",
        "pdf",
        len(PDF),
        manager,
    )
    with upload.file.open("rb") as stored:
        assert stored.read() == PDF

    # Staff see no draft; the registered manager sends it within the window.
    staff.goto(action_url)
    expect(staff.get_by_text("Our audit shows no medicines errors")).to_have_count(0)
    _click(provider, "Send 1 representation")
    expect(provider.get_by_text("Your representations have been sent.")).to_be_visible()
    expect(provider.get_by_text("Representations closed: for decision", exact=True)).to_be_visible()
    assert accessibility_violations(provider) == []
    representation = Representation.objects.get()
    assert representation.submitted_by == manager and representation.submitted_at is not None
    assert _action().state == ActionState.REPRESENTATIONS_CLOSED
    assert Deadline.objects.get(pk=window.pk).state == DeadlineState.MET
    target = Deadline.objects.get(kind=Kind.REPRESENTATIONS_RESPONSE_TARGET)
    assert target.state == DeadlineState.OPEN

    # Staff answer the representation, then decide that the notice stands.
    staff.reload()
    expect(staff.get_by_text("Our audit shows no medicines errors since October.")).to_be_visible()
    expect(staff.get_by_text("Decision (1 representation still to answer)")).to_be_visible()
    assert accessibility_violations(staff) == []
    staff.get_by_label("Your response").fill("Noted; the errors recurred at our second visit.")
    _click(staff, "Save the response")
    expect(staff.get_by_text("Response saved.")).to_be_visible()
    expect(staff.get_by_text("Our response: Noted; the errors recurred at our second visit.")).to_be_visible()
    representation = Representation.objects.get()
    assert representation.responded_by == inspector
    assert Deadline.objects.get(pk=target.pk).state == DeadlineState.MET
    staff.get_by_label("The notice stands").check()
    staff.get_by_label("Reason", exact=True).fill("The audit does not cover the errors we found.")
    _click(staff, "Record the decision")
    expect(staff.get_by_text("Decision recorded.")).to_be_visible()
    expect(staff.get_by_text("In effect", exact=True)).to_be_visible()
    expect(staff.get_by_text("Published 18 December 2026.")).to_be_visible()
    action = _action()
    assert action.state == ActionState.IN_EFFECT and action.published_at is not None
    assert action.effective_on == datetime.date(2026, 12, 18)
    published = _published(location)
    assert (published["safe"], published["overall"], published["effective"]) == (
        "inadequate",
        "requires_improvement",
        "good",
    )
    assert PublishedRating.objects.filter(location=location, key_question="safe", rating="good", is_current=False)
    assert PublicEvent.objects.filter(location=location, kind="enforcement_published").count() == 1

    # The public profile shows the action and the limited ratings; the public working says why.
    page.goto(profile_url)
    expect(page.get_by_role("heading", name="Enforcement action")).to_be_visible()
    expect(page.get_by_role("heading", name="Warning notice, served 18 December 2026")).to_be_visible()
    expect(page.get_by_text("Medicines are not managed safely: you must make improvements")).to_be_visible()
    expect(_profile_rating(page, "Safe")).to_contain_text("Inadequate")
    expect(_profile_rating(page, "Effective")).to_contain_text("Good")
    expect(page.get_by_text("Overall: Requires improvement")).to_be_visible()
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="How this rating was reached").click()
    expect(page.get_by_role("heading", name="Safe: Inadequate")).to_be_visible()
    expect(page.get_by_text(LIMITED)).to_contain_text(
        "Cause: Warning notice served on 18 December 2026: Medicines are not managed safely"
    )
    expect(page.get_by_role("heading", name="Overall: Requires improvement")).to_be_visible()

    # The provider reads the answer and the outcome; the file stays with its representation.
    provider.reload()
    expect(provider.get_by_text("Our response: Noted; the errors recurred at our second visit.")).to_be_visible()
    expect(provider.get_by_role("heading", name="Make representations")).to_have_count(0)
    assert accessibility_violations(provider) == []


def test_browser_notice_of_proposal_to_cancel_adopted_appealed_and_decided(clock, people, signed_in, page, live_server):
    inspector, location = people["inspector"], people["location"]
    profile_url = f"{live_server.url}/location/{location.cqc_id}/"
    summary = "We propose to cancel the registration of the regulated activity at Maple Court."

    staff = signed_in(inspector)
    _record(
        staff,
        live_server,
        location,
        kind="Notice of proposal",
        proposal="Cancel registration",
        summary=summary,
        reason="Inadequate at three assessments; no improvement.",
        regulations=["Regulation 17: Good governance"],
    )
    expect(staff.get_by_role("heading", level=1)).to_have_text("Notice of proposal: Cancel registration")
    expect(staff.get_by_text("Regulation 17: Good governance (limits the well-led rating)")).to_be_visible()
    action = _action()
    assert (action.kind, action.proposal) == ("notice_of_proposal", "cancel")
    assert list(Breach.objects.values_list("regulation", "key_question")) == [("17", "well_led")]
    _click(staff, "Serve the notice of proposal")
    expect(staff.get_by_text("due by the end of Friday 15 January 2027")).to_be_visible()
    assert _action().state == ActionState.SERVED
    assert Deadline.objects.get(kind=Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL).due_date == datetime.date(2027, 1, 15)
    assert _staff_ratings(location)["well_led"] == "inadequate"

    # No representations by the end of the 28 days: the sweep closes the window and the proposal waits for us.
    clock.move_to(datetime.datetime(2027, 1, 18, 9, 0, tzinfo=LONDON))  # the Monday after
    deadlines_sweep(now=datetime.datetime(2027, 1, 18, 9, 0, tzinfo=LONDON))
    action = _action()
    assert (action.state, action.published_at) == (ActionState.REPRESENTATIONS_CLOSED, None)
    assert Deadline.objects.get(kind=Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL).state == DeadlineState.MISSED

    staff = signed_in(inspector)
    staff.goto(f"{live_server.url}/enforcement/{action.pk}/")
    expect(staff.get_by_text("Representations closed: for decision", exact=True)).to_be_visible()
    staff.get_by_label("Adopt: serve the notice of decision").check()
    staff.get_by_label("Reason", exact=True).fill("No representations; the evidence is unchanged.")
    _click(staff, "Record the decision")
    expect(staff.get_by_text("Decision recorded.")).to_be_visible()
    expect(staff.get_by_text("Notice of decision served: may be appealed", exact=True)).to_be_visible()
    expect(staff.get_by_text("Proposal adopted: notice of decision served on 18 January 2027.")).to_be_visible()
    appeal_window = Deadline.objects.get(kind=Kind.TRIBUNAL_APPEAL_WINDOW)
    assert (appeal_window.due_date, appeal_window.state) == (datetime.date(2027, 2, 15), DeadlineState.OPEN)
    assert _action().state == ActionState.DECISION_SERVED
    assert accessibility_violations(staff) == []

    # The provider appeals to the First-tier Tribunal; staff record it from the tribunal's notice.
    clock.move_to(datetime.datetime(2027, 2, 1, 10, 0, tzinfo=LONDON))
    staff = signed_in(inspector)
    staff.goto(f"{live_server.url}/enforcement/{action.pk}/")
    staff.get_by_label("Appeal to the First-tier Tribunal lodged on").fill("2027-02-01")
    _click(staff, "Record the appeal")
    expect(
        staff.get_by_text("Appeal recorded: the action is not published until the tribunal decides.")
    ).to_be_visible()
    expect(staff.get_by_text("Appealed to the First-tier Tribunal", exact=True)).to_be_visible()
    expect(staff.get_by_text("Lodged 1 February 2027")).to_be_visible()
    assert accessibility_violations(staff) == []
    action = _action()
    assert (action.state, action.published_at) == (ActionState.APPEALED, None)
    assert Appeal.objects.get().lodged_on == datetime.date(2027, 2, 1)
    assert Deadline.objects.get(pk=appeal_window.pk).state == DeadlineState.MET

    # Not public while the appeal is open.
    page.goto(profile_url)
    expect(page.get_by_role("heading", name="Enforcement action")).to_have_count(0)
    expect(page.get_by_text(summary)).to_have_count(0)
    expect(_profile_rating(page, "Well-led")).to_contain_text("Good")

    # The tribunal dismisses the appeal: the action is concluded and published.
    clock.move_to(datetime.datetime(2027, 3, 1, 10, 0, tzinfo=LONDON))
    staff = signed_in(inspector)
    staff.goto(f"{live_server.url}/enforcement/{action.pk}/")
    staff.get_by_label("The tribunal's decision").select_option(label="Dismissed: the decision stands")
    staff.get_by_label("Date of the decision").fill("2027-03-01")
    staff.get_by_label("Notes").fill("The tribunal upheld the decision.")
    _click(staff, "Record the tribunal's decision")
    expect(staff.get_by_text("The tribunal's decision is recorded.")).to_be_visible()
    expect(staff.get_by_text("Concluded", exact=True)).to_be_visible()
    expect(staff.get_by_text("Lodged 1 February 2027: dismissed: the decision stands (1 March 2027)")).to_be_visible()
    action = _action()
    assert action.state == ActionState.CONCLUDED and action.published_at is not None
    assert action.outcome == "Dismissed: the decision stands (1 March 2027). The tribunal upheld the decision."
    appeal = Appeal.objects.get()
    assert (appeal.outcome, appeal.outcome_on) == (Appeal.Outcome.DISMISSED, datetime.date(2027, 3, 1))

    page.goto(profile_url)
    expect(page.get_by_role("heading", name="Enforcement action")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Notice of proposal: Cancel registration, served 18 December 2026")
    ).to_be_visible()
    expect(page.get_by_text(summary)).to_be_visible()
    expect(page.get_by_text("Dismissed: the decision stands (1 March 2027)")).to_be_visible()
    expect(_profile_rating(page, "Well-led")).to_contain_text("Inadequate")
    assert _published(location)["well_led"] == "inadequate"
    assert accessibility_violations(page) == []


def test_browser_urgent_suspension_is_public_at_once(clock, people, signed_in, page, live_server):
    inspector, location = people["inspector"], people["location"]
    summary = "Registration suspended for three months with immediate effect."

    staff = signed_in(inspector)
    _record(
        staff,
        live_server,
        location,
        kind="Urgent procedure (effect at once)",
        proposal="Suspend registration",
        summary=summary,
        reason="People are at risk of serious harm.",
        regulations=[
            "Regulation 12: Safe care and treatment",
            "Regulation 13: Safeguarding service users from abuse and improper treatment",
        ],
    )
    assert sorted(Breach.objects.values_list("regulation", "key_question")) == [("12", "safe"), ("13", "safe")]
    _click(staff, "Serve the urgent procedure (effect at once)")
    expect(staff.get_by_text("Served: the provider has been told.")).to_be_visible()
    expect(staff.get_by_text("In effect", exact=True)).to_be_visible()
    expect(staff.get_by_text("Published 18 December 2026.")).to_be_visible()
    expect(staff.get_by_label("Appeal to the First-tier Tribunal lodged on")).to_be_visible()
    assert accessibility_violations(staff) == []
    action = _action()
    assert (action.state, action.served_on, action.effective_on) == (
        ActionState.IN_EFFECT,
        datetime.date(2026, 12, 18),
        datetime.date(2026, 12, 18),
    )
    assert action.published_at is not None
    assert Deadline.objects.get(kind=Kind.TRIBUNAL_APPEAL_WINDOW).due_date == datetime.date(2027, 1, 15)
    assert _published(location)["safe"] == "inadequate"

    page.goto(f"{live_server.url}/location/{location.cqc_id}/")
    expect(page.get_by_role("heading", name="Enforcement action")).to_be_visible()
    expect(
        page.get_by_role(
            "heading", name="Urgent procedure (effect at once): Suspend registration, served 18 December 2026"
        )
    ).to_be_visible()
    expect(page.get_by_text(summary)).to_be_visible()
    expect(_profile_rating(page, "Safe")).to_contain_text("Inadequate")
    assert accessibility_violations(page) == []
