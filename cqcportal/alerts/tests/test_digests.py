import datetime
import hashlib
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cqcportal.alerts.models import PublicEvent, Subscription
from cqcportal.alerts.services import DigestCannotSend, digests_send_weekly
from cqcportal.alerts.tests.factories import PublicEventFactory, SubscriptionFactory
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory

BASE = "https://alerts.example.test"
LONDON = ZoneInfo("Europe/London")
# The week the clocks go forward (Sunday 30 March 2025, 01:00 GMT), to test the edges in London time.
WEEK = datetime.date(2025, 3, 24)
INSPECTED = PublicEvent.Kind.LOCATION_INSPECTED
PUBLISHED = PublicEvent.Kind.REPORT_PUBLISHED
# Reads: the week's events, the subscriptions that follow them, and the digests already queued.
DIGEST_READ_QUERIES = 3
# notification_queue's insert, in a savepoint because the test runs in a transaction (one query without one).
QUERIES_PER_DIGEST = 3


@pytest.fixture(autouse=True)
def portal_base_url(settings):
    settings.PORTAL_BASE_URL = BASE


def london(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def digests() -> dict[str, Notification]:
    return {n.to_email: n for n in Notification.objects.filter(kind="alerts.digest")}


@pytest.mark.django_db
def test_digests_send_weekly_lists_the_right_items_only(django_capture_on_commit_callbacks, broker_sends):
    followed = LocationFactory(name="Laburnum House", local_authority="Oldham")
    other = LocationFactory(name="Other House", local_authority="Rochdale", provider__name="Other Provider Ltd")
    SubscriptionFactory(email="ann@example.org", location=followed)
    PublicEventFactory(
        location=followed, kind=INSPECTED, title="Laburnum House inspected", occurred_at=london(2025, 3, 24, 0, 0)
    )
    PublicEventFactory(
        location=followed,
        kind=PUBLISHED,
        title="Laburnum House report",
        occurred_at=london(2025, 3, 30, 23, 59),
        url="/reports/7/",
    )
    PublicEventFactory(location=followed, title="Last week's visit", occurred_at=london(2025, 3, 23, 23, 59))
    # Midnight on Monday 31 March is 23:00 UTC on the Sunday (British Summer Time): the next week already.
    PublicEventFactory(location=followed, title="Next week's visit", occurred_at=london(2025, 3, 31, 0, 0))
    PublicEventFactory(location=other, title="Other House inspected", occurred_at=london(2025, 3, 26, 12, 0))

    with django_capture_on_commit_callbacks(execute=True):
        assert digests_send_weekly(week_start=WEEK) == 1

    digest = digests()["ann@example.org"]
    for body in (digest.body, digest.html_body):
        assert "Laburnum House inspected" in body and "Laburnum House report" in body
        assert "Locations inspected" in body and "Reports published" in body
        assert "Last week" not in body and "Next week" not in body and "Other House" not in body
        assert (
            body.index("Locations inspected")
            < body.index("Laburnum House inspected")
            < body.index("Reports published")
            < body.index("Laburnum House report")
        )
    assert f"{BASE}/reports/7/" in digest.body and f'href="{BASE}/reports/7/"' in digest.html_body
    assert "24 March 2025" in digest.subject
    assert broker_sends == [("notifications.send", {"notification_id": digest.pk})]


@pytest.mark.django_db
def test_digests_send_weekly_bodies_carry_unsubscribe_links_and_headers(client):
    location = LocationFactory(name="Laburnum House", local_authority="Oldham")
    by_location = SubscriptionFactory(email="ann@example.org", location=location)
    by_area = SubscriptionFactory(email="ann@example.org", location=None, local_authority="Oldham")
    PublicEventFactory(location=location, occurred_at=london(2025, 3, 25, 9, 0))

    digests_send_weekly(week_start=WEEK)

    digest = digests()["ann@example.org"]
    for subscription in (by_location, by_area):
        url = f"{BASE}/alerts/unsubscribe/{subscription.unsubscribe_token}/"
        assert url in digest.body and f'href="{url}"' in digest.html_body
    assert "the Oldham area" in digest.body
    assert digest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = digest.headers["List-Unsubscribe"].strip("<>")
    assert header_url.startswith(f"{BASE}/alerts/unsubscribe-all/")
    assert header_url in digest.body and header_url in digest.html_body
    # RFC 8058: a mail client's one-click POST, with no cookie or CSRF token, cancels every subscription in the digest.
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post(
        header_url.removeprefix(BASE), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Subscription.objects.filter(unsubscribed_at__isnull=True).exists()


@pytest.mark.django_db
def test_digests_send_weekly_one_email_lists_each_event_once_for_several_subscriptions():
    location = LocationFactory(local_authority="Oldham")
    SubscriptionFactory(email="ann@example.org", location=location)
    SubscriptionFactory(email="ann@example.org", location=None, provider=location.provider)
    SubscriptionFactory(email="ann@example.org", location=None, local_authority="Oldham")
    PublicEventFactory(location=location, title="Seen by three subscriptions", occurred_at=london(2025, 3, 25, 9, 0))

    assert digests_send_weekly(week_start=WEEK) == 1

    digest = digests()["ann@example.org"]
    assert digest.body.count("Seen by three subscriptions") == 1
    assert digest.html_body.count("Seen by three subscriptions") == 1
    assert digest.body.count("/alerts/unsubscribe/") == 3


@pytest.mark.django_db
def test_digests_send_weekly_provider_and_local_authority_match_any_case():
    location = LocationFactory(local_authority="Oldham")
    sibling = LocationFactory(provider=location.provider, local_authority="Rochdale", name="Sibling House")
    SubscriptionFactory(email="provider@example.org", location=None, provider=location.provider)
    SubscriptionFactory(email="area@example.org", location=None, local_authority="OLDHAM")
    SubscriptionFactory(email="elsewhere@example.org", location=None, local_authority="Bury")
    PublicEventFactory(location=sibling, title="Sibling House inspected", occurred_at=london(2025, 3, 25, 9, 0))
    PublicEventFactory(location=location, kind=PUBLISHED, title="Oldham report", occurred_at=london(2025, 3, 26, 9, 0))

    assert digests_send_weekly(week_start=WEEK) == 2

    sent = digests()
    assert set(sent) == {"provider@example.org", "area@example.org"}
    assert "Sibling House inspected" in sent["provider@example.org"].body
    assert "Oldham report" in sent["provider@example.org"].body
    assert "Oldham report" in sent["area@example.org"].body
    assert "Sibling House" not in sent["area@example.org"].body


@pytest.mark.django_db
def test_digests_send_weekly_run_twice_sends_one_digest_per_email():
    location = LocationFactory()
    SubscriptionFactory(email="ann@example.org", location=location)
    SubscriptionFactory(email="ann@example.org", location=None, provider=location.provider)
    PublicEventFactory(location=location, occurred_at=london(2025, 3, 25, 9, 0))

    assert digests_send_weekly(week_start=WEEK) == 1
    assert digests_send_weekly(week_start=WEEK) == 0
    assert Notification.objects.filter(kind="alerts.digest").count() == 1
    assert (
        Notification.objects.get().dedupe_key
        == f"alerts.digest:{hashlib.sha256(b'ann@example.org').hexdigest()[:32]}:2025-03-24"
    )


@pytest.mark.django_db
def test_digests_send_weekly_none_for_pending_unsubscribed_or_quiet_weeks():
    location = LocationFactory()
    quiet = LocationFactory()
    SubscriptionFactory(email="pending@example.org", location=location, confirmed_at=None)
    SubscriptionFactory(email="gone@example.org", location=location, unsubscribed_at=timezone.now())
    SubscriptionFactory(email="quiet@example.org", location=quiet)
    PublicEventFactory(location=location, occurred_at=london(2025, 3, 25, 9, 0))

    assert digests_send_weekly(week_start=WEEK) == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_digests_send_weekly_no_events_makes_one_query(django_assert_num_queries):
    SubscriptionFactory.create_batch(3)
    with django_assert_num_queries(1):
        assert digests_send_weekly(week_start=WEEK) == 0


@pytest.mark.django_db
def test_digests_send_weekly_not_a_monday_raises():
    with pytest.raises(DigestCannotSend):
        digests_send_weekly(week_start=WEEK + datetime.timedelta(days=1))


def _followers(location, count: int, prefix: str) -> None:
    confirmed_at = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(email=f"{prefix}{n}@example.org", location=location, confirmed_at=confirmed_at)
        for n in range(count)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("subscribers", [5, 500])
def test_digests_send_weekly_reads_do_not_grow_with_subscribers(django_assert_max_num_queries, subscribers):
    busy, quiet = LocationFactory(), LocationFactory()
    _followers(busy, subscribers, "busy")
    _followers(quiet, subscribers, "quiet")
    PublicEventFactory.create_batch(3, location=busy, occurred_at=london(2025, 3, 25, 9, 0))

    with django_assert_max_num_queries(DIGEST_READ_QUERIES + QUERIES_PER_DIGEST * subscribers):
        assert digests_send_weekly(week_start=WEEK) == subscribers
    # A second run (the task retried) only reads, however many subscribers there are.
    with CaptureQueriesContext(connection) as second_run:
        assert digests_send_weekly(week_start=WEEK) == 0
    assert len(second_run.captured_queries) == DIGEST_READ_QUERIES


@pytest.mark.django_db
def test_digest_for_a_254_character_address_is_sent_and_others_still_get_theirs():
    import datetime as dt

    from django.utils import timezone

    from cqcportal.alerts.models import PublicEvent, Subscription
    from cqcportal.alerts.services import digests_send_weekly
    from cqcportal.notifications.models import Notification
    from cqcportal.tests.factories import LocationFactory

    location = LocationFactory()
    long_email = ("a" * 64) + "@" + ".".join(["b" * 59] * 3) + ".example"
    assert len(long_email) > 200
    for email in (long_email, "zz@example.org"):
        Subscription.objects.create(
            email=email,
            location=location,
            confirm_token=f"c-{email[:10]}{len(email)}",
            unsubscribe_token=f"u-{email[:10]}{len(email)}",
            confirmed_at=timezone.now(),
        )
    PublicEvent.objects.create(
        location=location,
        kind="location_inspected",
        title="Assessed",
        url="/x/",
        dedupe_key="e1",
        occurred_at=timezone.make_aware(dt.datetime(2025, 3, 25, 10)),
    )
    assert digests_send_weekly(week_start=dt.date(2025, 3, 24)) == 2
    assert set(Notification.objects.values_list("to_email", flat=True)) == {long_email, "zz@example.org"}
