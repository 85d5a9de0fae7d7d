"""Pages for information requests: staff send and review; providers answer before the deadline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments import selectors, services
from assessments.forms import ExtendForm, InformationRequestForm, InformationResponseForm, PauseForm
from cqcportal.accounts import rules as perms
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.services import DeadlineCannotChange, deadline_extend, deadline_pause, deadline_resume


@login_required
def information_request_new(request: HttpRequest, location_pk: int) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    location = get_object_or_404(perms.locations_visible_to(request.user).select_related("provider"), pk=location_pk)
    form = InformationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        info = services.information_request_send(
            by=request.user, location=location, questions=form.cleaned_data["questions"], today=timezone.localdate()
        )
        messages.success(request, f"Request sent to {location.provider.name}.")
        return redirect("assessments:information-request", pk=info.pk)
    return render(request, "assessments/information_request_new.html", {"location": location, "form": form})


@login_required
def information_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    info = get_object_or_404(selectors.information_requests_visible_to(request.user), pk=pk)
    form = InformationResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.information_request_submit(
                by=request.user, request=info, response=form.cleaned_data["response"], today=timezone.localdate()
            )
        except services.InformationRequestCannotSubmit as exc:
            form.add_error("response", str(exc))
        else:
            messages.success(request, "Your response has been sent. We have e-mailed you a copy.")
            return redirect("assessments:information-request", pk=info.pk)
    deadlines = deadline_selectors.deadlines_for_case(info).order_by("pk")
    return render(
        request,
        "assessments/information_request_detail.html",
        {
            "info": info,
            "form": form,
            "deadlines": deadlines,
            "window": next((d for d in deadlines if d.kind == info.window_kind), None),
            "is_staff_user": perms.is_regulator_staff(request.user),
            "can_answer": perms.can_act_as_registered_person(request.user, info, today=timezone.localdate())[0],
            "pause_form": PauseForm(),
            "extend_form": ExtendForm(),
        },
    )


@login_required
@require_POST
def information_request_review(request: HttpRequest, pk: int) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    info = get_object_or_404(selectors.information_requests_visible_to(request.user), pk=pk)
    try:
        services.information_request_review(by=request.user, request=info)
    except services.InformationRequestCannotReview as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Marked as reviewed.")
    return redirect("assessments:information-request", pk=info.pk)


def _staff_window(request: HttpRequest, pk: int):
    if not perms.is_regulator_staff(request.user):
        raise Http404
    info = get_object_or_404(selectors.information_requests_visible_to(request.user), pk=pk)
    window = deadline_selectors.deadlines_for_case(info).filter(kind=info.window_kind).last()
    if window is None:
        raise Http404
    return info, window


@login_required
@require_POST
def information_request_clock(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    info, window = _staff_window(request, pk)
    today = timezone.localdate()
    try:
        if action == "pause":
            form = PauseForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the reason for stopping the clock (up to 500 characters).")
                return redirect("assessments:information-request", pk=info.pk)
            deadline_pause(deadline=window, by=request.user, reason=form.cleaned_data["reason"], today=today)
            messages.success(request, "The clock has stopped. The provider has been told.")
        elif action == "resume":
            resumed = deadline_resume(deadline=window, by=request.user, today=today)
            messages.success(request, f"The clock has restarted; the new due date is {resumed.due_date:%-d %B %Y}.")
        elif action == "extend":
            form = ExtendForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Enter the new date like 27/3/2027 and a reason.")
                return redirect("assessments:information-request", pk=info.pk)
            extended = deadline_extend(
                deadline=window,
                by=request.user,
                new_due_date=form.cleaned_data["new_due_date"],
                reason=form.cleaned_data["reason"],
                today=today,
            )
            messages.success(request, f"Extended to {extended.due_date:%-d %B %Y}. The provider has been told.")
        else:
            raise Http404
    except DeadlineCannotChange as exc:
        messages.error(request, str(exc))
    return redirect("assessments:information-request", pk=info.pk)
