"""Reads for deadlines: who a deadline binds, and what is due."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from cqcportal.accounts.models import REGISTERED_PERSON_ROLES, Delegation, StaffRole, User
from cqcportal.deadlines.models import LIVE_STATES, Deadline, ExtraHoliday


def extra_holidays() -> frozenset[datetime.date]:
    """One-off bank holidays that admin staff added, for the working-day calendar."""
    return frozenset(ExtraHoliday.objects.values_list("date", flat=True))


def provider_contacts(*, provider_id: int, location_id: int | None, today: datetime.date) -> list[User]:
    """The registered persons a provider's window binds, and anyone acting as their delegate today.

    A registered manager is bound for the locations they manage; the nominated individual and chief
    executive for all of the provider's locations.
    """
    people = User.objects.filter(
        is_active=True, membership__provider_id=provider_id, membership__role__in=REGISTERED_PERSON_ROLES
    )
    if location_id is not None:
        people = people.filter(~Q(membership__role="registered_manager") | Q(membership__locations=location_id))
    people = list(people.distinct().order_by("pk"))
    delegates = (
        User.objects.filter(
            is_active=True,
            delegations_received__in=Delegation.objects.filter(
                delegator__in=people, revoked_at__isnull=True, start_date__lte=today, end_date__gte=today
            ),
        )
        .distinct()
        .order_by("pk")
    )
    seen = {p.pk for p in people}
    return people + [d for d in delegates if d.pk not in seen]


def escalation_contacts(*, deadline: Deadline) -> list[User]:
    """Who hears of a missed staff target: the team's operations manager, else every operations manager."""
    team = deadline.team
    if team is not None and team.operations_manager_id and team.operations_manager.is_active:
        return [team.operations_manager]
    return list(
        User.objects.filter(is_active=True, groups__name=str(StaffRole.OPERATIONS_MANAGER)).order_by("pk").distinct()
    )


def deadlines_for_case(case) -> QuerySet[Deadline]:
    from django.contrib.contenttypes.models import ContentType

    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(case), object_id=str(case.pk)
    ).prefetch_related("extensions", "pauses")


def live_deadline_for(case, kind) -> Deadline | None:
    return deadlines_for_case(case).filter(kind=str(kind), state__in=LIVE_STATES).first()
