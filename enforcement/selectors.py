"""Reads for enforcement."""

from enforcement.models import EnforcementAction


def published_actions_for(location_id: int) -> list[EnforcementAction]:
    """The enforcement the public sees on a location's profile, newest first: published actions only (those whose
    representations and appeals are complete, and urgent action at once)."""
    return list(
        EnforcementAction.objects.filter(location_id=location_id, published_at__isnull=False)
        .only("pk", "kind", "proposal", "summary", "served_on", "effective_on", "published_at", "state", "outcome")
        .order_by("-published_at")
    )
