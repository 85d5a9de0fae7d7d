"""Enforcement through its services on PostgreSQL: windows, representations, decisions, appeals, publication,
the rating limits, and the pause of rating reviews while a challenge is open."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import review_services
from assessments.models import EnforcementLimit, LocationRating
from assessments.tests.test_rating_reviews import _assessed
from assessments.working import location_working
from cqcportal.accounts.models import StaffRole
from cqcportal.alerts.models import PublicEvent
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.register.models import PublishedRating, RegulatedActivity
from cqcportal.tests.factories import ProviderUserFactory, StaffFactory
from cqcportal.tests.flows import report_published
from enforcement import services
from enforcement.models import ActionState, Representation

LONDON = ZoneInfo("Europe/London")
SERVED = datetime.date(2026, 12, 18)  # a Friday before Christmas
PDF = b"%PDF-1.4\n%%EOF\n"


def at(day, hour=10, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(at(SERVED), tick=False) as traveller:
        yield traveller


@pytest.fixture
def rated(clock, inspector, location, provider_user):
    """A location whose published report rated every key question good."""
    return report_published(_assessed(inspector, location), by=inspector)


@pytest.fixture
def activity(db):
    return RegulatedActivity.objects.get_or_create(
        code="RA1", defaults={"name": "Accommodation for persons who require nursing or personal care"}
    )[0]


def _warning(inspector, location):
    return services.action_record(
        by=inspector,
        kind="warning_notice",
        provider=location.provider,
        location=location,
        summary="Medicines are not managed safely: you must make improvements by 31 March 2027.",
        reason="Repeated medicines errors at two assessments.",
        breaches=[("12", "safe")],
    )


def _current(location):
    return dict(
        PublishedRating.objects.filter(location=location, is_current=True).values_list("key_question", "rating")
    )


@pytest.mark.django_db
def test_warning_notice_limits_safe_for_staff_at_once_and_for_the_public_when_published(
    rated, inspector, location, provider_user, activity, clock, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    action = services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    window = Deadline.objects.get(kind=Kind.REPRESENTATIONS_WARNING_NOTICE)
    assert window.due_date == datetime.date(2027, 1, 6)  # 10 working days across Christmas and New Year
    assert EnforcementLimit.objects.get(source_action=action).key_question == "safe"
    assert LocationRating.objects.get(location=location, key_question="safe").rating == "inadequate"
    staff_working = location_working(location)
    assert "Enforcement (warning notice) limits it to inadequate" in staff_working.key_questions[0].explanation
    # Not yet published: the public working and the profile's ratings are unchanged.
    assert location_working(location, published_only=True).key_questions[0].rating.slug == "good"
    assert _current(location)["safe"] == "good"

    colleague = ProviderUserFactory(membership__provider=location.provider, membership__role="colleague")
    draft = services.representation_save(by=colleague, action=action, regulated_activity=activity, text="We disagree.")
    services.representation_file_add(
        by=colleague, representation=draft, upload=SimpleUploadedFile("audit.pdf", PDF, "application/pdf")
    )
    with pytest.raises(services.EnforcementCannotChange, match="already representations about"):
        services.representation_save(by=colleague, action=action, regulated_activity=activity, text="Again.")
    with pytest.raises(services.EnforcementCannotChange, match="Only a registered person"):
        services.representations_submit(by=colleague, action=action, today=SERVED)
    services.representations_submit(by=provider_user, action=action, today=SERVED)
    assert Deadline.objects.get(pk=window.pk).state == DeadlineState.MET
    target = Deadline.objects.get(kind=Kind.REPRESENTATIONS_RESPONSE_TARGET)
    assert target.rule_days == 20
    with pytest.raises(services.EnforcementCannotChange, match="still need a response"):
        services.action_decide(by=inspector, action=action, adopt=True, reason="Stands.", today=SERVED)
    services.representation_respond(
        by=inspector, representation=Representation.objects.get(), response="Noted; the errors recurred."
    )
    assert Deadline.objects.get(pk=target.pk).state == DeadlineState.MET
    decided = services.action_decide(by=inspector, action=action, adopt=True, reason="The notice stands.", today=SERVED)
    assert decided.state == ActionState.IN_EFFECT and decided.published_at is not None
    current = _current(location)
    assert current["safe"] == "inadequate"
    assert current["overall"] == "requires_improvement"  # one inadequate key question pulls the overall down
    assert PublicEvent.objects.filter(kind="enforcement_published").exists()


@pytest.mark.django_db
def test_late_representations_are_refused_and_drafts_kept_then_the_notice_stands(
    rated, inspector, location, provider_user, activity, clock
):
    action = services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    services.representation_save(by=provider_user, action=action, regulated_activity=activity, text="Draft.")
    clock.move_to(at(datetime.date(2027, 1, 7), 0, 0))
    with pytest.raises(services.EnforcementCannotChange, match="ended at the end of Wednesday 6 January 2027"):
        services.representations_submit(by=provider_user, action=action, today=datetime.date(2027, 1, 7))
    assert Representation.objects.get().text == "Draft."
    deadlines_sweep(now=at(datetime.date(2027, 1, 7), 0, 5))
    action = type(action).objects.get(pk=action.pk)
    assert action.state == ActionState.IN_EFFECT and action.published_at is not None


@pytest.mark.django_db
def test_notice_of_proposal_to_cancel_adopted_appealed_and_decided_pauses_a_rating_review(
    rated, inspector, location, provider_user, clock
):
    review = review_services.rating_review_submit(
        by=provider_user,
        review=review_services.rating_review_draft_save(
            by=provider_user, report=rated, challenges={"safe": "Night staff were not asked."}
        ),
        today=SERVED,
    )
    action = services.action_record(
        by=inspector,
        kind="notice_of_proposal",
        proposal="cancel",
        provider=location.provider,
        location=location,
        summary="We propose to cancel the registration of the regulated activity at this location.",
        reason="Inadequate at three assessments; no improvement.",
        breaches=[("17", "well_led"), ("12", "safe")],
    )
    action = services.action_serve(by=inspector, action=action, today=SERVED)
    assert Deadline.objects.get(kind=Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL).due_date == datetime.date(2027, 1, 15)
    clock.move_to(at(datetime.date(2027, 1, 16), 0, 5))
    deadlines_sweep(now=at(datetime.date(2027, 1, 16), 0, 5))
    action = type(action).objects.get(pk=action.pk)
    assert action.state == ActionState.REPRESENTATIONS_CLOSED and action.published_at is None
    decided = services.action_decide(
        by=inspector, action=action, adopt=True, reason="Adopted.", today=datetime.date(2027, 1, 18)
    )
    assert decided.state == ActionState.DECISION_SERVED
    appeal_window = Deadline.objects.get(kind=Kind.TRIBUNAL_APPEAL_WINDOW)
    assert appeal_window.due_date == datetime.date(2027, 2, 15)  # 28 calendar days
    target = Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET)
    assert target.state == DeadlineState.OPEN
    clock.move_to(at(datetime.date(2027, 2, 1)))
    services.appeal_record(
        by=inspector, action=decided, lodged_on=datetime.date(2027, 2, 1), today=datetime.date(2027, 2, 1)
    )
    assert Deadline.objects.get(pk=target.pk).state == DeadlineState.PAUSED  # the appeal pauses the review
    assert "appeal to the First-tier Tribunal" in Deadline.objects.get(pk=target.pk).pauses.get().reason
    assert type(action).objects.get(pk=action.pk).published_at is None  # not public while the appeal is open
    clock.move_to(at(datetime.date(2027, 3, 1)))
    services.appeal_outcome_record(
        by=inspector,
        action=decided,
        outcome="dismissed",
        notes="The tribunal upheld the decision.",
        on=datetime.date(2027, 3, 1),
    )
    action = type(action).objects.get(pk=action.pk)
    assert action.state == ActionState.CONCLUDED and action.published_at is not None
    resumed = Deadline.objects.get(pk=target.pk)
    assert resumed.state == DeadlineState.OPEN and resumed.paused_days > 0
    assert review.pk


@pytest.mark.django_db
def test_urgent_suspension_is_in_effect_and_public_at_once(rated, inspector, location):
    action = services.action_record(
        by=StaffFactory(roles=[StaffRole.DEPUTY_DIRECTOR]),
        kind="urgent",
        proposal="suspend",
        provider=location.provider,
        location=location,
        summary="Registration suspended for three months with immediate effect.",
        reason="People are at risk of serious harm.",
        breaches=[("12", "safe"), ("13", "safe")],
    )
    served = services.action_serve(by=inspector, action=action, today=SERVED)
    assert served.state == ActionState.IN_EFFECT and served.published_at is not None
    assert _current(location)["safe"] == "inadequate"
    assert Deadline.objects.get(kind=Kind.TRIBUNAL_APPEAL_WINDOW).due_date == datetime.date(2027, 1, 15)


@pytest.mark.django_db
def test_withdrawn_notice_lifts_its_limit(rated, inspector, location):
    action = services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    services.action_decide(by=inspector, action=action, adopt=False, reason="Evidence reconsidered.", today=SERVED)
    assert EnforcementLimit.objects.get(source_action=action).lifted_on is not None
    assert LocationRating.objects.get(location=location, key_question="safe").rating == "good"


@pytest.mark.django_db
def test_recording_refuses_missing_parts(inspector, location):
    with pytest.raises(services.EnforcementCannotChange, match="what the notice does"):
        services.action_record(
            by=inspector,
            kind="notice_of_proposal",
            provider=location.provider,
            summary="x",
            reason="y",
            breaches=[("12", "safe")],
        )
    with pytest.raises(services.EnforcementCannotChange, match="at least one regulation"):
        services.action_record(
            by=inspector, kind="warning_notice", provider=location.provider, summary="x", reason="y", breaches=[]
        )
    with pytest.raises(services.EnforcementCannotChange, match="staff"):
        services.action_record(
            by=ProviderUserFactory(),
            kind="warning_notice",
            provider=location.provider,
            summary="x",
            reason="y",
            breaches=[("12", "safe")],
        )


@pytest.mark.django_db
def test_representations_being_considered_pause_a_rating_review_until_the_decision(
    rated, inspector, location, provider_user, activity, clock
):
    review_services.rating_review_submit(
        by=provider_user,
        review=review_services.rating_review_draft_save(by=provider_user, report=rated, challenges={"safe": "x y z"}),
        today=SERVED,
    )
    target = Deadline.objects.get(kind=Kind.RATING_REVIEW_TARGET)
    action = services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    assert Deadline.objects.get(pk=target.pk).state == DeadlineState.OPEN  # served, not yet challenged
    services.representation_save(by=provider_user, action=action, regulated_activity=activity, text="We disagree.")
    services.representations_submit(by=provider_user, action=action, today=SERVED)
    paused = Deadline.objects.get(pk=target.pk)
    assert paused.state == DeadlineState.PAUSED
    assert paused.pauses.get().reason == "Representations on a warning notice are being considered."
    services.representation_respond(by=inspector, representation=Representation.objects.get(), response="Noted.")
    clock.move_to(at(datetime.date(2026, 12, 23)))
    services.action_decide(by=inspector, action=action, adopt=True, reason="Stands.", today=datetime.date(2026, 12, 23))
    resumed = Deadline.objects.get(pk=target.pk)
    assert resumed.state == DeadlineState.OPEN and resumed.paused_days == 3  # 21, 22 and 23 December


@pytest.mark.django_db
def test_public_profile_shows_enforcement_only_once_published(rated, inspector, location, client, clock):
    services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    profile = f"/location/{location.cqc_id}/"
    assert "Medicines are not managed safely" not in client.get(profile).text
    clock.move_to(at(datetime.date(2027, 1, 7), 0, 5))
    deadlines_sweep(now=at(datetime.date(2027, 1, 7), 0, 5))  # no representations: the notice stands
    page = client.get(profile).text
    assert "Enforcement action" in page and "Medicines are not managed safely" in page


@pytest.mark.django_db
def test_the_provider_is_told_the_decision(rated, inspector, location, provider_user):
    from cqcportal.notifications.models import Notification

    action = services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    services.action_decide(by=inspector, action=action, adopt=False, reason="Evidence reconsidered.", today=SERVED)
    notice = Notification.objects.get(kind="enforcement.decided", recipient=provider_user)
    assert "We have withdrawn the warning notice." in notice.body and "Evidence reconsidered." in notice.body
