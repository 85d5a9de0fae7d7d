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


def _provider_locations(provider_id: int, membership_id: int) -> QuerySet:
    managed = ProviderMembership.locations.through.objects.filter(
        providermembership_id=membership_id, location_id=OuterRef("pk")
    )
    return (
        Location.objects.filter(provider_id=provider_id)
        .only("pk", "provider_id", "name", "postcode", "registration_status")
        .annotate(is_managed=Exists(managed))
        .prefetch_related(_current_overall())
        .order_by("registration_status", "name", "pk")  # a total order: pages neither repeat nor skip a row
    )


def _provider_to_do(provider_id: int) -> QuerySet:
    return (
        Deadline.objects.filter(provider_id=provider_id, binds="provider", state__in=LIVE_STATES)
        .only("pk", "state", "due_date", "case_url", "case_description")
        .order_by("due_date", "pk")
    )


# A dashboard list's first page and one row more (``ShortListPaginator``'s head), compiled once: most providers'
# lists fit on it, so this is all the dashboard reads of them.
DASHBOARD_PAGE_SIZE = 50
_LOCATIONS_HEAD = CompiledRead(
    lambda provider_id, membership_id: _provider_locations(provider_id, membership_id)[: DASHBOARD_PAGE_SIZE + 1],
    provider_id=int,
    membership_id=int,
)
_TO_DO_HEAD = CompiledRead(lambda provider_id: _provider_to_do(provider_id)[: DASHBOARD_PAGE_SIZE + 1], provider_id=int)


def provider_dashboard(*, user: User, today: datetime.date) -> dict:
    """What a provider's user sees first: their organisation, their locations, delegations to and from them.

    Seven queries whatever the organisation's size (``test_query_budgets``): the locations carry whether this person
    manages each, and the delegations to and from them are one read. ``to_do`` and ``locations`` build querysets for
    ``ShortListPaginator`` with ``DASHBOARD_PAGE_SIZE`` rows a page (only when a list does not fit on its first
    page); ``to_do_head`` and ``locations_head`` read each one's head.
    """
    membership = perms.membership_of(user)
    provider = membership.provider
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
    return {
        "to_do": lambda: _provider_to_do(provider.pk),
        "to_do_head": lambda: _TO_DO_HEAD.all(provider_id=provider.pk),
        "membership": membership,
        "provider": provider,
        "locations": lambda: _provider_locations(provider.pk, membership.pk),
        "locations_head": lambda: _LOCATIONS_HEAD.all(provider_id=provider.pk, membership_id=membership.pk),
        "acting_for": acting_for,
        "delegations_given": given,
    }
