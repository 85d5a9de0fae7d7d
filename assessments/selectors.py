"""Reads for assessment cases, scoped to what the user may see."""

from django.db.models import QuerySet

from assessments.models import InformationRequest
from cqcportal.accounts import rules as perms


def information_requests_visible_to(user) -> QuerySet[InformationRequest]:
    """All requests for staff; a provider user's own organisation's requests only."""
    qs = InformationRequest.objects.select_related("location", "provider", "requested_by", "submitted_by")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id)


def rating_status_for(location):
    """The location's overall calculated rating row when it is suspended or inspected but not rated, else None."""
    from assessments.models import LocationRating

    return (
        LocationRating.objects.filter(location=location, key_question="overall")
        .exclude(status=LocationRating.Status.RATED)
        .first()
    )


def rating_review_under_way(location):
    """The review of the location's ratings taking place now (requested, outcome not yet published), or None."""
    from assessments.models import REVIEW_UNDER_WAY, RatingReview

    return (
        RatingReview.objects.filter(location=location, state__in=REVIEW_UNDER_WAY)
        .only("pk", "submitted_at")
        .order_by("-submitted_at")
        .first()
    )
