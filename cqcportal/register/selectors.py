"""Reads of the register: search, public profiles and private pages, each with a fixed number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from cqcportal.register.models import KeyQuestion, Location, Provider, PublishedRating, Region, ServiceType

KEY_QUESTION_ORDER = [
    KeyQuestion.SAFE,
    KeyQuestion.EFFECTIVE,
    KeyQuestion.CARING,
    KeyQuestion.RESPONSIVE,
    KeyQuestion.WELL_LED,
]


def _current_overall_ratings() -> Prefetch:
    return Prefetch(
        "published_ratings",
        queryset=PublishedRating.objects.filter(is_current=True, key_question=KeyQuestion.OVERALL),
        to_attr="current_overall",
    )


def register_search(
    *, text: str = "", postcode: str = "", region: str = "", service_type: str = "", include_deregistered: bool = False
) -> QuerySet[Location]:
    """Locations matching a name (of the location or its provider), postcode prefix, region and service type."""
    qs = Location.objects.select_related("provider").prefetch_related(
        _current_overall_ratings(), Prefetch("service_types", queryset=ServiceType.objects.only("id", "name"))
    )
    if not include_deregistered:
        qs = qs.filter(registration_status="registered")
    text = text.strip()
    if text:
        # Each alternative on the location's own columns, so each can use its index (the trigram and register id
        # indexes of migration 0003): an OR across the join to providers would read every location.
        providers = Provider.objects.filter(name__icontains=text).values("pk")
        qs = qs.filter(Q(name__icontains=text) | Q(provider_id__in=providers) | Q(cqc_id__iexact=text))
    compact = postcode.replace(" ", "").upper()
    if compact:
        qs = qs.filter(postcode_compact__startswith=compact)
    if region:
        qs = qs.filter(region=region)
    if service_type:
        qs = qs.filter(service_types__name=service_type)
    return qs.order_by("name", "pk").distinct() if service_type else qs.order_by("name", "pk")


def search_choices() -> dict:
    """The options of the search form's select boxes."""
    return {
        "regions": [r for r in Region if r != Region.UNSPECIFIED],
        "service_types": list(ServiceType.objects.order_by("name").values_list("name", flat=True)),
    }


def ratings_by_key_question(location: Location) -> dict:
    """The location's current published ratings as {'overall': rating, 'safe': rating, ...} (prefetched)."""
    return {r.key_question: r for r in location.current_ratings}


def location_profile(*, cqc_id: str) -> Location:
    """One location with everything its public profile shows.

    :raises Location.DoesNotExist: when no location has that register id.
    """
    location = (
        Location.objects.select_related("provider")
        .prefetch_related(
            "service_types",
            "regulated_activities",
            Prefetch(
                "published_ratings", queryset=PublishedRating.objects.filter(is_current=True), to_attr="current_ratings"
            ),
        )
        .get(cqc_id=cqc_id)
    )
    by_kq = ratings_by_key_question(location)
    location.overall_rating = by_kq.get(KeyQuestion.OVERALL)
    location.key_question_ratings = [(kq, by_kq.get(kq)) for kq in KEY_QUESTION_ORDER]
    return location


def provider_profile(*, cqc_id: str) -> Provider:
    """One provider with its locations and their overall ratings.

    :raises Provider.DoesNotExist: when no provider has that register id.
    """
    return Provider.objects.prefetch_related(
        Prefetch(
            "locations",
            queryset=Location.objects.order_by("registration_status", "name").prefetch_related(
                _current_overall_ratings()
            ),
        )
    ).get(cqc_id=cqc_id)


def register_counts_by_region() -> list[dict]:
    """How many registered locations each region has (for staff dashboards)."""
    return list(
        Location.objects.filter(registration_status="registered")
        .values("region")
        .annotate(total=Count("id"))
        .order_by("region")
    )
