"""Reads for the dashboards."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch, QuerySet

from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import Delegation, User
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import LIVE_STATES, Deadline
from cqcportal.register.models import Location, PublishedRating


def _with_overall(qs: QuerySet[Location]) -> QuerySet[Location]:
    return qs.select_related("provider").prefetch_related(
        Prefetch(
            "published_ratings",
            queryset=PublishedRating.objects.filter(is_current=True, key_question="overall"),
            to_attr="current_overall",
        )
    )


def staff_dashboard(*, user: User) -> dict:
    """What a member of staff sees first: the locations they hold and the latest activity."""
    held = _with_overall(Location.objects.filter(relationship_holder=user, registration_status="registered"))
    return {
        "roles": [g.name for g in user.groups.all()],
        "held_locations": held.order_by("name")[:50],
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
    """What a provider's user sees first: their organisation, their locations, delegations to and from them."""
    membership = perms.membership_of(user)
    provider = membership.provider
    locations = _with_overall(Location.objects.filter(provider=provider)).order_by("registration_status", "name")
    managed_ids = set(membership.locations.values_list("pk", flat=True))
    acting_for = perms.delegations_acting_for(user, today=today, provider_id=provider.pk)
    given = Delegation.objects.filter(delegator=user, revoked_at__isnull=True, end_date__gte=today).select_related(
        "delegate"
    )
    to_do = (
        Deadline.objects.filter(provider=provider, binds="provider", state__in=LIVE_STATES)
        .select_related("location")
        .order_by("due_date")
    )
    return {
        "to_do": to_do,
        "membership": membership,
        "provider": provider,
        "locations": locations,
        "managed_ids": managed_ids,
        "acting_for": acting_for,
        "delegations_given": given,
    }
