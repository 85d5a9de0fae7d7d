import pytest
from django.urls import reverse

from cqcportal.accounts.models import StaffRole
from cqcportal.tests.factories import LocationFactory, StaffFactory


@pytest.mark.django_db
def test_back_office_pages_open_for_admin_staff(client):
    admin = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)
    location = LocationFactory()
    client.force_login(admin)
    for name in [
        "admin:register_location_changelist",
        "admin:register_provider_changelist",
        "admin:accounts_user_changelist",
        "admin:audit_auditevent_changelist",
        "admin:django_celery_beat_periodictask_changelist",
        "admin:register_servicetype_changelist",
    ]:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("admin:register_location_change", args=[location.pk])).status_code == 200


@pytest.mark.django_db
def test_back_office_refuses_provider_users(client, provider_user):
    client.force_login(provider_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "login" in response.url


@pytest.mark.django_db
def test_back_office_review_button_calls_the_service_and_audits(client, location, provider_user):
    import datetime

    from django.db import transaction

    from assessments.models import InformationRequest
    from assessments.services import information_request_send, information_request_submit
    from cqcportal.audit.models import AuditEvent

    admin = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)
    today = datetime.date.today()
    with transaction.atomic():
        info = information_request_send(by=admin, location=location, questions="Q", today=today)
        information_request_submit(by=provider_user, request=info, response="A", today=today)
    client.force_login(admin)
    page = client.get(reverse("admin:assessments_informationrequest_change", args=[info.pk]))
    assert "Mark as reviewed" in page.text
    client.post(reverse("admin:assessments_informationrequest_review", args=[info.pk]))
    assert InformationRequest.objects.get(pk=info.pk).state == "reviewed"
    event = AuditEvent.objects.get(action="information_request.review")
    assert event.actor == admin


@pytest.mark.django_db
def test_back_office_person_page_shows_their_locations_not_the_whole_register(client, provider_user, location):
    """A provider user's locations are chosen by searching: the page does not list every location on the register."""
    admin = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True)
    LocationFactory(name="Elsewhere House")
    client.force_login(admin)
    page = client.get(reverse("admin:accounts_user_change", args=[provider_user.pk])).text
    assert location.name in page
    assert "Elsewhere House" not in page


@pytest.mark.django_db
def test_back_office_delegation_list_filters_by_providers_that_have_delegations(client, provider_user):
    import datetime

    from cqcportal.accounts.services import delegation_create
    from cqcportal.tests.factories import ProviderFactory, ProviderUserFactory

    today = datetime.date.today()
    colleague = ProviderUserFactory(membership__provider=provider_user.membership.provider)
    delegation_create(
        by=provider_user,
        delegator=provider_user,
        delegate=colleague,
        start_date=today,
        end_date=today + datetime.timedelta(days=7),
        reason="Leave",
        today=today,
    )
    ProviderFactory(name="No Delegations Ltd")
    client.force_login(StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True))
    page = client.get(reverse("admin:accounts_delegation_changelist")).text
    assert provider_user.membership.provider.name in page
    assert "No Delegations Ltd" not in page
