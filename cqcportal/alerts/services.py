"""Writes for e-mail alerts: recording public events, double opt-in subscriptions, and the weekly digest."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cqcportal.alerts import selectors
from cqcportal.alerts.models import PublicEvent, Subscription
from cqcportal.core.public_cache import public_pages_changed
from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import notification_queue

LONDON = ZoneInfo("Europe/London")
# A repeated request re-sends the confirmation e-mail at most once in each window of this many seconds.
CONFIRMATION_RESEND_WINDOW_SECONDS = 10 * 60
DIGEST_UNSUBSCRIBE_SALT = "alerts.digest-unsubscribe"


class PublicEventCannotRecord(ValidationError):
    """The event is not valid (unknown kind, naive time, a URL that is not a path); the message says why."""


class SubscriptionCannotRequest(ValidationError):
    """The e-mail address is not valid, or the request names no target or more than one."""


class SubscriptionCannotConfirm(Exception):
    """The confirmation link is unknown, or its subscription was cancelled; ``subscription`` is None when unknown."""

    def __init__(self, subscription: Subscription | None = None):
        super().__init__("unknown token" if subscription is None else "subscription cancelled")
        self.subscription = subscription


class SubscriptionCannotUnsubscribe(Exception):
    """The unsubscribe link is unknown or has been tampered with."""


class DigestCannotSend(ValueError):
    """A digest week starts on a Monday."""


def _email_key(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()[:32]


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def _subscription_links(subscription: Subscription) -> dict[str, str]:
    return {
        "name": subscription.target_name,
        "unsubscribe_url": _absolute(reverse("alerts:unsubscribe", args=[subscription.unsubscribe_token])),
    }


def public_event_record(
    *,
    location,
    kind: PublicEvent.Kind | str,
    occurred_at: datetime.datetime,
    title: str,
    url: str,
    dedupe_key: str,
) -> PublicEvent:
    """Record an event for the weekly alerts in the caller's transaction; a repeated ``dedupe_key`` returns the first.

    :raises PublicEventCannotRecord: when the kind, time, title or URL is not valid.
    """
    if isinstance(occurred_at, datetime.datetime) and timezone.is_naive(occurred_at):
        raise PublicEventCannotRecord({"occurred_at": ["The time must carry a time zone."]})
    event = PublicEvent(
        location=location, kind=kind, occurred_at=occurred_at, title=title[:300], url=url, dedupe_key=dedupe_key
    )
    try:
        event.full_clean(exclude=["dedupe_key"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise PublicEventCannotRecord(exc.message_dict) from exc
    if not url.startswith("/"):
        raise PublicEventCannotRecord({"url": ["The URL must be a path on the portal, starting with /."]})
    if not dedupe_key:
        raise PublicEventCannotRecord({"dedupe_key": ["A dedupe key is needed."]})
    # get_or_create inserts inside a savepoint, so a clash with a concurrent recording leaves the caller's transaction
    # usable and returns the row that won.
    # Every public event changes what the public pages show (a report, an inspection, an action published).
    public_pages_changed()
    recorded, _ = PublicEvent.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={"location": location, "kind": kind, "occurred_at": occurred_at, "title": event.title, "url": url},
    )
    return recorded


def _live_subscription(*, email: str, location, provider, local_authority: str) -> Subscription | None:
    live = Subscription.objects.select_for_update().filter(email=email, unsubscribed_at__isnull=True)
    if location is not None:
        return live.filter(location=location).first()
    if provider is not None:
        return live.filter(provider=provider).first()
    return live.filter(local_authority__iexact=local_authority, location__isnull=True, provider__isnull=True).first()


def subscription_request(*, email: str, location=None, provider=None, local_authority: str = "") -> Subscription:
    """Create (or reuse) the address's pending subscription to one target and e-mail it a confirmation link.

    Asking again never makes a second row; the e-mail is re-sent at most once in each ten-minute window. An address
    that is already confirmed is told so instead, with its unsubscribe link.

    :raises SubscriptionCannotRequest: when the e-mail address is not valid or there is not exactly one target.
    """
    email = email.strip().lower()
    local_authority = local_authority.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SubscriptionCannotRequest({"email": ["Enter an e-mail address like name@example.org"]}) from exc
    if len(email) > Subscription._meta.get_field("email").max_length:
        raise SubscriptionCannotRequest({"email": ["The e-mail address must be 254 characters or fewer"]})
    if sum(1 for target in (location, provider, local_authority) if target) != 1:
        raise SubscriptionCannotRequest("Choose exactly one location, provider or local authority area.")
    target = {"location": location, "provider": provider, "local_authority": local_authority}
    with transaction.atomic():
        subscription = _live_subscription(email=email, **target)
        if subscription is None:
            try:
                # A savepoint: two simultaneous requests both get here, and the second finds the first's row.
                with transaction.atomic():
                    subscription = Subscription.objects.create(email=email, **target)
            except IntegrityError:
                subscription = _live_subscription(email=email, **target)
        window = int(timezone.now().timestamp()) // CONFIRMATION_RESEND_WINDOW_SECONDS
        context = {
            "service_name": settings.PORTAL_SERVICE_NAME,
            "regulator_name": settings.PORTAL_REGULATOR_NAME,
            "target_name": subscription.target_name,
            "already_confirmed": subscription.confirmed_at is not None,
            "confirm_url": _absolute(reverse("alerts:confirm", args=[subscription.confirm_token])),
            "unsubscribe_url": _subscription_links(subscription)["unsubscribe_url"],
        }
        subject = (
            f"You already get weekly alerts about {subscription.target_name}"
            if subscription.confirmed_at
            else f"Confirm your weekly alerts about {subscription.target_name}"
        )
        notification_queue(
            subject=subject,
            body=render_to_string("alerts/emails/confirm.txt", context),
            html_body=render_to_string("alerts/emails/confirm.html", context),
            to_email=email,
            kind="alerts.confirm",
            dedupe_key=f"alerts.confirm:{subscription.pk}:{window}",
        )
    return subscription


def subscription_confirm(*, token: str) -> Subscription:
    """Confirm the subscription of a confirmation link; confirming again changes nothing.

    :raises SubscriptionCannotConfirm: when the token is unknown or the subscription was cancelled.
    """
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("location", "provider")
            .filter(confirm_token=token)
            .first()
        )
        if subscription is None:
            raise SubscriptionCannotConfirm()
        if subscription.unsubscribed_at is not None:
            raise SubscriptionCannotConfirm(subscription)
        if subscription.confirmed_at is None:
            subscription.confirmed_at = timezone.now()
            subscription.save(update_fields=["confirmed_at"])
    return subscription


def subscription_unsubscribe(*, token: str) -> Subscription:
    """Cancel the subscription of an unsubscribe link at once; a second click keeps the first time.

    :raises SubscriptionCannotUnsubscribe: when the token is unknown.
    """
    Subscription.objects.filter(unsubscribe_token=token, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    subscription = Subscription.objects.select_related("location", "provider").filter(unsubscribe_token=token).first()
    if subscription is None:
        raise SubscriptionCannotUnsubscribe()
    return subscription


def _digest_unsubscribe_token(subscription_ids: list[int]) -> str:
    # Signed rather than stored: the list of a digest's subscriptions needs no table, and cannot be forged.
    return signing.dumps(sorted(subscription_ids), salt=DIGEST_UNSUBSCRIBE_SALT, compress=True)


def subscriptions_unsubscribe_digest(*, token: str) -> list[Subscription]:
    """Cancel every subscription a weekly digest was sent for (RFC 8058 one-click); clicking again changes nothing.

    :raises SubscriptionCannotUnsubscribe: when the token is not one the portal signed.
    """
    try:
        ids = signing.loads(token, salt=DIGEST_UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise SubscriptionCannotUnsubscribe() from exc
    if not isinstance(ids, list) or not all(isinstance(pk, int) for pk in ids):
        raise SubscriptionCannotUnsubscribe()
    Subscription.objects.filter(pk__in=ids, unsubscribed_at__isnull=True).update(unsubscribed_at=timezone.now())
    return list(Subscription.objects.filter(pk__in=ids).select_related("location", "provider").order_by("pk"))


def _week_bounds(week_start: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start_at = datetime.datetime.combine(week_start, datetime.time.min, tzinfo=LONDON)
    end_at = datetime.datetime.combine(week_start + datetime.timedelta(days=7), datetime.time.min, tzinfo=LONDON)
    return start_at, end_at


def digests_send_weekly(*, week_start: datetime.date) -> int:
    """Queue one e-mail per confirmed subscriber listing the week's events they follow; returns how many were queued.

    The week is [week_start, week_start + 7 days) in Europe/London. An address gets at most one digest a week, so
    running this twice (or after a crash half way) queues only what is missing. Reads take three queries whatever the
    number of subscribers; each digest is then one insert through the notifications queue.

    :raises DigestCannotSend: when ``week_start`` is not a Monday.
    """
    if week_start.weekday() != 0:
        raise DigestCannotSend(f"{week_start.isoformat()} is not a Monday.")
    start_at, end_at = _week_bounds(week_start)
    events = selectors.public_events_in_period(start_at=start_at, end_at=end_at)
    if not events:
        return 0
    by_email: dict[str, list[Subscription]] = defaultdict(list)
    for subscription in selectors.subscriptions_for_events(events=events):
        by_email[subscription.email].append(subscription)
    # Hashed: an e-mail address can be 254 characters, longer than a notification key allows.
    keys = {email: f"alerts.digest:{_email_key(email)}:{week_start.isoformat()}" for email in by_email}
    already = set(Notification.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))

    # An index per target makes matching linear in events plus subscriptions, not their product.
    by_location, by_provider, by_area = defaultdict(list), defaultdict(list), defaultdict(list)
    for event in events:
        by_location[event.location_id].append(event)
        by_provider[event.location.provider_id].append(event)
        by_area[event.location.local_authority.lower()].append(event)

    queued = 0
    for email, subscriptions in by_email.items():
        if keys[email] in already:
            continue
        found: dict[int, PublicEvent] = {}
        for subscription in subscriptions:
            if subscription.location_id:
                candidates = by_location.get(subscription.location_id, [])
            elif subscription.provider_id:
                candidates = by_provider.get(subscription.provider_id, [])
            else:
                candidates = by_area.get(subscription.local_authority.lower(), [])
            found.update((event.pk, event) for event in candidates)
        if not found:
            continue
        _digest_queue(
            email=email, week_start=week_start, subscriptions=subscriptions, events=found.values(), key=keys[email]
        )
        queued += 1
    return queued


def _digest_queue(*, email, week_start, subscriptions, events, key) -> None:
    events = sorted(events, key=lambda event: (event.occurred_at, event.pk))
    items = [
        {
            "title": event.title,
            "location_name": event.location.name,
            "date": timezone.localtime(event.occurred_at, LONDON).date(),
            "url": _absolute(event.url),
            "kind": event.kind,
        }
        for event in events
    ]
    all_url = _absolute(
        reverse("alerts:unsubscribe-digest", args=[_digest_unsubscribe_token([s.pk for s in subscriptions])])
    )
    context = {
        "service_name": settings.PORTAL_SERVICE_NAME,
        "regulator_name": settings.PORTAL_REGULATOR_NAME,
        "week_start": week_start,
        "week_end": week_start + datetime.timedelta(days=6),
        "inspected": [item for item in items if item["kind"] == PublicEvent.Kind.LOCATION_INSPECTED],
        "published": [
            item
            for item in items
            if item["kind"] in (PublicEvent.Kind.REPORT_PUBLISHED, PublicEvent.Kind.ENFORCEMENT_PUBLISHED)
        ],
        "subscriptions": [_subscription_links(subscription) for subscription in subscriptions],
        "unsubscribe_all_url": all_url,
    }
    notification_queue(
        subject=f"Your weekly alerts for the week beginning {week_start:%-d %B %Y}",
        body=render_to_string("alerts/emails/digest.txt", context),
        html_body=render_to_string("alerts/emails/digest.html", context),
        to_email=email,
        kind="alerts.digest",
        dedupe_key=key,
        headers={"List-Unsubscribe": f"<{all_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
