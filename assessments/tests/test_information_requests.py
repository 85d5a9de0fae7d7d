"""The provider information request, as staff and providers use it in the portal."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import InformationRequest, InformationRequestState
from assessments.services import RESPONSE_MAX_CHARS, information_request_send
from cqcportal.accounts.services import delegation_create
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory

LONDON = ZoneInfo("Europe/London")
SENT = datetime.datetime(2027, 3, 1, 10, tzinfo=LONDON)  # due Monday 22 March 2027


@pytest.fixture
def info(inspector, location, provider_user):
    with time_machine.travel(SENT, tick=False), transaction.atomic():
        return information_request_send(
            by=inspector, location=location, questions="Your rota", today=timezone.localdate()
        )


def _url(info):
    return reverse("assessments:information-request", args=[info.pk])


def _reload(info):
    return InformationRequest.objects.get(pk=info.pk)


@pytest.mark.django_db
def test_information_request_staff_sends_from_location_page(client, inspector, location, provider_user):
    client.force_login(inspector)
    response = client.post(
        reverse("assessments:information-request-new", args=[location.pk]), {"questions": "Staffing rota"}, follow=True
    )
    assert response.status_code == 200
    info = InformationRequest.objects.get()
    assert "Reply by the end of" in response.text
    assert Deadline.objects.get(object_id=str(info.pk)).binds == "provider"
    assert Notification.objects.filter(recipient=provider_user, kind="information_request.sent").exists()


@pytest.mark.django_db
def test_information_request_provider_cannot_send(client, provider_user, location):
    client.force_login(provider_user)
    assert client.get(reverse("assessments:information-request-new", args=[location.pk])).status_code == 404


@pytest.mark.django_db
def test_information_request_provider_sees_deadline_and_how_it_was_worked_out(client, info, provider_user):
    with time_machine.travel(SENT + datetime.timedelta(days=1), tick=False):
        client.force_login(provider_user)
        response = client.get(_url(info))
    assert "Reply by the end of Monday 22 March 2027" in response.text
    assert "How this date was worked out" in response.text
    assert "15 working days after Monday 1 March 2027" in response.text


@pytest.mark.django_db
def test_information_request_provider_submits_and_delegate_is_recorded(client, info, provider_user):
    colleague = ProviderUserFactory(full_name="Carl Colleague", membership__provider=provider_user.membership.provider)
    with transaction.atomic():
        delegation_create(
            by=provider_user,
            delegator=provider_user,
            delegate=colleague,
            start_date=datetime.date(2027, 3, 1),
            end_date=datetime.date(2027, 3, 31),
            reason="Leave",
            today=datetime.date(2027, 3, 1),
        )
    with time_machine.travel(datetime.datetime(2027, 3, 10, 12, tzinfo=LONDON), tick=False):
        client.force_login(colleague)
        response = client.post(_url(info), {"response": "Rota attached."}, follow=True)
    assert "Your response has been sent" in response.text
    info = _reload(info)
    assert (info.state, info.submitted_by, info.submitted_on_behalf_of) == (
        InformationRequestState.SUBMITTED,
        colleague,
        provider_user,
    )
    event = AuditEvent.objects.get(action="information_request.submit")
    assert event.on_behalf_of == provider_user
    assert "as delegate for Paula Provider" in event.actor_description
    window = Deadline.objects.get(object_id=str(info.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)
    assert window.state == DeadlineState.MET and window.met_on_time


@pytest.mark.django_db
def test_information_request_second_click_gets_plain_message_and_nothing_changes(client, info, provider_user):
    with time_machine.travel(datetime.datetime(2027, 3, 10, 12, tzinfo=LONDON), tick=False):
        client.force_login(provider_user)
        client.post(_url(info), {"response": "First answer."})
        response = client.post(_url(info), {"response": "Second answer."})
    assert "This request was answered already" in response.text
    assert _reload(info).response == "First answer."
    assert Deadline.objects.filter(object_id=str(info.pk), kind=Kind.RESPONSE_TARGET).count() == 1


@pytest.mark.django_db
def test_information_request_late_submission_is_refused_and_text_kept(client, info, provider_user):
    with time_machine.travel(datetime.datetime(2027, 3, 23, 0, 5, tzinfo=LONDON), tick=False):
        client.force_login(provider_user)
        response = client.post(_url(info), {"response": "Sorry this is late."})
    assert response.status_code == 200
    assert "The deadline was the end of 22 March 2027" in response.text
    assert "Sorry this is late." in response.text
    assert _reload(info).state == InformationRequestState.REQUESTED


@pytest.mark.django_db
def test_information_request_over_long_response_is_refused_and_kept(client, info, provider_user):
    text = "a" * (RESPONSE_MAX_CHARS + 1)
    with time_machine.travel(datetime.datetime(2027, 3, 10, 12, tzinfo=LONDON), tick=False):
        client.force_login(provider_user)
        response = client.post(_url(info), {"response": text})
    assert f"{RESPONSE_MAX_CHARS:,} characters or fewer" in response.text
    assert text in response.text
    assert _reload(info).state == InformationRequestState.REQUESTED


@pytest.mark.django_db
def test_information_request_other_provider_gets_not_found(client, info):
    stranger = ProviderUserFactory(membership__provider=LocationFactory().provider)
    client.force_login(stranger)
    assert client.get(_url(info)).status_code == 404
    assert client.post(_url(info), {"response": "x"}).status_code == 404
    assert _reload(info).state == InformationRequestState.REQUESTED


@pytest.mark.django_db
def test_information_request_staff_pause_and_extend_from_the_page(client, info, inspector):
    with time_machine.travel(datetime.datetime(2027, 3, 5, 12, tzinfo=LONDON), tick=False):
        client.force_login(inspector)
        response = client.post(
            reverse("assessments:information-request-clock", args=[info.pk, "pause"]),
            {"reason": "Manager ill"},
            follow=True,
        )
        assert "The clock has stopped" in response.text
        response = client.post(
            reverse("assessments:information-request-clock", args=[info.pk, "extend"]),
            {"new_due_date": "30/3/2027", "reason": "Flood"},
            follow=True,
        )
    assert "Extended to 30 March 2027" in response.text
    with time_machine.travel(datetime.datetime(2027, 3, 8, 12, tzinfo=LONDON), tick=False):
        client.force_login(inspector)
        response = client.post(reverse("assessments:information-request-clock", args=[info.pk, "resume"]), follow=True)
    assert "The clock has restarted; the new due date is 31 March 2027" in response.text


@pytest.mark.django_db
def test_information_request_provider_cannot_move_the_clock(client, info, provider_user):
    client.force_login(provider_user)
    response = client.post(reverse("assessments:information-request-clock", args=[info.pk, "pause"]), {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_inbox_lists_notifications_and_marks_read(client, info, provider_user):
    client.force_login(provider_user)
    response = client.get(reverse("notifications:inbox"))
    assert "Information request for" in response.text
    assert "Unread" in response.text
    item = Notification.objects.filter(recipient=provider_user).first()
    client.get(reverse("notifications:inbox-item", args=[item.pk]))
    assert Notification.objects.get(pk=item.pk).read_at is not None
    response = client.post(reverse("notifications:inbox-open", args=[item.pk]))
    assert response.url == _url(info)


@pytest.mark.django_db
def test_inbox_items_of_others_are_not_found(client, info, inspector, provider_user):
    item = Notification.objects.filter(recipient=provider_user).first()
    client.force_login(inspector)
    assert client.get(reverse("notifications:inbox-item", args=[item.pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 12])
def test_information_request_pages_query_budget(
    client, django_assert_max_num_queries, inspector, location, provider_user, n
):
    with transaction.atomic():
        for _ in range(n):
            info = information_request_send(by=inspector, location=location, questions="Q", today=timezone.localdate())
    client.force_login(provider_user)
    for url, budget in [(_url(info), 14), (reverse("notifications:inbox"), 8), (reverse("core:dashboard"), 14)]:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_information_request_colleague_without_delegation_cannot_answer(client, info, provider_user):
    colleague = ProviderUserFactory(membership__provider=provider_user.membership.provider)
    with time_machine.travel(datetime.datetime(2027, 3, 10, 12, tzinfo=LONDON), tick=False):
        client.force_login(colleague)
        page = client.get(_url(info))
        assert "or a colleague they have named as their delegate, answers this request" in page.text
        response = client.post(_url(info), {"response": "I'll answer."})
    assert "Only a registered person" in response.text
    assert _reload(info).state == InformationRequestState.REQUESTED


@pytest.mark.django_db
def test_information_request_paused_past_due_date_still_accepts_the_answer(client, info, inspector, provider_user):
    from cqcportal.deadlines.services import deadline_pause

    window = Deadline.objects.get(object_id=str(info.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)
    deadline_pause(deadline=window, by=inspector, reason="Manager ill", today=datetime.date(2027, 3, 10))
    with time_machine.travel(datetime.datetime(2027, 3, 24, 12, tzinfo=LONDON), tick=False):
        client.force_login(provider_user)
        response = client.post(_url(info), {"response": "Here it is."}, follow=True)
    assert "Your response has been sent" in response.text
    window = Deadline.objects.get(pk=window.pk)
    assert window.state == DeadlineState.MET and window.met_on_time is True
