"""Reads for reports, scoped to who may see them."""

from django.db.models import QuerySet

from cqcportal.accounts import rules as perms
from factual_accuracy.models import Report, ReportState

# A provider sees its draft from the moment it is sent for the factual accuracy check.
PROVIDER_VISIBLE = [
    s
    for s in ReportState
    if s not in (ReportState.DRAFTING, ReportState.IN_QUALITY_REVIEW, ReportState.QUALITY_REVIEW_PASSED)
]


def reports_visible_to(user) -> QuerySet[Report]:
    """Every report for staff; for a provider user, their own organisation's reports once sent to them."""
    qs = Report.objects.select_related("location", "provider", "assessment")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id, state__in=PROVIDER_VISIBLE)
