"""Reads for e-mail alerts: what a subscribe link points at, and the week's events and subscribers in fixed queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from cqcportal.alerts.models import PublicEvent, Subscription
from cqcportal.register.models import Location, Provider


@dataclass(frozen=True)
class SubscriptionTarget:
    """What a member of the public asks to follow: exactly one of a location, a provider or a local authority."""

    name: str
    location: Location | None = None
    provider: Provider | None = None
    local_authority: str = ""

    @property
    def query(self) -> dict[str, str]:
        if self.location is not None:
            return {"location": self.location.cqc_id}
        if self.provider is not None:
            return {"provider": self.provider.cqc_id}
        return {"local_authority": self.local_authority}

    @property
    def service_kwargs(self) -> dict:
        return {"location": self.location, "provider": self.provider, "local_authority": self.local_authority}


def subscription_target_find(
    *, location_cqc_id: str = "", provider_cqc_id: str = "", local_authority: str = ""
) -> SubscriptionTarget | None:
    """The location, provider or local authority area named by a subscribe link, or None if it names none or several."""
    given = [value.strip() for value in (location_cqc_id, provider_cqc_id, local_authority)]
    if sum(1 for value in given if value) != 1:
        return None
    location_cqc_id, provider_cqc_id, local_authority = given
    if location_cqc_id:
        location = Location.objects.filter(cqc_id=location_cqc_id).first()
        return SubscriptionTarget(name=location.name, location=location) if location else None
    if provider_cqc_id:
        provider = Provider.objects.filter(cqc_id=provider_cqc_id).first()
        return SubscriptionTarget(name=provider.name, provider=provider) if provider else None
    # Stored as the register spells it, whatever the case of the link.
    spelling = (
        Location.objects.filter(local_authority__iexact=local_authority)
        .order_by("local_authority")
        .values_list("local_authority", flat=True)
        .first()
    )
    if spelling is None:
        return None
    return SubscriptionTarget(name=f"the {spelling} area", local_authority=spelling)


def public_events_in_period(*, start_at: datetime.datetime, end_at: datetime.datetime) -> list[PublicEvent]:
    """The public events that occurred in [start_at, end_at), with their locations, in one query."""
    return list(
        PublicEvent.objects.filter(occurred_at__gte=start_at, occurred_at__lt=end_at)
        .select_related("location")
        .order_by("occurred_at", "pk")
    )


def subscriptions_for_events(*, events: list[PublicEvent]) -> QuerySet[Subscription]:
    """Every confirmed, live subscription of each e-mail address that follows at least one of the events, in one query.

    All of an address's subscriptions come back (not only the matching ones) so its digest can offer to unsubscribe
    from each of them.
    """
    location_ids = {event.location_id for event in events}
    provider_ids = {event.location.provider_id for event in events}
    local_authorities = {event.location.local_authority.lower() for event in events if event.location.local_authority}
    live = Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    matching = live.alias(local_authority_lower=Lower("local_authority")).filter(
        Q(location_id__in=location_ids)
        | Q(provider_id__in=provider_ids)
        | Q(local_authority_lower__in=local_authorities)
    )
    return (
        live.filter(email__in=matching.values("email"))
        .select_related("location", "provider")
        .order_by("email", "created_at", "pk")
    )


def subscription_by_confirm_token(token: str):
    """The subscription a confirmation link names, or None."""
    from cqcportal.alerts.models import Subscription

    return Subscription.objects.select_related("location", "provider").filter(confirm_token=token).first()
