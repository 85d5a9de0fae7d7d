"""Reads for assessment cases, scoped to what the user may see."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from assessments.models import Assessment, AssessmentTeamMember, InformationRequest, StatementScore
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


def caseload_for(user) -> QuerySet[Assessment]:
    """The assessments a member of staff leads or is on the team of, with statements in scope and scored counted.

    Each count is its own subquery: counting both relations in one join would multiply the statements by the
    scores of every assessment before grouping (at national scale, hundreds of thousands of rows per page).
    """
    # The ids first, from two indexed look-ups in one query: as a subquery the planner scans every assessment in
    # the country to join them (15 ms at national size, for the page and again for its count).
    mine = list(
        Assessment.objects.filter(lead=user)
        .values_list("pk", flat=True)
        .union(AssessmentTeamMember.objects.filter(user=user).values_list("assessment_id", flat=True))
    )
    in_scope = (
        Assessment.statements.through.objects.filter(assessment_id=OuterRef("pk"))
        .order_by()
        .values("assessment_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    scored = (
        StatementScore.objects.filter(assessment_id=OuterRef("pk"))
        .order_by()
        .values("assessment_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        Assessment.objects.filter(pk__in=mine)
        .select_related("location", "provider")
        .annotate(in_scope=Coalesce(Subquery(in_scope), 0), scored=Coalesce(Subquery(scored), 0))
        .order_by("state", "onsite_start_date", "-created_at")
    )
