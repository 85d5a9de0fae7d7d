"""Staff pages for complaints about the regulator: the list, recording one, and its page with escalate and close.

Only regulator staff see these; anyone else is told the page is not found.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cqcportal.accounts import rules as perms
from cqcportal.audit.selectors import audit_events_for
from cqcportal.complaints import selectors, services
from cqcportal.complaints.forms import ComplaintForm, OutcomeForm
from cqcportal.complaints.models import Complaint
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import LIVE_STATES

# The form field each of the service's messages belongs to.
SERVICE_FIELDS = {"complainant": "complainant", "about": "about", "date": "received_day", "outcome": "outcome"}


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not perms.is_regulator_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _complaint_or_404(pk: int) -> Complaint:
    complaint = selectors.complaint_for_staff(pk)
    if complaint is None:
        raise Http404
    return complaint


@staff_only
def complaint_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    if show not in ("", "open", "closed"):
        show = ""
    today = timezone.localdate()
    page = Paginator(selectors.complaints_for_staff(show=show), 50).get_page(request.GET.get("page"))
    holidays = deadline_selectors.extra_holidays()
    for complaint in page.object_list:
        complaint.days_left = (
            None
            if complaint.target_due is None
            else selectors.working_days_left(complaint.target_due, today=today, extra_holidays=holidays)
        )
    return render(request, "complaints/list.html", {"page_obj": page, "show": show})


@staff_only
def complaint_new(request: HttpRequest) -> HttpResponse:
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        register_id = form.cleaned_data["location"].strip()
        location = selectors.location_by_register_id(register_id) if register_id else None
        if register_id and location is None:
            form.add_error("location", "No location has that register id. Check the id on the register.")
        else:
            try:
                complaint = services.complaint_record(
                    by=request.user,
                    location=location,
                    complainant=form.cleaned_data["complainant"],
                    about=form.cleaned_data["about"],
                    received_date=form.cleaned_data["received_date"],
                    today=timezone.localdate(),
                )
            except services.ComplaintCannotChange as exc:
                form.add_error(SERVICE_FIELDS.get(exc.field), str(exc))
            else:
                messages.success(request, "Complaint recorded: the 7-working-day informal resolution target starts.")
                return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/new.html", {"form": form})


def _detail(request: HttpRequest, complaint: Complaint, *, outcome_form: OutcomeForm) -> HttpResponse:
    targets = selectors.complaint_targets(complaint)
    live = next((t for t in reversed(targets) if t.state in LIVE_STATES), None)
    days_left = (
        selectors.working_days_left(
            live.due_date, today=timezone.localdate(), extra_holidays=deadline_selectors.extra_holidays()
        )
        if live is not None
        else None
    )
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "form": outcome_form,
            "targets": targets,
            "live": live,
            "days_left": days_left,
            "events": audit_events_for(complaint)[:20],
        },
    )


@staff_only
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _complaint_or_404(pk), outcome_form=OutcomeForm())


@staff_only
@require_POST
def complaint_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint_or_404(pk)
    try:
        services.complaint_escalate(by=request.user, complaint=complaint, today=timezone.localdate())
    except services.ComplaintCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Moved to formal investigation: the 30-working-day target starts today.")
    return redirect("complaints:detail", pk=complaint.pk)


@staff_only
@require_POST
def complaint_close(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint_or_404(pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_close(
                by=request.user, complaint=complaint, outcome=form.cleaned_data["outcome"], today=timezone.localdate()
            )
        except services.ComplaintCannotChange as exc:
            form.add_error(SERVICE_FIELDS.get(exc.field), str(exc))
        else:
            messages.success(request, "Complaint closed with its outcome.")
            return redirect("complaints:detail", pk=complaint.pk)
    return _detail(request, complaint, outcome_form=form)
