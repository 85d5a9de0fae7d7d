"""E-mail alerts for the public: what happened (public events) and who asked to hear about it (subscriptions)."""

import secrets

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from cqcportal.register.models import Location, Provider


def new_token() -> str:
    """A random, unguessable token for a link in an e-mail."""
    return secrets.token_urlsafe(32)


class PublicEvent(models.Model):
    """Something that happened to a location that the public may be alerted to, recorded by the flow that did it.

    ``dedupe_key`` is unique, so a flow that records the same event twice (a retried task) records it once.
    """

    class Kind(models.TextChoices):
        LOCATION_INSPECTED = "location_inspected", "Location inspected"
        REPORT_PUBLISHED = "report_published", "Report published"
        ENFORCEMENT_PUBLISHED = "enforcement_published", "Enforcement action published"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="public_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, help_text="The path of the public page, e.g. /location/1-123/.")
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["occurred_at"], name="alerts_event_occurred")]
        constraints = [
            models.CheckConstraint(condition=Q(url__startswith="/"), name="alerts_publicevent_url_is_a_path"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def provider(self) -> Provider:
        return self.location.provider


class Subscription(models.Model):
    """One e-mail address following one location, provider or local authority area, once they confirm it.

    Live means not unsubscribed; an address has at most one live subscription per target.
    """

    email = models.EmailField(help_text="Stored in lower case.")
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_subscriptions"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_subscriptions"
    )
    local_authority = models.CharField(max_length=200, blank=True, help_text="As spelt on the register.")
    confirm_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email", "created_at", "id"]
        indexes = [
            # The weekly digest reads only the confirmed, live subscriptions.
            models.Index(
                fields=["email"],
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
                name="alerts_sub_live_confirmed",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(location__isnull=False, provider__isnull=True, local_authority="")
                | Q(location__isnull=True, provider__isnull=False, local_authority="")
                | (Q(location__isnull=True, provider__isnull=True) & ~Q(local_authority="")),
                name="alerts_subscription_exactly_one_target",
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="alerts_subscription_email_lower_case"),
            models.UniqueConstraint(
                fields=["email", "location"],
                condition=Q(unsubscribed_at__isnull=True, location__isnull=False),
                name="alerts_subscription_one_live_per_location",
            ),
            models.UniqueConstraint(
                fields=["email", "provider"],
                condition=Q(unsubscribed_at__isnull=True, provider__isnull=False),
                name="alerts_subscription_one_live_per_provider",
            ),
            models.UniqueConstraint(
                F("email"),
                Lower("local_authority"),
                condition=Q(unsubscribed_at__isnull=True) & ~Q(local_authority=""),
                name="alerts_subscription_one_live_per_local_authority",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.target_name}"

    @property
    def is_live(self) -> bool:
        return self.unsubscribed_at is None

    @property
    def target_name(self) -> str:
        """What the alerts are about, for pages and e-mails, e.g. 'Laburnum House' or 'the Oldham area'."""
        if self.location_id:
            return self.location.name
        if self.provider_id:
            return self.provider.name
        return f"the {self.local_authority} area"

    @property
    def subscribe_query(self) -> dict[str, str]:
        """The query string of the subscribe page for the same target, for a 'subscribe again' link."""
        if self.location_id:
            return {"location": self.location.cqc_id}
        if self.provider_id:
            return {"provider": self.provider.cqc_id}
        return {"local_authority": self.local_authority}
