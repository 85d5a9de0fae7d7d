"""The published report on the location's public profile: readable and printable, no sign-in."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cqcportal.core.public_cache import cached_for_the_public
from factual_accuracy.models import Report, ReportState


@cached_for_the_public
def public_report(request: HttpRequest, cqc_id: str, pk: int) -> HttpResponse:
    report = get_object_or_404(
        Report.objects.select_related("location", "provider", "assessment"),
        pk=pk,
        location__cqc_id=cqc_id,
        state=ReportState.PUBLISHED,
    )
    return render(
        request,
        "factual_accuracy/public_report.html",
        {"report": report, "sections": report.sections.select_related("statement").order_by("order")},
    )
