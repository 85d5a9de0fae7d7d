"""Reads for the dashboards."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import Delegation, ProviderMembership, User
from cqcportal.audit.models import AuditEvent
from cqcportal.core.compiled import CompiledRead, read_together
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


# A member of staff's dashboard, the page every one of them lands on: its reads compiled once (cqcportal.core.compiled).
HELD_SHOWN = 50
_ROLES = CompiledRead(
    lambda user_id: Group.objects.filter(user__id=user_id).order_by("name").values_list("name", flat=True),
    user_id=int,
)
_HELD = CompiledRead(
    lambda user_id: _with_overall(
        Location.objects.filter(relationship_holder_id=user_id, registration_status="registered")
    ).order_by("name", "pk")[:HELD_SHOWN],
    user_id=int,
)
_HELD_COUNT = CompiledRead(
    lambda user_id: Location.objects.filter(relationship_holder_id=user_id, registration_status="registered")
    .order_by()
    .values("relationship_holder_id")
    .annotate(n=Count("pk"))
    .values_list("n", flat=True),
    user_id=int,
)
_RECENT_EVENTS = CompiledRead(
    lambda: AuditEvent.objects.only("pk", "occurred_at", "actor_description", "action", "subject_description").order_by(
        "-occurred_at"
    )[:10]
)
_OWN_DEADLINES = {
    binds: CompiledRead(
        lambda user_id, binds=binds: Deadline.objects.filter(owner_id=user_id, binds=binds, state__in=LIVE_STATES)
        .only("pk", "state", "due_date", "case_url", "case_description")
        .order_by("due_date", "pk")[:20],
        user_id=int,
    )
    for binds in ("staff", "provider")
}


def staff_dashboard(*, user: User, read=read_together) -> dict:
    """What a member of staff sees first: their roles, their targets, the cases waiting for providers, the locations
    they hold (the first 50 by name, and how many) and the latest activity: read together (``read``: read_together,
    or a view's that adds its own reads)."""
    of_user = {"user_id": user.pk}
    held, roles, recent, mine, waiting = read(
        (_HELD, of_user),
        (_ROLES, of_user),
        (_RECENT_EVENTS, {}),
        (_OWN_DEADLINES["staff"], of_user),
        (_OWN_DEADLINES["provider"], of_user),
    )
    return {
        "roles": roles,
        "held_locations": held,
        # Fewer than a page: the count is what was read.
        "held_count": len(held) if len(held) < HELD_SHOWN else (_HELD_COUNT.first(**of_user) or 0),
        "recent_events": recent,
        "my_deadlines": mine,
        "cases_waiting": waiting,
    }


def _provider_locations(provider_id: int, membership_id: int) -> QuerySet:
    managed = ProviderMembership.locations.through.objects.filter(
        providermembership_id=membership_id, location_id=OuterRef("pk")
    )
    # The current overall rating in the same statement as its location (not a prefetch: a round trip more).
    overall = PublishedRating.objects.filter(location_id=OuterRef("pk"), is_current=True, key_question="overall")
    return (
        Location.objects.filter(provider_id=provider_id)
        .only("pk", "provider_id", "name", "postcode", "registration_status")
        .annotate(is_managed=Exists(managed), current_rating=Subquery(overall.values("rating")[:1]))
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


def provider_dashboard(*, user: User, today: datetime.date, read=read_together) -> dict:
    """What a provider's user sees first: their organisation, their locations, delegations to and from them.

    Six queries whatever the organisation's size (``test_query_budgets``), in three round trips: the locations carry
    whether this person manages each and their current rating, and the delegations to and from them are one read.
    ``to_do`` and ``locations`` build querysets for ``ShortListPaginator`` with ``DASHBOARD_PAGE_SIZE`` rows a page
    (only when a list does not fit on its first page); ``to_do_head`` and ``locations_head`` give each one's head.
    """
    membership = perms.membership_of(user)
    provider = membership.provider
    # The delegations and both lists' heads: one round trip (``read``: read_together, or a view's that adds its own).
    delegations, to_do_head, locations_head = read(
        (_DELEGATIONS, {"user_id": user.pk, "provider_id": provider.pk, "today": today}),
        (_TO_DO_HEAD, {"provider_id": provider.pk}),
        (_LOCATIONS_HEAD, {"provider_id": provider.pk, "membership_id": membership.pk}),
    )
    acting_for, given = [], []
    for delegation in delegations:
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
        "to_do_head": lambda: to_do_head,
        "membership": membership,
        "provider": provider,
        "locations": lambda: _provider_locations(provider.pk, membership.pk),
        "locations_head": lambda: locations_head,
        "acting_for": acting_for,
        "delegations_given": given,
    }
