import pytest
from django.urls import reverse
from django.utils import timezone

from cqcportal.accounts.models import StaffRole
from cqcportal.alerts.models import Subscription
from cqcportal.alerts.tests.factories import PublicEventFactory, SubscriptionFactory
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory, StaffFactory

SUBSCRIBE = reverse("alerts:subscribe")


@pytest.mark.django_db
def test_location_and_provider_profiles_link_to_alerts(client, location):
    page = client.get(reverse("register:location", args=[location.cqc_id])).text
    assert f"{SUBSCRIBE}?location={location.cqc_id}" in page
    assert f"{SUBSCRIBE}?local_authority=Oldham" in page
    page = client.get(reverse("register:provider", args=[location.provider.cqc_id])).text
    assert f"{SUBSCRIBE}?provider={location.provider.cqc_id}" in page


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["location", "provider", "local_authority"])
def test_subscribe_page_names_each_kind_of_target(client, location, target, django_assert_max_num_queries):
    value = {"location": location.cqc_id, "provider": location.provider.cqc_id, "local_authority": "oldham"}[target]
    with django_assert_max_num_queries(3):
        response = client.get(SUBSCRIBE, {target: value})
    assert response.status_code == 200
    name = {"location": location.name, "provider": location.provider.name, "local_authority": "The Oldham area"}
    assert name[target] in response.text
    assert 'name="email"' in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [{}, {"location": "1-000"}, {"provider": "1-000"}, {"local_authority": "Atlantis"}, "two"],
)
def test_subscribe_page_unknown_or_ambiguous_target_is_not_found(client, location, query):
    if query == "two":
        query = {"location": location.cqc_id, "provider": location.provider.cqc_id}
    assert client.get(SUBSCRIBE, query).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your e-mail address"),
        ("ann at example.org", "Enter an e-mail address like name@example.org"),
        ("a" * 250 + "@example.org", "The e-mail address must be 254 characters or fewer (it has 262)"),
    ],
)
def test_subscribe_bad_email_keeps_input_and_says_why(client, location, email, message):
    response = client.post(f"{SUBSCRIBE}?location={location.cqc_id}", {"email": email})
    assert response.status_code == 200
    text = response.text
    assert "<title>Error: " in text
    assert 'class="govuk-error-summary"' in text
    assert text.count(message) == 2  # in the summary and beside the field
    assert f'value="{email}"' in text or email == ""
    assert not Subscription.objects.exists() and not Notification.objects.exists()


@pytest.mark.django_db
def test_subscribe_good_email_shows_check_your_email(client, location):
    response = client.post(f"{SUBSCRIBE}?location={location.cqc_id}", {"email": "Ann@Example.org"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('alerts:check-email')}?location={location.cqc_id}"
    assert "Check your e-mail" in response.text and "ann@example.org" in response.text
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.location, subscription.confirmed_at) == ("ann@example.org", location, None)
    assert Notification.objects.get().kind == "alerts.confirm"


@pytest.mark.django_db
def test_confirm_page_subscribes(client, location):
    subscription = SubscriptionFactory(location=location, confirmed_at=None)
    url = reverse("alerts:confirm", args=[subscription.confirm_token])
    response = client.get(url)
    assert "Confirm your e-mail alerts" in response.text
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    response = client.post(url)
    assert response.status_code == 200
    assert "You&#x27;re subscribed" in response.text or "You're subscribed" in response.text
    assert location.name in response.text
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


@pytest.mark.django_db
def test_confirm_page_unknown_token_is_not_found(client):
    assert client.get(reverse("alerts:confirm", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_confirm_page_cancelled_subscription_offers_to_subscribe_again(client, location):
    subscription = SubscriptionFactory(location=location, confirmed_at=None, unsubscribed_at=timezone.now())
    response = client.get(reverse("alerts:confirm", args=[subscription.confirm_token]))
    assert response.status_code == 410
    assert f"{SUBSCRIBE}?location={location.cqc_id}" in response.text


@pytest.mark.django_db
def test_unsubscribe_page_unsubscribes_at_once_and_offers_to_subscribe_again(client):
    subscription = SubscriptionFactory(location=None, local_authority="Oldham")
    response = client.get(reverse("alerts:unsubscribe", args=[subscription.unsubscribe_token]))
    assert response.status_code == 200
    assert "You have unsubscribed" in response.text and "the Oldham area" in response.text
    assert f"{SUBSCRIBE}?local_authority=Oldham" in response.text
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    # A second click (or a link checker) shows the same page.
    assert client.get(reverse("alerts:unsubscribe", args=[subscription.unsubscribe_token])).status_code == 200


@pytest.mark.django_db
def test_unsubscribe_one_click_post_needs_no_csrf_token(client):
    subscription = SubscriptionFactory()
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post(
        reverse("alerts:unsubscribe", args=[subscription.unsubscribe_token]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["alerts:unsubscribe", "alerts:unsubscribe-digest"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_unsubscribe_unknown_token_is_not_found(client, name, method):
    SubscriptionFactory()
    assert getattr(client, method)(reverse(name, args=["WzFd:1abc:forged"])).status_code == 404
    assert Subscription.objects.filter(unsubscribed_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_back_office_lists_subscriptions_and_events_read_only(client):
    admin = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)
    subscription = SubscriptionFactory(email="visible@example.org")
    event = PublicEventFactory(location=LocationFactory(), title="An inspection")
    client.force_login(admin)
    response = client.get(reverse("admin:alerts_subscription_changelist"))
    assert response.status_code == 200 and "visible@example.org" in response.text
    assert "An inspection" in client.get(reverse("admin:alerts_publicevent_changelist")).text
    change = client.get(reverse("admin:alerts_subscription_change", args=[subscription.pk]))
    assert change.status_code == 200 and subscription.unsubscribe_token not in change.text
    assert client.get(reverse("admin:alerts_subscription_add")).status_code == 403
    assert client.get(reverse("admin:alerts_publicevent_delete", args=[event.pk])).status_code == 403
