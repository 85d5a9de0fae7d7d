import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cqcportal.alerts import services
from cqcportal.alerts.models import PublicEvent, Subscription
from cqcportal.alerts.services import (
    CONFIRMATION_RESEND_WINDOW_SECONDS,
    PublicEventCannotRecord,
    SubscriptionCannotConfirm,
    SubscriptionCannotRequest,
    SubscriptionCannotUnsubscribe,
    public_event_record,
    subscription_confirm,
    subscription_request,
    subscription_unsubscribe,
    subscriptions_unsubscribe_digest,
)
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory

BASE = "https://alerts.example.test"
INSPECTED_AT = datetime.datetime(2025, 3, 26, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def portal_base_url(settings):
    settings.PORTAL_BASE_URL = BASE


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() pinned to a moment the test moves on by hand."""

    class Clock:
        now = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)

        def advance(self, **kwargs):
            self.now += datetime.timedelta(**kwargs)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


# --- public_event_record -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_public_event_record_same_key_twice_records_once(location):
    with transaction.atomic():
        first = public_event_record(
            location=location,
            kind=PublicEvent.Kind.LOCATION_INSPECTED,
            occurred_at=INSPECTED_AT,
            title="Inspected",
            url=f"/location/{location.cqc_id}/",
            dedupe_key="inspection:1:visited",
        )
        second = public_event_record(
            location=location,
            kind=PublicEvent.Kind.LOCATION_INSPECTED,
            occurred_at=INSPECTED_AT + datetime.timedelta(hours=1),
            title="Inspected again",
            url=f"/location/{location.cqc_id}/",
            dedupe_key="inspection:1:visited",
        )
        # The caller's transaction is still usable after the repeat.
        assert PublicEvent.objects.count() == 1
    assert first.pk == second.pk
    assert (second.title, second.occurred_at) == ("Inspected", INSPECTED_AT)
    assert second.provider == location.provider


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "rated"}, "kind"),
        ({"occurred_at": datetime.datetime(2025, 3, 26, 10, 0)}, "occurred_at"),  # naive on purpose
        ({"url": "https://elsewhere.example/"}, "url"),
        ({"title": ""}, "title"),
        ({"dedupe_key": ""}, "dedupe_key"),
    ],
)
def test_public_event_record_invalid_raises(location, changes, field):
    kwargs = {
        "location": location,
        "kind": PublicEvent.Kind.REPORT_PUBLISHED,
        "occurred_at": INSPECTED_AT,
        "title": "Report published",
        "url": "/reports/1/",
        "dedupe_key": "report:1:published",
    } | changes
    with pytest.raises(PublicEventCannotRecord) as excinfo:
        public_event_record(**kwargs)
    assert field in excinfo.value.message_dict
    assert not PublicEvent.objects.exists()


# --- subscription_request ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_subscription_request_creates_pending_subscription_and_queues_confirmation(
    location, django_capture_on_commit_callbacks, broker_sends
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_request(email="  Ann.Lee@Example.ORG ", location=location)
    assert subscription.email == "ann.lee@example.org"
    assert subscription.confirmed_at is None and subscription.unsubscribed_at is None
    notification = Notification.objects.get(kind="alerts.confirm")
    assert notification.to_email == "ann.lee@example.org" and notification.recipient is None
    confirm_url = f"{BASE}/alerts/confirm/{subscription.confirm_token}/"
    unsubscribe_url = f"{BASE}/alerts/unsubscribe/{subscription.unsubscribe_token}/"
    assert confirm_url in notification.body and unsubscribe_url in notification.body
    assert f'href="{confirm_url}"' in notification.html_body
    assert location.name in notification.subject
    # Sent by the worker only after the decision committed.
    assert broker_sends == [("notifications.send", {"notification_id": notification.pk})]


@pytest.mark.django_db
def test_subscription_request_twice_reuses_row_and_resends_once_per_window(location, clock):
    first = subscription_request(email="ann@example.org", location=location)
    clock.advance(seconds=30)
    second = subscription_request(email="ANN@example.org", location=location)
    assert first.pk == second.pk
    assert Subscription.objects.count() == 1
    assert Notification.objects.filter(kind="alerts.confirm").count() == 1
    clock.advance(seconds=CONFIRMATION_RESEND_WINDOW_SECONDS)
    subscription_request(email="ann@example.org", location=location)
    assert Subscription.objects.count() == 1
    assert Notification.objects.filter(kind="alerts.confirm").count() == 2


@pytest.mark.django_db
def test_subscription_request_racing_another_request_reuses_its_row(location, monkeypatch):
    winner = subscription_request(email="ann@example.org", location=location)
    real = services._live_subscription
    calls = []

    def not_seen_the_first_time(**kwargs):
        # As if the other request inserted its row just after this one looked.
        calls.append(kwargs)
        return None if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(services, "_live_subscription", not_seen_the_first_time)
    with transaction.atomic():
        loser = subscription_request(email="ann@example.org", location=location)
    assert loser.pk == winner.pk and len(calls) == 2
    assert Subscription.objects.count() == 1


@pytest.mark.django_db
def test_subscription_request_when_confirmed_says_already_subscribed(location):
    subscription = subscription_request(email="ann@example.org", location=location)
    subscription_confirm(token=subscription.confirm_token)
    Notification.objects.all().delete()
    again = subscription_request(email="ann@example.org", location=location)
    assert again.pk == subscription.pk and again.confirmed_at is not None
    notification = Notification.objects.get()
    assert notification.subject.startswith("You already get weekly alerts")
    assert subscription.confirm_token not in notification.body
    assert subscription.unsubscribe_token in notification.body


@pytest.mark.django_db
def test_subscription_request_local_authority_any_case_reuses_row(location):
    first = subscription_request(email="ann@example.org", local_authority="Oldham")
    second = subscription_request(email="ann@example.org", local_authority="OLDHAM ")
    assert first.pk == second.pk
    assert first.target_name == "the Oldham area"


@pytest.mark.django_db
def test_subscription_request_after_unsubscribe_creates_new_subscription(location):
    first = subscription_request(email="ann@example.org", location=location)
    subscription_unsubscribe(token=first.unsubscribe_token)
    second = subscription_request(email="ann@example.org", location=location)
    assert second.pk != first.pk
    assert second.confirm_token != first.confirm_token and second.unsubscribe_token != first.unsubscribe_token


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["", "not an address", "ann@", "a" * 250 + "@example.org"])
def test_subscription_request_invalid_email_raises(location, email):
    with pytest.raises(SubscriptionCannotRequest) as excinfo:
        subscription_request(email=email, location=location)
    assert "email" in excinfo.value.message_dict
    assert not Subscription.objects.exists() and not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("targets", ["none", "two"])
def test_subscription_request_not_exactly_one_target_raises(location, targets):
    kwargs = {} if targets == "none" else {"location": location, "provider": location.provider}
    with pytest.raises(SubscriptionCannotRequest):
        subscription_request(email="ann@example.org", **kwargs)
    assert not Subscription.objects.exists()


# --- constraints ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("targets", ["none", "location and provider", "location and area", "blank area"])
def test_subscription_constraint_exactly_one_target(location, targets):
    fields = {
        "none": {},
        "location and provider": {"location": location, "provider": location.provider},
        "location and area": {"location": location, "local_authority": "Oldham"},
        "blank area": {"local_authority": ""},
    }[targets]
    with pytest.raises(IntegrityError, match="alerts_subscription_exactly_one_target"):
        Subscription.objects.create(email="ann@example.org", **fields)


@pytest.mark.django_db
def test_subscription_constraint_email_lower_case(location):
    with pytest.raises(IntegrityError, match="alerts_subscription_email_lower_case"):
        Subscription.objects.create(email="Ann@example.org", location=location)


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["location", "provider", "local_authority"])
def test_subscription_constraint_one_live_per_target(location, target):
    fields = {
        "location": {"location": location},
        "provider": {"provider": location.provider},
        "local_authority": {"local_authority": "Oldham"},
    }[target]
    first = Subscription.objects.create(email="ann@example.org", **fields)
    if target == "local_authority":
        fields = {"local_authority": "OLDHAM"}
    with pytest.raises(IntegrityError, match="one_live_per"), transaction.atomic():
        Subscription.objects.create(email="ann@example.org", **fields)
    # Once the first is cancelled, the same address may follow the same target again.
    Subscription.objects.filter(pk=first.pk).update(unsubscribed_at=timezone.now())
    Subscription.objects.create(email="ann@example.org", **fields)
    Subscription.objects.create(email="bob@example.org", **fields)


@pytest.mark.django_db
def test_subscription_full_clean_checks_constraints(location):
    with pytest.raises(ValidationError):
        Subscription(email="ann@example.org").full_clean()


# --- subscription_confirm and subscription_unsubscribe -------------------------------------------------------------


@pytest.mark.django_db
def test_subscription_confirm_twice_keeps_first_time(location, clock):
    subscription = subscription_request(email="ann@example.org", location=location)
    confirmed = subscription_confirm(token=subscription.confirm_token)
    assert confirmed.confirmed_at == clock.now
    clock.advance(hours=1)
    again = subscription_confirm(token=subscription.confirm_token)
    assert again.pk == subscription.pk and again.confirmed_at == confirmed.confirmed_at


@pytest.mark.django_db
def test_subscription_confirm_unknown_token_raises(location):
    subscription_request(email="ann@example.org", location=location)
    with pytest.raises(SubscriptionCannotConfirm) as excinfo:
        subscription_confirm(token="not-a-token")
    assert excinfo.value.subscription is None


@pytest.mark.django_db
def test_subscription_confirm_unsubscribed_raises(location):
    subscription = subscription_request(email="ann@example.org", location=location)
    subscription_unsubscribe(token=subscription.unsubscribe_token)
    with pytest.raises(SubscriptionCannotConfirm) as excinfo:
        subscription_confirm(token=subscription.confirm_token)
    assert excinfo.value.subscription.pk == subscription.pk
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


@pytest.mark.django_db
def test_subscription_unsubscribe_one_click_twice_keeps_first_time(location, clock):
    subscription = subscription_request(email="ann@example.org", location=location)
    subscription_confirm(token=subscription.confirm_token)
    first = subscription_unsubscribe(token=subscription.unsubscribe_token)
    assert first.unsubscribed_at == clock.now and not first.is_live
    clock.advance(minutes=5)
    second = subscription_unsubscribe(token=subscription.unsubscribe_token)
    assert second.unsubscribed_at == first.unsubscribed_at


@pytest.mark.django_db
def test_subscription_unsubscribe_unknown_token_raises():
    with pytest.raises(SubscriptionCannotUnsubscribe):
        subscription_unsubscribe(token="not-a-token")


@pytest.mark.django_db
def test_subscriptions_unsubscribe_digest_tampered_token_raises():
    with pytest.raises(SubscriptionCannotUnsubscribe):
        subscriptions_unsubscribe_digest(token="WzEsMiwzXQ:1abc:forged")


@pytest.mark.django_db
def test_subscription_tokens_are_long_random_and_distinct():
    location = LocationFactory()
    subscriptions = [subscription_request(email=f"p{n}@example.org", location=location) for n in range(5)]
    tokens = [t for s in subscriptions for t in (s.confirm_token, s.unsubscribe_token)]
    assert len(set(tokens)) == 10
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
