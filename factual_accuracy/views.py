"""Report pages: staff move the report through its states; the provider checks the draft for factual accuracy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.models import Assessment
from cqcportal.accounts import rules as perms
from cqcportal.deadlines import selectors as deadline_selectors
from factual_accuracy import services
from factual_accuracy.selectors import reports_visible_to


@login_required
@require_POST
def report_new(request: HttpRequest, assessment_pk: int) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    assessment = get_object_or_404(Assessment, pk=assessment_pk)
    try:
        report = services.report_create(by=request.user, assessment=assessment)
    except services.ReportCannotChange as exc:
        messages.error(request, str(exc))
        return redirect("assessments:workspace", pk=assessment.pk)
    messages.success(request, "Draft report started from the assessment's scores.")
    return redirect("factual_accuracy:report", pk=report.pk)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    deadlines = deadline_selectors.deadlines_for_case(report).order_by("pk")
    today = timezone.localdate()
    return render(
        request,
        "factual_accuracy/report.html",
        {
            "report": report,
            "sections": report.sections.select_related("statement").order_by("order"),
            "deadlines": deadlines,
            "is_staff_user": perms.is_regulator_staff(request.user),
            "can_answer": perms.can_act_as_registered_person(request.user, report, today=today)[0],
        },
    )


STAFF_ACTIONS = {
    "submit": (services.report_submit_for_quality_review, "Sent to quality review."),
    "pass": (services.report_quality_review_pass, "Quality review passed."),
    "ready": (services.report_mark_ready_to_publish, "Ready to publish."),
    "publish": (services.report_publish, "Published."),
}


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    today = timezone.localdate()
    try:
        if action in STAFF_ACTIONS:
            service, done = STAFF_ACTIONS[action]
            service(by=request.user, report=report)
        elif action == "return":
            services.report_quality_review_return(
                by=request.user, report=report, comments=request.POST.get("comments", "")[:5000]
            )
            done = "Returned to drafting with your comments."
        elif action == "send":
            services.report_send_for_factual_accuracy(by=request.user, report=report, today=today)
            done = "Sent to the provider: the factual accuracy check has started."
        elif action == "no-inaccuracies":
            services.factual_accuracy_confirm_no_inaccuracies(by=request.user, report=report, today=today)
            done = "Thank you: you have told us there are no factual inaccuracies. The check is closed."
        else:
            raise Http404
    except services.ReportCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("factual_accuracy:report", pk=report.pk)
