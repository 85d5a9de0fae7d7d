"""Reads for the dashboards."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import Delegation, ProviderMembership, User
from cqcportal.audit.models import AuditEvent
from cqcportal.core.compiled import CompiledRead
from cqcportal.deadlines.models import LIVE_STATES, Deadline
from cqcportal.register.models import Location, PublishedRating


def _current_overall() -> Prefetch:
    return Prefetch(
        "published_ratings",
        queryset=PublishedRating.objects.filter(is_current=True, key_question="overall").only(
            "pk", "location_id", "rating"
        ),
        to_attr="current_overall",
    )


# The delegations to and from a provider's person, read by every visit to their dashboard: compiled once
# (cqcportal.core.compiled).
_DELEGATIONS = CompiledRead(
    lambda user_id, provider_id, today: Delegation.objects.filter(revoked_at__isnull=True, end_date__gte=today)
    .filter(Q(delegator_id=user_id) | Q(delegate_id=user_id, start_date__lte=today, provider_id=provider_id))
    .select_related("delegator", "delegate")
    .order_by("start_date", "pk"),
    user_id=int,
    provider_id=int,
    today=datetime.date,
)


def _with_overall(qs: QuerySet[Location]) -> QuerySet[Location]:
    return qs.select_related("provider").prefetch_related(_current_overall())


def staff_dashboard(*, user: User) -> dict:
    """What a member of staff sees first: the locations they hold and the latest activity."""
    held = _with_overall(Location.objects.filter(relationship_holder=user, registration_status="registered"))
    return {
        "roles": [g.name for g in user.groups.all()],
        "held_locations": held.order_by("name", "pk")[:50],
        "held_count": held.count(),
        "recent_events": AuditEvent.objects.select_related("actor").order_by("-occurred_at")[:10],
        "my_deadlines": Deadline.objects.filter(owner=user, binds="staff", state__in=LIVE_STATES).order_by("due_date")[
            :20
        ],
        "cases_waiting": Deadline.objects.filter(owner=user, binds="provider", state__in=LIVE_STATES).order_by(
            "due_date"
        )[:20],
    }


def provider_dashboard(*, user: User, today: datetime.date) -> dict:
    """What a provider's user sees first: their organisation, their locations, delegations to and from them.

    Seven queries whatever the organisation's size (``test_query_budgets``): the locations carry whether this person
    manages each, and the delegations to and from them are one read.
    """
    membership = perms.membership_of(user)
    provider = membership.provider
    managed = ProviderMembership.locations.through.objects.filter(
        providermembership_id=membership.pk, location_id=OuterRef("pk")
    )
    locations = (
        Location.objects.filter(provider=provider)
        .only("pk", "provider_id", "name", "postcode", "registration_status")
        .annotate(is_managed=Exists(managed))
        .prefetch_related(_current_overall())
        .order_by("registration_status", "name", "pk")  # a total order: pages neither repeat nor skip a row
    )
    acting_for, given = [], []
    for delegation in _DELEGATIONS.all(user_id=user.pk, provider_id=provider.pk, today=today):
        if (
            delegation.delegate_id == user.pk
            and delegation.start_date <= today
            and delegation.provider_id == provider.pk
        ):
            acting_for.append(delegation)
        if delegation.delegator_id == user.pk:
            given.append(delegation)
    to_do = (
        Deadline.objects.filter(provider=provider, binds="provider", state__in=LIVE_STATES)
        .only("pk", "state", "due_date", "case_url", "case_description")
        .order_by("due_date", "pk")
    )
    return {
        "to_do": to_do,
        "membership": membership,
        "provider": provider,
        "locations": locations,
        "acting_for": acting_for,
        "delegations_given": given,
    }
