"""Complaints about the regulator on the clock: record, move to formal investigation, close; who may; the audit."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cqcportal import workdays
from cqcportal.audit.models import AuditEvent
from cqcportal.complaints import services
from cqcportal.complaints.models import Complaint, ComplaintStage, ComplaintState
from cqcportal.complaints.services import (
    ComplaintCannotChange,
    complaint_close,
    complaint_escalate,
    complaint_record,
)
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.tests.factories import StaffFactory

LONDON = ZoneInfo("Europe/London")
RECEIVED = datetime.date(2026, 12, 24)  # a Thursday: Christmas, Boxing Day (moved to Monday) and New Year follow
ESCALATED = datetime.date(2026, 12, 31)
CLOSED = datetime.date(2027, 1, 5)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


@pytest.fixture
def pause_calls(monkeypatch):
    """The calls to the rating reviews' pause hook, instead of the hook."""
    calls = []
    monkeypatch.setattr(services, "rating_reviews_pause_recheck", lambda **kwargs: calls.append(kwargs))
    return calls


def _record(by, location, *, received=RECEIVED, today=RECEIVED, **kwargs) -> Complaint:
    return complaint_record(
        by=by,
        location=location,
        complainant=kwargs.get("complainant", "Ann Smith"),
        about=kwargs.get("about", "The inspector did not speak to the registered manager."),
        received_date=received,
        today=today,
    )


@pytest.mark.django_db
def test_complaint_record_opens_a_seven_working_day_target_across_christmas(inspector, location, pause_calls):
    with time_machine.travel(at(RECEIVED), tick=False):
        complaint = _record(inspector, location)
    assert complaint.state == ComplaintState.OPEN and complaint.stage == ComplaintStage.INFORMAL
    assert complaint.provider == location.provider
    target = Deadline.objects.get()
    assert target.kind == Kind.COMPLAINT_INFORMAL and target.state == DeadlineState.OPEN
    assert target.start_date == RECEIVED and target.owner == inspector and target.location == location
    # 25 Dec, 28 Dec (Boxing Day's substitute) and 1 Jan are bank holidays: the 7th working day is Thursday 7 January.
    assert target.due_date == workdays.add_working_days(RECEIVED, 7) == datetime.date(2027, 1, 7)
    assert target.case_url == f"/complaints/{complaint.pk}/"
    event = AuditEvent.objects.get(action="complaint.record")
    assert event.actor == inspector and event.to_state == "open" and event.object_id == str(complaint.pk)
    assert pause_calls == [{"location_id": location.pk, "by": inspector, "today": RECEIVED}]


@pytest.mark.django_db
def test_complaint_record_about_no_location_pauses_nothing(inspector, pause_calls):
    complaint = _record(inspector, None)
    assert complaint.location is None and complaint.provider is None
    assert Deadline.objects.get().location is None
    assert pause_calls == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"complainant": "  "}, "complainant", "Enter the name"),
        ({"complainant": "x" * 201}, "complainant", "200 characters or fewer"),
        ({"about": ""}, "about", "Enter what the complaint is about"),
        ({"received": RECEIVED + datetime.timedelta(days=1)}, "date", "today or in the past"),
    ],
)
def test_complaint_record_refuses_missing_details_and_writes_nothing(inspector, location, kwargs, field, message):
    with pytest.raises(ComplaintCannotChange, match=message) as refused:
        _record(inspector, location, **kwargs)
    assert refused.value.field == field
    assert not Complaint.objects.exists() and not Deadline.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_complaint_services_refuse_provider_users(inspector, location, provider_user, pause_calls):
    with pytest.raises(ComplaintCannotChange, match="Only the regulator's staff"):
        _record(provider_user, location)
    complaint = _record(inspector, location)
    with pytest.raises(ComplaintCannotChange, match="Only the regulator's staff"):
        complaint_escalate(by=provider_user, complaint=complaint, today=RECEIVED)
    with pytest.raises(ComplaintCannotChange, match="Only the regulator's staff"):
        complaint_close(by=provider_user, complaint=complaint, outcome="Resolved", today=RECEIVED)
    complaint = Complaint.objects.get()
    assert complaint.state == ComplaintState.OPEN and complaint.stage == ComplaintStage.INFORMAL
    assert list(AuditEvent.objects.filter(actor=provider_user)) == []


@pytest.mark.django_db
def test_complaint_escalate_cancels_the_informal_target_and_starts_thirty_working_days(
    inspector, location, pause_calls
):
    complaint = _record(inspector, location)
    with time_machine.travel(at(ESCALATED), tick=False):
        complaint = complaint_escalate(by=StaffFactory(), complaint=complaint, today=ESCALATED)
    assert complaint.stage == ComplaintStage.FORMAL and complaint.state == ComplaintState.OPEN
    assert complaint.escalated_at == at(ESCALATED)
    informal = Deadline.objects.get(kind=Kind.COMPLAINT_INFORMAL)
    formal = Deadline.objects.get(kind=Kind.COMPLAINT_FORMAL)
    assert informal.state == DeadlineState.CANCELLED
    assert formal.state == DeadlineState.OPEN and formal.start_date == ESCALATED
    assert formal.due_date == workdays.add_working_days(ESCALATED, 30) == datetime.date(2027, 2, 12)
    # The target stays with whoever held the informal one.
    assert formal.owner == inspector
    event = AuditEvent.objects.get(action="complaint.escalate")
    assert (event.from_state, event.to_state) == ("informal", "formal")
    assert AuditEvent.objects.filter(action="deadline.cancel", object_id=str(informal.pk)).exists()
    # The complaint is still open, so nothing about the reviews changes.
    assert len(pause_calls) == 1
    with pytest.raises(ComplaintCannotChange, match="already under formal investigation"):
        complaint_escalate(by=inspector, complaint=complaint, today=ESCALATED)
    assert Deadline.objects.filter(kind=Kind.COMPLAINT_FORMAL).count() == 1


@pytest.mark.django_db
def test_complaint_close_needs_an_outcome(inspector, location, pause_calls):
    complaint = _record(inspector, location)
    with pytest.raises(ComplaintCannotChange, match="Enter the outcome") as refused:
        complaint_close(by=inspector, complaint=complaint, outcome="   ", today=CLOSED)
    assert refused.value.field == "outcome"
    assert Complaint.objects.get().state == ComplaintState.OPEN
    assert Deadline.objects.get().state == DeadlineState.OPEN
    assert len(pause_calls) == 1


@pytest.mark.django_db
def test_complaint_close_meets_the_live_target_audits_and_lets_reviews_resume(inspector, location, pause_calls):
    complaint = _record(inspector, location)
    with time_machine.travel(at(CLOSED), tick=False):
        complaint = complaint_close(
            by=inspector, complaint=complaint, outcome="  Apologised; the manager was spoken to.  ", today=CLOSED
        )
    assert complaint.state == ComplaintState.CLOSED
    assert complaint.outcome == "Apologised; the manager was spoken to."
    assert complaint.closed_by == inspector and complaint.closed_at == at(CLOSED)
    target = Deadline.objects.get()
    assert target.state == DeadlineState.MET and target.met_on_time is True
    event = AuditEvent.objects.get(action="complaint.close")
    assert (event.from_state, event.to_state, event.reason) == ("open", "closed", complaint.outcome)
    assert AuditEvent.objects.filter(action="deadline.met").exists()
    assert pause_calls[-1] == {"location_id": location.pk, "by": inspector, "today": CLOSED}
    with pytest.raises(ComplaintCannotChange, match="closed already"):
        complaint_close(by=inspector, complaint=complaint, outcome="Again", today=CLOSED)
    with pytest.raises(ComplaintCannotChange, match="This complaint is closed"):
        complaint_escalate(by=inspector, complaint=complaint, today=CLOSED)


@pytest.mark.django_db
def test_complaint_close_after_formal_investigation_meets_the_formal_target_late(inspector, location, pause_calls):
    complaint = _record(inspector, location)
    complaint_escalate(by=inspector, complaint=complaint, today=ESCALATED)
    late = datetime.date(2027, 2, 15)  # the working day after the formal target of 12 February
    with time_machine.travel(at(late), tick=False):
        complaint_close(by=inspector, complaint=complaint, outcome="Upheld in part.", today=late)
    formal = Deadline.objects.get(kind=Kind.COMPLAINT_FORMAL)
    assert formal.state == DeadlineState.MET and formal.met_on_time is False
    assert Deadline.objects.get(kind=Kind.COMPLAINT_INFORMAL).state == DeadlineState.CANCELLED


@pytest.mark.django_db
def test_complaint_record_rolls_back_when_the_pause_hook_fails(inspector, location, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the reviews could not be paused")

    monkeypatch.setattr(services, "rating_reviews_pause_recheck", broken)
    with pytest.raises(RuntimeError):
        _record(inspector, location)
    assert not Complaint.objects.exists() and not Deadline.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_complaint_constraints_pair_closed_fields_with_state(inspector, location, pause_calls):
    from django.db import IntegrityError, transaction

    complaint = _record(inspector, location)
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(state="closed", outcome="Done")
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(stage="formal")
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(provider=None)
