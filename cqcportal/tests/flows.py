"""Whole flows run through their services, for tests that need their end state (for example a published report)."""

from django.db import transaction
from django.utils import timezone

from cqcportal.tests.factories import ProviderUserFactory, StaffFactory


def report_published(assessment, *, by):
    """Take a completed assessment's report through quality review and a factual accuracy check answered "no
    inaccuracies" to publication, so its scores become public."""
    from assessments.models import Assessment
    from factual_accuracy import services

    assessment = Assessment.objects.get(pk=assessment.pk)  # FSM fields are protected: re-read, never refresh
    today = timezone.localdate()
    manager = ProviderUserFactory(
        membership__provider=assessment.location.provider,
        membership__role="nominated_individual",
    )
    with transaction.atomic():
        report = services.report_create(by=by, assessment=assessment)
    services.report_submit_for_quality_review(by=by, report=report)
    services.report_quality_review_pass(by=StaffFactory(), report=report)
    services.report_send_for_factual_accuracy(by=by, report=report, today=today)
    services.factual_accuracy_confirm_no_inaccuracies(by=manager, report=report, today=today)
    services.report_mark_ready_to_publish(by=by, report=report)
    return services.report_publish(by=by, report=report)
