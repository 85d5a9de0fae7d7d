"""Reads for complaints about the regulator: the staff list and page, and why reviews at a location are paused."""

from __future__ import annotations

import datetime

from django.db.models import CharField, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from cqcportal import workdays
from cqcportal.complaints.models import Complaint, ComplaintState
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import LIVE_STATES, Deadline
from cqcportal.register.models import Location


def open_complaint_reasons(location_id: int) -> list[str]:
    """Why rating reviews at the location must pause: one sentence for each open complaint about it.

    The words name no complainant, since they may be shown beside a review the provider can see.
    """
    received = (
        Complaint.objects.filter(location_id=location_id, state=ComplaintState.OPEN)
        .order_by("received_date", "pk")
        .values_list("received_date", flat=True)
    )
    return [f"A complaint about the regulator received {day:%-d %B %Y} is open." for day in received]


def complaints_for_staff(*, show: str = "") -> QuerySet[Complaint]:
    """Complaints, open ones first (oldest received first), then closed ones (latest closed first).

    Each carries ``target_due``, the due date of its live target (None once closed). ``show`` is "open",
    "closed" or "" for both.
    """
    targets = Deadline.objects.filter(
        content_type__app_label="complaints",
        content_type__model="complaint",
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        state__in=LIVE_STATES,
    ).order_by("-pk")
    qs = (
        Complaint.objects.select_related("location")
        .annotate(target_due=Subquery(targets.values("due_date")[:1]))
        .order_by(F("closed_at").desc(nulls_first=True), "received_date", "pk")
    )
    if show == "open":
        qs = qs.filter(state=ComplaintState.OPEN)
    elif show == "closed":
        qs = qs.filter(state=ComplaintState.CLOSED)
    return qs


def complaint_for_staff(pk: int) -> Complaint | None:
    """One complaint with its location, provider and the people who acted on it, or None."""
    return (
        Complaint.objects.select_related("location", "provider", "recorded_by", "escalated_by", "closed_by")
        .filter(pk=pk)
        .first()
    )


def complaint_targets(complaint: Complaint) -> list[Deadline]:
    """The complaint's targets on the clock, first opened first: informal resolution, then any formal one."""
    return list(deadline_selectors.deadlines_for_case(complaint).order_by("pk"))


def location_by_register_id(cqc_id: str) -> Location | None:
    """The location with this register id (e.g. 1-123456789), or None."""
    return Location.objects.select_related("provider").filter(cqc_id=cqc_id.strip()).first()


def working_days_left(due_date: datetime.date, *, today: datetime.date, extra_holidays: frozenset) -> int:
    """Working days from today to the due date; negative when it has passed (the working days it is late by)."""
    if due_date >= today:
        return workdays.working_days_between(today, due_date, extra_holidays=extra_holidays)
    return -workdays.working_days_between(due_date, today, extra_holidays=extra_holidays)
