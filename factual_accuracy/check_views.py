"""The provider's side of the factual accuracy check: comment on a section, upload evidence, review and send,
ask for more time, ask a question. Nothing typed is lost: a refused save re-shows what was typed, a comment is
saved before its file is checked, and the browser keeps an unsaved draft (static/js/portal.js) across a
timed-out session.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_access_record
from factual_accuracy import selectors, services
from factual_accuracy.forms import CommentForm, FileForm, QuestionForm, ReasonForm
from factual_accuracy.models import Comment, ReportState, SupportingFile
from factual_accuracy.selectors import reports_visible_to
from factual_accuracy.views import report_page_context, section_of


def _provider_report(request: HttpRequest, pk: int):
    """The report, for a user of its own provider; staff use their own pages and anyone else gets a 404."""
    if not perms.is_provider_user(request.user):
        raise Http404
    return get_object_or_404(reports_visible_to(request.user), pk=pk)


@login_required
def section_comment(request: HttpRequest, pk: int, section_pk: int) -> HttpResponse:
    """Comment on one section: the section's text, the comments on it so far, and a form for a new one."""
    if perms.is_regulator_staff(request.user):
        from factual_accuracy.response_views import section_edit

        return section_edit(request, pk, section_pk)
    report = _provider_report(request, pk)
    section = section_of(report, section_pk)
    form = CommentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        saved = _save_comment(request, form, report, section)
        if saved is not None:
            return redirect("factual_accuracy:section", pk=report.pk, section_pk=section.pk)
    if request.method == "GET" and report.state != ReportState.PUBLISHED:
        audit_access_record(by=request.user, subject=report, document="draft report section", section=section.pk)
    return _section_page(request, report, section, form)


def _save_comment(request, form, report, section, comment=None):
    """Save the comment, then its file; a refused file leaves the comment saved and says why."""
    try:
        saved = services.comment_save(
            by=request.user,
            report=report,
            section=section,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            comment=comment,
        )
    except services.ReportCannotChange as exc:
        form.add_error("text", str(exc))
        return None
    upload = form.cleaned_data.get("file")
    if upload:
        try:
            services.supporting_file_add(by=request.user, comment=saved, upload=upload)
        except (services.FileCannotUpload, services.ReportCannotChange) as exc:
            messages.warning(
                request,
                f"Your comment is saved as a draft, but the file '{upload.name[:100]}' was not uploaded: {exc} "
                "You can try again below.",
            )
            return saved
    messages.success(request, "Comment saved as a draft. It is sent to us only when a registered person sends it.")
    request.session["fa_saved"] = f"{report.pk}:{section.pk}"
    return saved


def _section_page(request, report, section, form, *, editing=None) -> HttpResponse:
    context = report_page_context(request, report)
    comments = [c for c in selectors.comments_visible_to(request.user, report) if c.section_id == section.pk]
    context.update(
        {
            "section": section,
            "form": form,
            "section_comments": comments,
            "editing": editing,
            "file_form": FileForm(),
            "autosave_key": f"fa:{report.pk}:{section.pk}:{editing.pk if editing else 'new'}",
            "clear_autosave": request.session.pop("fa_saved", "") == f"{report.pk}:{section.pk}",
        }
    )
    status = 200 if not form.errors else 400
    return render(request, "factual_accuracy/section.html", context, status=status)


@login_required
def comment_edit(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    report = _provider_report(request, pk)
    comment = get_object_or_404(Comment.objects.select_related("section"), pk=comment_pk, report=report)
    initial = {"kind": comment.kind, "text": comment.text}
    form = CommentForm(request.POST or None, request.FILES or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and _save_comment(request, form, report, comment.section, comment=comment) is not None
    ):
        return redirect("factual_accuracy:section", pk=report.pk, section_pk=comment.section_id)
    return _section_page(request, report, comment.section, form, editing=comment)


@login_required
@require_POST
def comment_delete(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    report = _provider_report(request, pk)
    comment = get_object_or_404(Comment, pk=comment_pk, report=report)
    try:
        services.comment_delete(by=request.user, comment=comment)
    except services.ReportCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Draft comment deleted.")
    return redirect("factual_accuracy:section", pk=report.pk, section_pk=comment.section_id)


@login_required
@require_POST
def file_add(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Upload (or retry uploading) a file for a draft comment."""
    report = _provider_report(request, pk)
    comment = get_object_or_404(Comment, pk=comment_pk, report=report)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
    else:
        try:
            item = services.supporting_file_add(by=request.user, comment=comment, upload=form.cleaned_data["file"])
        except (services.FileCannotUpload, services.ReportCannotChange) as exc:
            messages.error(request, f"The file was not uploaded: {exc}")
        else:
            messages.success(request, f"'{item.name}' uploaded.")
    return redirect("factual_accuracy:section", pk=report.pk, section_pk=comment.section_id)


@login_required
@require_POST
def file_remove(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    report = _provider_report(request, pk)
    item = get_object_or_404(
        SupportingFile.objects.select_related("comment__report"), pk=file_pk, comment__report=report
    )
    try:
        services.supporting_file_remove(by=request.user, item=item)
    except services.ReportCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"'{item.name}' removed.")
    return redirect("factual_accuracy:section", pk=report.pk, section_pk=item.comment.section_id)


@login_required
def file_download(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    """Serve a file only to someone who may see its comment; every access is audited."""
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    visible = selectors.comments_visible_to(request.user, report)
    item = get_object_or_404(SupportingFile.objects.filter(comment__in=visible), pk=file_pk)
    audit_access_record(
        by=request.user, subject=report, document="supporting file", action="report.file.download", file=item.pk
    )
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Review every comment and file, then send them (a registered person or their delegate)."""
    report = _provider_report(request, pk)
    if request.method == "POST":
        if not perms.can_act_as_registered_person(request.user, report, today=timezone.localdate())[0]:
            raise PermissionDenied("Only a registered person, or their delegate, can send the comments.")
        try:
            services.factual_accuracy_submit(by=request.user, report=report, today=timezone.localdate())
        except services.ReportCannotChange as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, "Your comments have been sent. We will respond to each one with the final report."
            )
            return redirect("factual_accuracy:report", pk=report.pk)
    context = report_page_context(request, report)
    context["comments"] = list(selectors.comments_visible_to(request.user, report))
    context["drafts"] = [c for c in context["comments"] if c.submission_id is None]
    return render(request, "factual_accuracy/submit.html", context)


@login_required
def extension(request: HttpRequest, pk: int) -> HttpResponse:
    report = _provider_report(request, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_request(
                by=request.user, report=report, reason=form.cleaned_data["reason"], today=timezone.localdate()
            )
        except services.ReportCannotChange as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(request, "We have your request for more time and will tell you our decision.")
            return redirect("factual_accuracy:report", pk=report.pk)
    context = report_page_context(request, report)
    context["form"] = form
    return render(request, "factual_accuracy/extension.html", context, status=400 if form.errors else 200)


@login_required
def question(request: HttpRequest, pk: int) -> HttpResponse:
    report = _provider_report(request, pk)
    sections = list(report.sections.order_by("order"))
    form = QuestionForm(request.POST or None, sections=sections)
    if request.method == "POST" and form.is_valid():
        section = next((s for s in sections if s.pk == form.cleaned_data["section"]), None)
        try:
            services.query_ask(by=request.user, report=report, question=form.cleaned_data["question"], section=section)
        except services.ReportCannotChange as exc:
            form.add_error("question", str(exc))
        else:
            messages.success(request, "Your question has gone to the assessment team. Their answer will appear here.")
            return redirect("factual_accuracy:report", pk=report.pk)
    context = report_page_context(request, report)
    context["form"] = form
    return render(request, "factual_accuracy/question.html", context, status=400 if form.errors else 200)
