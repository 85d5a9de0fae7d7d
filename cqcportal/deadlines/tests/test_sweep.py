"""The sweep: reminders, closing windows with the flow's transition, escalation; exactly once, catching up."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from assessments.models import InformationRequest, InformationRequestState
from assessments.services import information_request_send, information_request_submit
from cqcportal.accounts.models import StaffRole, Team
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState, DeadlineStep
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import StaffFactory

LONDON = ZoneInfo("Europe/London")


def at(day: str, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def pir(inspector, location, provider_user):
    # Sent on Friday 18 December 2026: 15 working days skip Christmas, Boxing Day (observed 28th) and New Year.
    with transaction.atomic():
        request = information_request_send(
            by=inspector,
            location=location,
            questions="Your staffing rota, please.",
            today=datetime.date(2026, 12, 18),
            now=at("2026-12-18", 10),
        )
    return request


def _window(request) -> Deadline:
    return Deadline.objects.get(object_id=str(request.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)


def _reminders_to(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind="deadline.reminder")
        .order_by("pk")
        .values_list("subject", flat=True)
    )


@pytest.mark.django_db
def test_sweep_window_due_date_skips_christmas_and_explains_it(pir):
    window = _window(pir)
    assert window.due_date == datetime.date(2027, 1, 13)
    assert "Christmas Day (25 December 2026)" in window.explanation
    assert "Boxing Day (observed) (28 December 2026)" in window.explanation
    assert window.next_action_at == at("2027-01-06", 8)  # reminder 5 working days before


@pytest.mark.django_db
def test_sweep_reminds_provider_5_and_1_working_days_before_once_each(pir, provider_user):
    assert deadlines_sweep(now=at("2027-01-06", 7, 59)).processed == 0
    first = deadlines_sweep(now=at("2027-01-06", 8))
    assert (first.processed, first.reminders) == (1, 1)
    assert deadlines_sweep(now=at("2027-01-06", 12)).processed == 0  # run again: nothing to do
    deadlines_sweep(now=at("2027-01-12", 8))
    subjects = _reminders_to(provider_user)
    assert len(subjects) == 2
    assert all("due 13 January 2027" in s for s in subjects)
    assert (
        Notification.objects.filter(
            recipient=provider_user, kind="deadline.reminder", body__contains="1 working day left"
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_sweep_closes_window_with_no_response_exactly_once(pir, inspector, provider_user):
    after = at("2027-01-14", 0, 0)
    result = deadlines_sweep(now=after)
    assert result.closed == 1
    pir = InformationRequest.objects.get(pk=pir.pk)
    assert pir.state == InformationRequestState.CLOSED_NO_RESPONSE
    window = _window(pir)
    assert window.state == DeadlineState.MISSED and window.next_action_at is None
    # Both reminders were passed over (the sweep caught up after an outage), and recorded as such.
    steps = dict(DeadlineStep.objects.filter(deadline=window).values_list("step", "skipped"))
    assert steps == {"reminder:5": True, "reminder:1": True, "close": False}
    assert _reminders_to(provider_user) == []
    closed_to = set(Notification.objects.filter(kind="deadline.closed").values_list("recipient", flat=True))
    assert closed_to == {provider_user.pk, inspector.pk}
    counts = (Notification.objects.count(), AuditEvent.objects.count(), DeadlineStep.objects.count())
    again = deadlines_sweep(now=after + datetime.timedelta(days=3))
    assert again.processed == 0
    assert (Notification.objects.count(), AuditEvent.objects.count(), DeadlineStep.objects.count()) == counts


@pytest.mark.django_db
def test_sweep_last_moment_of_due_day_is_still_open(pir):
    deadlines_sweep(now=at("2027-01-13", 23, 59))
    assert _window(pir).state == DeadlineState.OPEN


@pytest.mark.django_db
def test_sweep_after_submission_nothing_closes_and_staff_target_starts(pir, inspector, provider_user):
    with transaction.atomic():
        information_request_submit(
            by=provider_user,
            request=pir,
            response="Attached below.",
            today=datetime.date(2027, 1, 11),
            now=at("2027-01-11", 15),
        )
    window = _window(pir)
    assert window.state == DeadlineState.MET and window.met_on_time
    target = Deadline.objects.get(object_id=str(pir.pk), kind=Kind.RESPONSE_TARGET)
    assert (target.owner, target.binds, target.due_date) == (inspector, "staff", datetime.date(2027, 1, 25))
    result = deadlines_sweep(now=at("2027-01-14", 1))
    assert result.closed == 0
    pir = InformationRequest.objects.get(pk=pir.pk)
    assert pir.state == InformationRequestState.SUBMITTED


@pytest.mark.django_db
def test_sweep_missed_staff_target_escalates_to_team_operations_manager(pir, inspector, provider_user):
    manager = StaffFactory(full_name="Olu Ops", roles=[StaffRole.OPERATIONS_MANAGER])
    inspector.team = Team.objects.create(name="ASC North West 2", operations_manager=manager)
    inspector.save()
    other_manager = StaffFactory(roles=[StaffRole.OPERATIONS_MANAGER])
    with transaction.atomic():
        information_request_submit(
            by=provider_user, request=pir, response="Here.", today=datetime.date(2027, 1, 11), now=at("2027-01-11", 15)
        )
    result = deadlines_sweep(now=at("2027-01-26", 0, 1))
    assert (result.closed, result.escalated) == (1, 1)
    escalations = Notification.objects.filter(kind="deadline.escalation")
    assert list(escalations.values_list("recipient", flat=True)) == [manager.pk]
    assert other_manager.pk not in escalations.values_list("recipient", flat=True)
    assert "Missed target" in escalations.get().subject
    assert deadlines_sweep(now=at("2027-01-27", 9)).escalated == 0


@pytest.mark.django_db
def test_sweep_missed_target_without_team_goes_to_every_operations_manager(location, inspector):
    managers = StaffFactory.create_batch(2, roles=[StaffRole.OPERATIONS_MANAGER])
    from cqcportal.deadlines.services import deadline_open

    with transaction.atomic():
        deadline_open(
            case=location,
            kind=Kind.PUBLICATION_TARGET,
            start_date=datetime.date(2027, 3, 1),
            case_description="Publish the report",
            owner=inspector,
        )
    deadlines_sweep(now=at("2027-06-01"))
    recipients = set(Notification.objects.filter(kind="deadline.escalation").values_list("recipient", flat=True))
    assert recipients == {m.pk for m in managers}


@pytest.mark.django_db
def test_sweep_handles_many_due_in_batches(location, inspector):
    from cqcportal.deadlines.services import deadline_open

    with transaction.atomic():
        for i in range(25):
            deadline_open(
                case=StaffFactory(),
                kind=Kind.RESPONSE_TARGET,
                start_date=datetime.date(2027, 3, 1),
                case_description=f"case {i}",
                owner=inspector,
            )
    result = deadlines_sweep(now=at("2027-04-01"), batch_size=7)
    assert result.processed == 25 and result.closed == 25
    assert Deadline.objects.filter(state=DeadlineState.MISSED).count() == 25
    assert InformationRequest.objects.count() == 0


@pytest.mark.django_db
def test_sweep_a_deadline_that_fails_is_left_whole_and_the_rest_of_its_batch_is_done(
    monkeypatch, inspector, location, provider_user
):
    from cqcportal.deadlines import registry

    with transaction.atomic():
        requests = [
            information_request_send(
                by=inspector,
                location=location,
                questions=f"Question {i}",
                today=datetime.date(2026, 12, 18),
                now=at("2026-12-18", 10),
            )
            for i in range(3)
        ]
    bad = requests[1]
    real = registry._MANY_EXPIRY_HANDLERS[str(Kind.PROVIDER_INFORMATION_REQUEST)]

    def broken(*, deadlines, now):
        if any(d.object_id == str(bad.pk) for d in deadlines):
            raise RuntimeError("this case cannot be closed")
        real(deadlines=deadlines, now=now)

    monkeypatch.setitem(registry._MANY_EXPIRY_HANDLERS, str(Kind.PROVIDER_INFORMATION_REQUEST), broken)
    result = deadlines_sweep(now=at("2027-01-14", 0, 0))
    # The batch failed as a whole, so each deadline was done on its own: the two good ones closed.
    assert result.failed == [_window(bad).pk]
    assert (result.processed, result.closed) == (2, 2)
    states = dict(InformationRequest.objects.values_list("pk", "state"))
    assert states[bad.pk] == InformationRequestState.REQUESTED
    assert {states[r.pk] for r in requests if r != bad} == {InformationRequestState.CLOSED_NO_RESPONSE}
    # Nothing of the failed one was written: it is still due, and the next sweep will try it again.
    window = _window(bad)
    assert (window.state, DeadlineStep.objects.filter(deadline=window).count()) == (DeadlineState.OPEN, 0)
    monkeypatch.setitem(registry._MANY_EXPIRY_HANDLERS, str(Kind.PROVIDER_INFORMATION_REQUEST), real)
    assert deadlines_sweep(now=at("2027-01-14", 0, 5)).closed == 1
    assert InformationRequest.objects.get(pk=bad.pk).state == InformationRequestState.CLOSED_NO_RESPONSE


@pytest.mark.django_db
def test_provider_contacts_many_agrees_with_one_at_a_time(location, provider_user):
    from cqcportal.accounts.models import Delegation, ProviderRole
    from cqcportal.deadlines.selectors import provider_contacts, provider_contacts_many
    from cqcportal.tests.factories import LocationFactory, ProviderUserFactory

    provider = location.provider
    other_location = LocationFactory(provider=provider)
    other_manager = ProviderUserFactory(
        membership__provider=provider,
        membership__role=ProviderRole.REGISTERED_MANAGER,
        membership__locations=[other_location],
    )
    nominated = ProviderUserFactory(membership__provider=provider, membership__role=ProviderRole.NOMINATED_INDIVIDUAL)
    gone = ProviderUserFactory(membership__provider=provider, membership__role=ProviderRole.NOMINATED_INDIVIDUAL)
    gone.is_active = False
    gone.save()
    colleague = ProviderUserFactory(membership__provider=provider, membership__role=ProviderRole.COLLEAGUE)
    today = datetime.date(2027, 1, 11)
    Delegation.objects.create(
        delegator=nominated,
        delegate=colleague,
        provider=provider,
        created_by=nominated,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=1),
    )
    keys = {(provider.pk, location.pk), (provider.pk, other_location.pk), (provider.pk, None)}
    many = provider_contacts_many(keys=keys, today=today)
    assert [c.pk for c in many[(provider.pk, location.pk)]] == [provider_user.pk, nominated.pk, colleague.pk]
    assert [c.pk for c in many[(provider.pk, other_location.pk)]] == [other_manager.pk, nominated.pk, colleague.pk]
    everyone = sorted([provider_user.pk, other_manager.pk, nominated.pk])
    assert [c.pk for c in many[(provider.pk, None)]] == [*everyone, colleague.pk]
    for provider_id, location_id in keys:
        one = provider_contacts(provider_id=provider_id, location_id=location_id, today=today)
        assert [(u.pk, u.email) for u in one] == [(c.pk, c.email) for c in many[(provider_id, location_id)]]
