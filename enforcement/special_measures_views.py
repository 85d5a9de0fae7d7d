"""Staff pages for special measures and escalation: the list, a record with its outcome form, and a task.

Only regulator staff see these; anyone else is told the page is not found. The forms here only parse input (they
are small and used nowhere else); ``enforcement/special_measures.py`` decides what is allowed.
"""

from __future__ import annotations

import datetime
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cqcportal.accounts import rules as perms
from cqcportal.audit.selectors import audit_events_for
from cqcportal.deadlines import selectors as deadline_selectors
from enforcement import special_measures as services
from enforcement.models import EscalationTask, SpecialMeasures

LIST_PAGE_SIZE = 50  # each of the two lists on the page, paged on its own ("page" and "tasks")
LEAVE = "left_improved"
PROPOSE_CANCELLATION = "cancellation_proposed"
DATE_PARTS = ("day", "month", "year")


class OutcomeForm(forms.Form):
    choice = forms.ChoiceField(
        label="How has special measures ended?",
        choices=[
            (LEAVE, "The service has improved and leaves special measures"),
            (PROPOSE_CANCELLATION, "We propose to cancel the registration"),
        ],
        error_messages={"required": "Choose how special measures has ended."},
    )
    outcome = forms.CharField(
        label="Outcome",
        help_text="What the re-assessment found and what was decided. A notice of proposal is recorded as an "
        "enforcement action.",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the outcome."},
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label="What was decided",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter what was decided."},
    )


class MeetingDateForm(forms.Form):
    """The meeting date in three GOV.UK date boxes; ``cleaned_data["meeting_date"]`` joins them."""

    day = forms.CharField(label="Day", required=False)
    month = forms.CharField(label="Month", required=False)
    year = forms.CharField(label="Year", required=False)

    def clean(self):
        data = super().clean()
        parts = {name: (data.get(name) or "").strip() for name in DATE_PARTS}
        missing = [name for name, value in parts.items() if not value]
        if len(missing) == len(DATE_PARTS):
            self.add_error("day", "Enter the date of the meeting.")
            return data
        if missing:
            self.add_error(missing[0], f"The date of the meeting must include a {' and '.join(missing)}.")
            return data
        try:
            day, month, year = (int(parts[name]) for name in DATE_PARTS)
            if year < 1000:
                raise ValueError("the year must have four digits")
            data["meeting_date"] = datetime.date(year, month, day)
        except ValueError:
            self.add_error("day", "The date of the meeting must be a real date.")
        return data


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not perms.is_regulator_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _record_or_404(pk: int) -> SpecialMeasures:
    record = services.special_measures_for_staff(pk)
    if record is None:
        raise Http404
    return record


def _task_or_404(pk: int) -> EscalationTask:
    task = services.escalation_task_for_staff(pk)
    if task is None:
        raise Http404
    return task


@staff_only
def special_measures_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    records = Paginator(services.special_measures_open(), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    for record in records:
        record.days_left = services.calendar_days_left(record.review_by_date, today=today)
    tasks = Paginator(services.escalation_tasks_open(), LIST_PAGE_SIZE).get_page(request.GET.get("tasks"))
    return render(request, "enforcement/special_measures/list.html", {"records": records, "tasks": tasks})


def _detail(request: HttpRequest, record: SpecialMeasures, *, form: OutcomeForm) -> HttpResponse:
    return render(
        request,
        "enforcement/special_measures/detail.html",
        {
            "record": record,
            "form": form,
            "days_left": services.calendar_days_left(record.review_by_date, today=timezone.localdate()),
            "current_rating": services.current_overall_rating(record.location_id),
            "deadlines": list(deadline_selectors.deadlines_for_case(record).order_by("pk")),
            "events": audit_events_for(record)[:20],
        },
    )


@staff_only
def special_measures_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _record_or_404(pk), form=OutcomeForm())


@staff_only
@require_POST
def special_measures_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record_or_404(pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        service = (
            services.special_measures_leave
            if form.cleaned_data["choice"] == LEAVE
            else services.special_measures_propose_cancellation
        )
        try:
            service(by=request.user, record=record, outcome=form.cleaned_data["outcome"])
        except services.SpecialMeasuresCannotChange as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, "Outcome recorded.")
            return redirect("special_measures:detail", pk=record.pk)
    return _detail(request, record, form=form)


def _task_page(
    request: HttpRequest,
    task: EscalationTask,
    *,
    notes_form: NotesForm | None = None,
    date_form: MeetingDateForm | None = None,
) -> HttpResponse:
    form = notes_form or date_form  # the one with errors, for the error summary
    return render(
        request,
        "enforcement/special_measures/task.html",
        {
            "task": task,
            "form": form,
            "notes_form": notes_form or NotesForm(),
            "date_form": date_form or MeetingDateForm(),
            "events": audit_events_for(task)[:20],
        },
    )


@staff_only
def escalation_task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _task_or_404(pk))


@staff_only
@require_POST
def escalation_task_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    form = MeetingDateForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_task_meeting_schedule(
                by=request.user, task=task, meeting_date=form.cleaned_data["meeting_date"], today=timezone.localdate()
            )
        except services.SpecialMeasuresCannotChange as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, "Meeting scheduled.")
            return redirect("special_measures:task", pk=task.pk)
    return _task_page(request, task, date_form=form)


@staff_only
@require_POST
def escalation_task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Finish the task: a regulation 17 task is completed, a scheduled meeting is recorded."""
    task = _task_or_404(pk)
    form = NotesForm(request.POST)
    if form.is_valid():
        service = (
            services.escalation_task_meeting_record
            if task.kind == "management_review_meeting"
            else services.escalation_task_complete
        )
        try:
            service(by=request.user, task=task, notes=form.cleaned_data["notes"])
        except services.SpecialMeasuresCannotChange as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(request, "Task done.")
            return redirect("special_measures:task", pk=task.pk)
    return _task_page(request, task, notes_form=form)
