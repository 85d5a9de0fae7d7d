"""Staff pages of a report: edit a section, amend a statement's score, respond to a comment, decide an
extension, answer a question."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cqcportal.accounts import rules as perms
from factual_accuracy import selectors, services
from factual_accuracy.forms import ExtensionDecisionForm, RescoreForm, ResponseForm
from factual_accuracy.models import Comment, ExtensionRequest, InformationQuery, Report
from factual_accuracy.views import report_page_context, section_of


def _staff_report(request: HttpRequest, pk: int) -> Report:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    return get_object_or_404(Report.objects.select_related("location", "provider", "assessment"), pk=pk)


def section_edit(request: HttpRequest, pk: int, section_pk: int) -> HttpResponse:
    """Staff: the section's text (while drafting or responding) and, for a statement, an amended score."""
    report = _staff_report(request, pk)
    section = section_of(report, section_pk)
    body = section.body
    rescore = RescoreForm(request.POST if request.POST.get("form") == "rescore" else None)
    if request.method == "POST" and request.POST.get("form") == "body":
        body = request.POST.get("body", "")
        try:
            services.section_edit(by=request.user, section=section, body=body)
        except services.ReportCannotChange as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"'{section.title}' saved.")
            return redirect("factual_accuracy:report", pk=report.pk)
    if request.method == "POST" and rescore.is_bound and rescore.is_valid():
        try:
            services.report_statement_rescore(
                by=request.user,
                section=section,
                score=rescore.cleaned_data["score"],
                reason=rescore.cleaned_data["reason"],
            )
        except services.ReportCannotChange as exc:
            rescore.add_error("score", str(exc))
        else:
            messages.success(request, "Score amended: the report's ratings and the rating's working are updated.")
            return redirect("factual_accuracy:report", pk=report.pk)
    context = report_page_context(request, report)
    context.update(
        {
            "section": section,
            "body": body,
            "form": rescore,
            "section_comments": [
                c for c in selectors.comments_visible_to(request.user, report) if c.section_id == section.pk
            ],
        }
    )
    return render(request, "factual_accuracy/section_edit.html", context, status=400 if rescore.errors else 200)


@login_required
def comment_respond(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    report = _staff_report(request, pk)
    comment = get_object_or_404(
        Comment.objects.select_related("section", "created_by").prefetch_related("files"),
        pk=comment_pk,
        report=report,
        submission__isnull=False,
    )
    initial = {"outcome": comment.outcome, "response": comment.response} if comment.outcome else None
    form = ResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_respond(
                by=request.user,
                comment=comment,
                outcome=form.cleaned_data["outcome"],
                response=form.cleaned_data["response"],
            )
        except services.ReportCannotChange as exc:
            form.add_error("response", str(exc))
        else:
            messages.success(request, "Response saved.")
            return redirect("factual_accuracy:report", pk=report.pk)
    context = report_page_context(request, report)
    context.update({"comment": comment, "form": form})
    return render(request, "factual_accuracy/respond.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def extension_decide(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    report = _staff_report(request, pk)
    row = get_object_or_404(ExtensionRequest, pk=request_pk, report=report)
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("factual_accuracy:report", pk=report.pk)
    grant = form.cleaned_data["decision"] == "grant"
    try:
        services.extension_decide(
            by=request.user,
            request=row,
            grant=grant,
            reason=form.cleaned_data["reason"],
            new_due_date=form.cleaned_data["new_due_date"],
            today=timezone.localdate(),
        )
    except services.ReportCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Extension granted: the new date is on the check." if grant else "Extension refused.")
    return redirect("factual_accuracy:report", pk=report.pk)


@login_required
@require_POST
def query_answer(request: HttpRequest, pk: int, query_pk: int) -> HttpResponse:
    report = _staff_report(request, pk)
    row = get_object_or_404(InformationQuery, pk=query_pk, report=report)
    try:
        services.query_answer(by=request.user, query=row, answer=request.POST.get("answer", "")[:5000])
    except services.ReportCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Answer sent to the provider.")
    return redirect("factual_accuracy:report", pk=report.pk)
