"""The report page, its state transitions, its versions, and the staff list of reports by publication target.

The provider's pages of the check are in ``check_views``; the staff's responses in ``response_views``.
"""

import difflib
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.models import Assessment
from cqcportal import workdays
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_access_record
from cqcportal.core.context_processors import read_with_navigation
from cqcportal.core.fragments import render_page
from cqcportal.core.links import link_maker
from cqcportal.deadlines import selectors as deadline_selectors
from factual_accuracy import selectors, services
from factual_accuracy.models import ExtensionRequest, ReportSection, ReportState
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


_UNREAD = object()


def report_page_context(request: HttpRequest, report, *, window=_UNREAD) -> dict:
    """What every page of a report shows: the report, its check's deadline and who may do what.

    ``window``: the check's deadline (None before the report is sent) when the caller has read it already
    (``selectors.report_page_reads``).
    """
    today = timezone.localdate()
    window = selectors.report_window(report) if window is _UNREAD else window
    is_staff_user = perms.is_regulator_staff(request.user)
    check_open = (
        report.state == ReportState.OUT_FOR_FACTUAL_ACCURACY
        and window is not None
        and window.state == "open"
        and timezone.now() <= window.due_at
    )
    return {
        "report": report,
        "window": window,
        "is_staff_user": is_staff_user,
        "check_open": check_open,
        "can_answer": not is_staff_user and perms.can_act_as_registered_person(request.user, report, today=today)[0],
        "can_edit": is_staff_user
        and report.state in services.EDITABLE
        and request.user.has_perm("assessments.conduct", report.assessment),
    }


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The report and all its page shows in one round trip; its reading is audited by the statement that reads it.
    lists = selectors.report_page_reads(request.user, pk, read=functools.partial(read_with_navigation, request))
    if lists is None:
        raise Http404("No report here.")
    report, window, target, holidays = lists["report"], lists["window"], lists["target"], lists["holidays"]
    context = report_page_context(request, report, window=window)
    comments, sections = lists["comments"], lists["sections"]
    by_section: dict[int, list] = {}
    for comment in comments:
        by_section.setdefault(comment.section_id, []).append(comment)
    section_link = link_maker("factual_accuracy:section", report.pk)
    for section in sections:
        section.visible_comments = by_section.get(section.pk, [])
        section.url = section_link(section.pk)
    context.update(
        {
            "sections": sections,
            "comments": comments,
            "drafts": [c for c in comments if c.submission_id is None],
            "show_responses": context["is_staff_user"] or report.state == ReportState.PUBLISHED,
            "target": target,
            "age_days": _age(report, target, holidays),
            "days_left": _left(target, holidays),
            "extensions": lists["extensions"],
            "queries": lists["queries"],
            "submission": getattr(report, "submission", None) if report.state != ReportState.DRAFTING else None,
            "pending_extension": ExtensionRequest.State.PENDING,
            "unanswered": sum(1 for c in comments if c.submission_id and not c.outcome),
            "can_respond": context["is_staff_user"] and report.state == ReportState.RESPONDING,
            "can_withdraw": perms.is_senior_staff(request.user)
            and report.state not in (ReportState.PUBLISHED, ReportState.WITHDRAWN),
            "today": timezone.localdate(),
            "review": _review_offer(request, report),
        }
    )
    # Drawn by Jinja2 from top to bottom (render_page): the page providers and inspectors work on through the check.
    return render_page(request, "factual_accuracy/report_page.html", context)


def _record_access(request: HttpRequest, report, document: str) -> None:
    # Until it is published a report is confidential: every reading of it is in the audit log.
    if report.state != ReportState.PUBLISHED:
        audit_access_record(by=request.user, subject=report, document=document, state=report.state)


def _age(report, target, holidays: frozenset) -> int | None:
    """Working days since the end of the on-site activity (where the publication target starts)."""
    if target is None:
        return None
    end = (report.published_at and timezone.localdate(report.published_at)) or timezone.localdate()
    return workdays.working_days_between(target.start_date, end, extra_holidays=holidays)


def _review_offer(request, report):
    """For a provider on the latest rated published report: its rating review, or the open window to ask."""
    from assessments import review_services
    from assessments.models import RatingReview

    if report.state != ReportState.PUBLISHED or perms.is_regulator_staff(request.user):
        return None
    existing = RatingReview.objects.filter(report=report).only("pk", "state").first()
    window = review_services.request_window(report)
    if existing is None and (window is None or window.state != "open" or timezone.now() > window.due_at):
        return None
    return {"review": existing, "window": window}


def _left(target, holidays: frozenset) -> int | None:
    """Working days left to the publication target (negative when late); None once it is closed."""
    if target is None or target.state not in ("open", "paused"):
        return None
    today = timezone.localdate()
    if target.due_date >= today:
        return workdays.working_days_between(today, target.due_date, extra_holidays=holidays)
    return -workdays.working_days_between(target.due_date, today, extra_holidays=holidays)


STAFF_ACTIONS = {
    "submit": (services.report_submit_for_quality_review, "Sent to quality review."),
    "pass": (services.report_quality_review_pass, "Quality review passed."),
    "ready": (services.report_mark_ready_to_publish, "Ready to publish."),
    "publish": (services.report_publish, "Published: the report is on the location's public profile."),
    "respond": (services.report_start_responding, "You can now respond to each comment and amend the report."),
    "check": (services.report_send_for_independent_check, "Sent for an independent check of the responses."),
    "check-pass": (services.report_independent_check_pass, "Independent check passed: ready to publish."),
}


def _may_take_step(user, report, action: str, *, today) -> None:
    """Refuse a step the person may never take on this report: the provider's step is not found for staff and
    the staff's steps are not found for the provider; someone on the right side without the role is forbidden.
    Steps that are refused only for the report's state are left to the services, which say why."""
    is_staff_user = perms.is_regulator_staff(user)
    if action == "no-inaccuracies":
        if is_staff_user:
            raise Http404
        if not perms.can_act_as_registered_person(user, report, today=today)[0]:
            raise PermissionDenied("Only a registered person, or their delegate, can close the check.")
        return
    if not is_staff_user:
        raise Http404
    if action == "withdraw" and not perms.is_senior_staff(user):
        raise PermissionDenied("Only an operations manager or a more senior colleague can withdraw a report.")
    if action in ("check-pass", "check-return") and (
        perms.leads_assessment(user, report.assessment) or perms.is_on_assessment_team(user, report.assessment)
    ):
        raise PermissionDenied("The independent check must be done by someone who was not on the assessment team.")


@login_required
@require_POST
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    today = timezone.localdate()
    _may_take_step(request.user, report, action, today=today)
    comments = request.POST.get("comments", "")[:5000]
    try:
        if action in STAFF_ACTIONS:
            service, done = STAFF_ACTIONS[action]
            service(by=request.user, report=report)
        elif action == "return":
            services.report_quality_review_return(by=request.user, report=report, comments=comments)
            done = "Returned to drafting with your comments."
        elif action == "check-return":
            services.report_independent_check_return(by=request.user, report=report, comments=comments)
            done = "Returned to the assessment team with your comments."
        elif action == "withdraw":
            services.report_withdraw(
                by=request.user,
                report=report,
                reason=request.POST.get("reason", "")[:500],
                seen_state=request.POST.get("seen_state") or None,
            )
            done = "The report is withdrawn."
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


@login_required
def report_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """Every frozen version, and what changed between two of them, section by section."""
    report = get_object_or_404(reports_visible_to(request.user), pk=pk)
    versions = list(report.versions.order_by("number"))
    by_number = {v.number: v for v in versions}
    try:
        older = by_number[int(request.GET.get("from", ""))]
        newer = by_number[int(request.GET.get("to", ""))]
    except (KeyError, ValueError):
        older, newer = (versions[-2], versions[-1]) if len(versions) >= 2 else (None, None)
    changes = _compare(older.sections, newer.sections) if older and newer else []
    _record_access(request, report, "report versions")
    return render(
        request,
        "factual_accuracy/versions.html",
        {"report": report, "versions": versions, "older": older, "newer": newer, "changes": changes},
    )


def _compare(old: list[dict], new: list[dict]) -> list[dict]:
    """The sections that differ between two versions, with the old and new values and a word-level diff."""
    before = {s["key"]: s for s in old}
    changes = []
    for section in new:
        previous = before.pop(section["key"], None)
        if previous == section:
            continue
        fields = []
        for name, label in (("rating", "Rating"), ("score", "Score")):
            if previous is None or previous.get(name) != section.get(name):
                fields.append({"label": label, "old": previous and previous.get(name), "new": section.get(name)})
        words = []
        if previous is None or previous.get("body") != section.get("body"):
            old_words = (previous or {}).get("body", "").split()
            for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old_words, b=section["body"].split()).get_opcodes():
                if op in ("replace", "delete"):
                    words.append(("removed", " ".join(old_words[a1:a2])))
                if op in ("replace", "insert"):
                    words.append(("added", " ".join(section["body"].split()[b1:b2])))
                if op == "equal":
                    words.append(("same", " ".join(old_words[a1:a2])))
        changes.append({"title": section["title"], "added": previous is None, "fields": fields, "words": words})
    changes.extend({"title": s["title"], "removed": True, "fields": [], "words": []} for s in before.values())
    return changes


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """Staff: reports on their way to publication, with their age and whether they are on track."""
    if not perms.is_regulator_staff(request.user):
        raise Http404
    today = timezone.localdate()
    show = request.GET.get("show", "")
    if show not in ("", "at-risk", "late"):
        show = ""
    page = Paginator(selectors.reports_in_progress(show=show, today=today), 50).get_page(request.GET.get("page"))
    holidays = deadline_selectors.extra_holidays()
    for report in page.object_list:
        report.left = (
            None
            if report.target_due is None
            else workdays.working_days_between(today, report.target_due, extra_holidays=holidays)
            if report.target_due >= today
            else -workdays.working_days_between(report.target_due, today, extra_holidays=holidays)
        )
    return render(request, "factual_accuracy/report_list.html", {"page_obj": page, "show": show, "today": today})


def section_of(report, section_pk: int) -> ReportSection:
    return get_object_or_404(ReportSection.objects.select_related("statement"), pk=section_pk, report=report)
