"""Enforcement pages: staff record, serve and decide; the provider makes representations within the window."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.models import Assessment, AssessmentState, KeyQuestionSlug
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_access_record
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.register.models import Location
from enforcement import services
from enforcement.forms import ActionForm, AppealOutcomeForm, DecisionForm, RepresentationForm
from enforcement.models import (
    REGULATION_KEY_QUESTION,
    ActionState,
    EnforcementAction,
    Regulation,
    Representation,
    RepresentationFile,
)


def actions_visible_to(user) -> QuerySet[EnforcementAction]:
    """Every action for staff; a provider user's own organisation's actions once served (not drafts)."""
    qs = EnforcementAction.objects.select_related("provider", "location", "decided_by")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id).exclude(state=ActionState.DRAFT)


def _representations_visible(user, action):
    qs = action.representations.select_related("regulated_activity", "submitted_by").prefetch_related("files")
    return qs.filter(submitted_at__isnull=False) if perms.is_regulator_staff(user) else qs


@login_required
def action_new(request: HttpRequest, location_pk: int) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    location = get_object_or_404(Location.objects.select_related("provider"), pk=location_pk)
    assessments = list(
        Assessment.objects.filter(location=location, state=AssessmentState.COMPLETED).order_by("-completed_at")[:20]
    )
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action = services.action_record(
                by=request.user,
                kind=form.cleaned_data["kind"],
                proposal=form.cleaned_data["proposal"],
                provider=location.provider,
                location=location,
                summary=form.cleaned_data["summary"],
                reason=form.cleaned_data["reason"],
                breaches=form.breaches(request.POST),
                assessment=next((a for a in assessments if str(a.pk) == request.POST.get("assessment")), None),
            )
        except services.EnforcementCannotChange as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Action recorded. Serve it when the notice has gone to the provider.")
            return redirect("enforcement:action", pk=action.pk)
    rows = [
        {
            "value": value,
            "label": label,
            "checked": value in (form["regulations"].value() or []),
            "kq": request.POST.get(f"kq-{value}") or REGULATION_KEY_QUESTION[value],
        }
        for value, label in Regulation.choices
    ]
    return render(
        request,
        "enforcement/new.html",
        {
            "location": location,
            "form": form,
            "rows": rows,
            "key_questions": KeyQuestionSlug.choices,
            "assessments": assessments,
            "chosen_assessment": request.POST.get("assessment", ""),
        },
        status=400 if form.errors else 200,
    )


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(actions_visible_to(request.user), pk=pk)
    is_staff_user = perms.is_regulator_staff(request.user)
    today = timezone.localdate()
    window = None
    if action.kind in services.WINDOW_KIND:
        window = deadline_selectors.deadlines_for_case(action).filter(kind=services.WINDOW_KIND[action.kind]).first()
    window_open = action.state == ActionState.SERVED and window is not None and timezone.now() <= window.due_at
    representations = list(_representations_visible(request.user, action))
    form = None
    if not is_staff_user and window_open:
        taken = {r.regulated_activity_id for r in representations}
        activities = (
            [a for a in action.location.regulated_activities.all() if a.pk not in taken] if action.location else []
        )
        form = RepresentationForm(activities=activities)
    if action.published_at is None:
        # Enforcement not yet published is confidential: every reading of it is in the audit log.
        audit_access_record(by=request.user, subject=action, document="unpublished enforcement action")
    return render(
        request,
        "enforcement/action.html",
        {
            "action": action,
            "breaches": list(action.breaches.all()),
            "deadlines": _with_days(deadline_selectors.deadlines_for_case(action).order_by("pk")),
            "window": window,
            "window_open": window_open,
            "representations": representations,
            "drafts": [r for r in representations if r.submitted_at is None],
            "form": form,
            "is_staff_user": is_staff_user,
            "can_send": not is_staff_user and perms.can_act_as_registered_person(request.user, action, today=today)[0],
            "unanswered": sum(1 for r in representations if r.submitted_at and not r.responded_at),
            "appeal": getattr(action, "appeal_record", None),
            "autosave_key": f"enf:{action.pk}",
        },
    )


def _with_days(deadlines) -> list:
    """Each deadline, and for the staff response target its working days used and left (shown on the case)."""
    from cqcportal import workdays
    from cqcportal.deadlines.rules import Kind

    holidays = deadline_selectors.extra_holidays()
    rows = list(deadlines)
    for d in rows:
        d.used_left = None
        if d.kind == Kind.REPRESENTATIONS_RESPONSE_TARGET:
            end = timezone.localdate(d.closed_at) if d.closed_at else timezone.localdate()
            used = workdays.working_days_between(d.start_date, end, extra_holidays=holidays)
            d.used_left = (used, d.rule_days - used)
    return rows


@login_required
@require_POST
def representation_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a draft representation (and its file); a refused file keeps the text and says why."""
    action = get_object_or_404(actions_visible_to(request.user), pk=pk)
    if perms.is_regulator_staff(request.user):
        raise Http404
    activities = list(action.location.regulated_activities.all()) if action.location else []
    form = RepresentationForm(request.POST, request.FILES, activities=activities)
    if not form.is_valid():
        messages.error(request, "Choose the regulated activity and write your representations.")
        return redirect("enforcement:action", pk=action.pk)
    activity = next(a for a in activities if a.pk == form.cleaned_data["regulated_activity"])
    try:
        row = services.representation_save(
            by=request.user, action=action, regulated_activity=activity, text=form.cleaned_data["text"]
        )
    except services.EnforcementCannotChange as exc:
        messages.error(request, f"{exc} What you wrote: {form.cleaned_data['text'][:2000]}")
        return redirect("enforcement:action", pk=action.pk)
    upload = form.cleaned_data.get("file")
    if upload:
        try:
            services.representation_file_add(by=request.user, representation=row, upload=upload)
        except (services.FileCannotUpload, services.EnforcementCannotChange) as exc:
            messages.warning(request, f"Your representations are saved, but the file was not uploaded: {exc}")
            return redirect("enforcement:action", pk=action.pk)
    messages.success(request, "Saved as a draft. A registered person or their delegate sends it.")
    return redirect("enforcement:action", pk=action.pk)


@login_required
def representation_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    action = get_object_or_404(actions_visible_to(request.user), pk=pk)
    visible = _representations_visible(request.user, action)
    item = get_object_or_404(RepresentationFile.objects.filter(representation__in=visible), pk=file_pk)
    audit_access_record(
        by=request.user,
        subject=action,
        document="representation file",
        action="enforcement.file.download",
        file=item.pk,
    )
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def action_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    action = get_object_or_404(actions_visible_to(request.user), pk=pk)
    today = timezone.localdate()
    post = request.POST
    try:
        if step == "send":
            if perms.is_regulator_staff(request.user):
                raise Http404
            if not perms.can_act_as_registered_person(request.user, action, today=today)[0]:
                raise PermissionDenied("Only a registered person, or their delegate, can send representations.")
            services.representations_submit(by=request.user, action=action, today=today)
            done = "Your representations have been sent. We aim to respond within 20 working days."
        elif not perms.is_regulator_staff(request.user):
            raise Http404
        elif step == "serve":
            services.action_serve(by=request.user, action=action, today=today)
            done = "Served: the provider has been told."
        elif step == "respond":
            row = get_object_or_404(Representation, pk=post.get("representation") or 0, action=action)
            services.representation_respond(
                by=request.user, representation=row, response=post.get("response", "")[:10000]
            )
            done = "Response saved."
        elif step == "decide":
            form = DecisionForm(post)
            if not form.is_valid():
                raise services.EnforcementCannotChange("Choose adopt or withdraw, and give the reason.")
            services.action_decide(
                by=request.user,
                action=action,
                adopt=form.cleaned_data["decision"] == "adopt",
                reason=form.cleaned_data["reason"],
                today=today,
            )
            done = "Decision recorded."
        elif step == "appeal":
            try:
                lodged = datetime.date.fromisoformat(post.get("lodged_on", ""))
            except ValueError:
                raise services.EnforcementCannotChange("Enter the date the appeal was lodged.") from None
            services.appeal_record(by=request.user, action=action, lodged_on=lodged, today=today)
            done = "Appeal recorded: the action is not published until the tribunal decides."
        elif step == "appeal-outcome":
            form = AppealOutcomeForm(post)
            if not form.is_valid():
                raise services.EnforcementCannotChange("Choose the tribunal's decision and its date.")
            services.appeal_outcome_record(
                by=request.user,
                action=action,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
                on=form.cleaned_data["on"],
            )
            done = "The tribunal's decision is recorded."
        else:
            raise Http404
    except services.EnforcementCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("enforcement:action", pk=action.pk)
