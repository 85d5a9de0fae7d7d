"""Reads for deadlines: who a deadline binds, and what is due."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.db.models import QuerySet

from cqcportal.accounts.models import (
    REGISTERED_PERSON_ROLES,
    Delegation,
    ProviderMembership,
    ProviderRole,
    User,
)
from cqcportal.core.compiled import CompiledRead
from cqcportal.deadlines.models import LIVE_STATES, Deadline, ExtraHoliday

# Read by most pages that show a deadline: compiled once (cqcportal.core.compiled); pages that read several rows
# at once send it with theirs (read_together).
EXTRA_HOLIDAYS = CompiledRead(lambda: ExtraHoliday.objects.order_by().values_list("date", flat=True))


def extra_holidays() -> frozenset[datetime.date]:
    """One-off bank holidays that admin staff added, for the working-day calendar."""
    return frozenset(EXTRA_HOLIDAYS.all())


class Contact(NamedTuple):
    """Someone to notify: enough to address them."""

    pk: int
    email: str
    full_name: str


def provider_contacts(*, provider_id: int, location_id: int | None, today: datetime.date) -> list[User]:
    """The registered persons a provider's window binds, and anyone acting as their delegate today.

    A registered manager is bound for the locations they manage; the nominated individual and chief
    executive for all of the provider's locations.
    """
    key = (provider_id, location_id)
    ids = [contact.pk for contact in provider_contacts_many(keys={key}, today=today)[key]]
    users = User.objects.in_bulk(ids)
    return [users[pk] for pk in ids]


def provider_contacts_many(
    *, keys: set[tuple[int, int | None]], today: datetime.date
) -> dict[tuple[int, int | None], list[Contact]]:
    """``provider_contacts`` for many (provider, location) pairs at once, in three queries whatever their number.

    Each list holds the registered persons bound, in id order, then their delegates today who are not among them,
    in id order.
    """
    provider_ids = {provider_id for provider_id, _ in keys}
    people = list(
        User.objects.filter(
            is_active=True, membership__provider_id__in=provider_ids, membership__role__in=REGISTERED_PERSON_ROLES
        )
        .order_by("pk")
        .values_list("pk", "email", "full_name", "membership__provider_id", "membership__role")
    )
    managed = defaultdict(set)
    through = ProviderMembership.locations.through
    for user_id, location_id in through.objects.filter(
        providermembership__user__in=[p[0] for p in people if p[4] == ProviderRole.REGISTERED_MANAGER]
    ).values_list("providermembership__user_id", "location_id"):
        managed[user_id].add(location_id)
    delegates_of = defaultdict(list)
    for delegator_id, *delegate in (
        Delegation.objects.filter(
            delegator__in=[p[0] for p in people],
            revoked_at__isnull=True,
            start_date__lte=today,
            end_date__gte=today,
            delegate__is_active=True,
        )
        .order_by("delegate_id")
        .values_list("delegator_id", "delegate_id", "delegate__email", "delegate__full_name")
    ):
        delegates_of[delegator_id].append(Contact(*delegate))
    by_provider = defaultdict(list)
    for pk, email, full_name, provider_id, role in people:
        by_provider[provider_id].append((Contact(pk, email, full_name), role))
    contacts = {}
    for provider_id, location_id in keys:
        bound = [
            contact
            for contact, role in by_provider[provider_id]
            if location_id is None or role != ProviderRole.REGISTERED_MANAGER or location_id in managed[contact.pk]
        ]
        seen = {contact.pk for contact in bound}
        delegates = {}
        for contact in bound:
            for delegate in delegates_of[contact.pk]:
                if delegate.pk not in seen:
                    delegates[delegate.pk] = delegate
        contacts[(provider_id, location_id)] = bound + [delegates[pk] for pk in sorted(delegates)]
    return contacts


def deadlines_for_case(case) -> QuerySet[Deadline]:
    from django.contrib.contenttypes.models import ContentType

    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(case), object_id=str(case.pk)
    ).prefetch_related("extensions", "pauses")


def live_deadline_for(case, kind) -> Deadline | None:
    return deadlines_for_case(case).filter(kind=str(kind), state__in=LIVE_STATES).first()
