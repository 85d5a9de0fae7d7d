"""Fit and proper person concerns: recorded, passed on, answered, reviewed, closed; the referrer stays hidden."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from enforcement import fit_and_proper as services
from enforcement.models import ConcernState, FitAndProperConcern

REFERRER = "Rita Referrer, 07700 900123"


@pytest.fixture
def concern(inspector, provider):
    return services.concern_record(
        by=inspector,
        provider=provider,
        director_name="Dan Director",
        concern="A previous company he directed was struck off after a safeguarding investigation.",
        received_on=datetime.date(2026, 11, 2),
        referrer_name="Rita Referrer",
        referrer_contact="07700 900123",
    )


@pytest.mark.django_db
def test_concern_flows_to_an_outcome_and_the_referrer_is_never_shown_to_the_provider(
    client, concern, inspector, provider_user, location, django_capture_on_commit_callbacks
):
    colleague = ProviderUserFactory(membership__provider=location.provider, membership__role="colleague")
    url = reverse("enforcement:concern", args=[concern.pk])
    client.force_login(provider_user)
    assert client.get(url).status_code == 404  # not passed on yet
    with django_capture_on_commit_callbacks(execute=True):
        services.concern_pass_to_provider(by=inspector, concern=concern, today=datetime.date(2026, 11, 3))
    notice = Notification.objects.get(kind="fit_and_proper.passed", recipient=provider_user)
    assert "Rita" not in notice.body and "07700" not in notice.body
    assert all("Rita" not in m.body for m in mail.outbox)
    page = client.get(url).text
    assert "struck off" in page and "Rita" not in page and "07700" not in page
    with pytest.raises(services.ConcernCannotChange, match="Only a registered person"):
        services.concern_respond(by=colleague, concern=concern, text="x", today=datetime.date(2026, 11, 4))
    response = client.post(
        reverse("enforcement:concern-step", args=[concern.pk, "respond"]),
        {"response": "We checked the Companies House record and his DBS; the investigation cleared him."},
        follow=True,
    )
    assert "Your response has been sent" in response.text
    assert client.post(reverse("enforcement:concern-step", args=[concern.pk, "review"])).status_code == 404
    client.force_login(inspector)
    staff_page = client.get(url).text
    assert "Rita Referrer" in staff_page
    services.concern_review(by=inspector, concern=concern, notes="Assurance is reasonable.")
    with pytest.raises(services.ConcernCannotChange, match="Choose the outcome"):
        services.concern_close(by=inspector, concern=concern, outcome="ignore", notes="")
    closed = services.concern_close(by=inspector, concern=concern, outcome="discuss", notes="Raise at the next call.")
    assert closed.state == ConcernState.CLOSED
    client.force_login(provider_user)
    assert "Discuss with the provider" in client.get(url).text


@pytest.mark.django_db
def test_concern_pages_are_staff_only_and_another_provider_sees_nothing(client, concern, inspector):
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    services.concern_pass_to_provider(by=inspector, concern=concern, today=datetime.date(2026, 11, 3))
    client.force_login(stranger)
    assert client.get(reverse("enforcement:concern", args=[concern.pk])).status_code == 404
    assert client.get(reverse("enforcement:concerns")).status_code == 404
    client.force_login(StaffFactory())
    response = client.post(
        reverse("enforcement:concern-new"), {"provider": "nope", "director_name": "X", "concern": "Y"}
    )
    assert response.status_code == 400 and "register id of a provider" in response.text
    assert FitAndProperConcern.objects.count() == 1
