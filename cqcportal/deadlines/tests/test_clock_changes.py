"""Pausing, resuming, extending and new bank holidays, with the clock moved by time-machine."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from assessments.services import information_request_send
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineExtension, DeadlinePause, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import (
    DeadlineCannotChange,
    deadline_extend,
    deadline_pause,
    deadline_resume,
    extra_holiday_add,
)
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.notifications.models import Notification

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def window(inspector, location, provider_user):
    # Monday 1 March 2027: 15 working days → Monday 22 March 2027 (no holidays in between).
    with time_machine.travel(datetime.datetime(2027, 3, 1, 10, tzinfo=LONDON), tick=False), transaction.atomic():
        request = information_request_send(
            by=inspector, location=location, questions="Rota", today=timezone.localdate()
        )
    return Deadline.objects.get(object_id=str(request.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)


def _reload(deadline):
    return Deadline.objects.get(pk=deadline.pk)


@pytest.mark.django_db
def test_clock_window_opened_on_saturday_counts_from_monday(inspector, location):
    with time_machine.travel(datetime.datetime(2027, 3, 6, 10, tzinfo=LONDON), tick=False), transaction.atomic():
        request = information_request_send(by=inspector, location=location, questions="Q", today=timezone.localdate())
    deadline = Deadline.objects.get(object_id=str(request.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)
    # 15 working days from Monday 8 March, skipping Good Friday (26 March) and Easter Monday (29 March).
    assert deadline.due_date == datetime.date(2027, 3, 30)


@pytest.mark.django_db
def test_clock_pause_and_resume_adds_the_paused_working_days_back(window, inspector, provider_user):
    assert window.due_date == datetime.date(2027, 3, 22)
    paused = deadline_pause(
        deadline=window, by=inspector, reason="Provider's manager in hospital", today=datetime.date(2027, 3, 5)
    )
    assert (paused.state, paused.next_action_at) == (DeadlineState.PAUSED, None)
    # While paused the sweep does nothing, however long it waits.
    assert deadlines_sweep(now=datetime.datetime(2027, 4, 30, tzinfo=LONDON)).processed == 0
    # Resumed the next Friday: Mon-Fri = 5 working days are added back, and Easter is skipped.
    resumed = deadline_resume(deadline=_reload(window), by=inspector, today=datetime.date(2027, 3, 12))
    assert resumed.state == DeadlineState.OPEN
    assert resumed.paused_days == 5
    assert resumed.due_date == datetime.date(2027, 3, 31)
    assert "5 days added back" in resumed.explanation
    pause = DeadlinePause.objects.get(deadline=window)
    assert (pause.paused_on, pause.resumed_on, pause.days_added) == (
        datetime.date(2027, 3, 5),
        datetime.date(2027, 3, 12),
        5,
    )
    # The provider was told both times, and the audit trail has both changes.
    assert Notification.objects.filter(recipient=provider_user, kind="deadline.changed").count() == 2
    assert list(
        AuditEvent.objects.filter(object_id=str(window.pk), action__startswith="deadline.p").values_list(
            "action", flat=True
        )
    ) == ["deadline.pause"]
    assert AuditEvent.objects.filter(object_id=str(window.pk), action="deadline.resume").exists()


@pytest.mark.django_db
def test_clock_pause_twice_is_refused_with_a_plain_message(window, inspector):
    deadline_pause(deadline=window, by=inspector, reason="r", today=datetime.date(2027, 3, 5))
    with pytest.raises(DeadlineCannotChange, match="Only an open deadline can be paused"):
        deadline_pause(deadline=_reload(window), by=inspector, reason="r", today=datetime.date(2027, 3, 5))


@pytest.mark.django_db
def test_clock_extension_keeps_both_dates_with_who_and_why(window, inspector, provider_user):
    extended = deadline_extend(
        deadline=window,
        by=inspector,
        new_due_date=datetime.date(2027, 3, 31),
        reason="Flooding at the home",
        today=datetime.date(2027, 3, 10),
    )
    assert extended.due_date == datetime.date(2027, 3, 31)
    assert extended.original_due_date == datetime.date(2027, 3, 22)
    extension = DeadlineExtension.objects.get(deadline=window)
    assert (extension.from_due_date, extension.to_due_date, extension.extended_by, extension.days) == (
        datetime.date(2027, 3, 22),
        datetime.date(2027, 3, 31),
        inspector,
        5,
    )  # 5 working days: Good Friday and Easter Monday 2027 fall in between
    assert "Extended by 5 days" in extended.explanation
    # Reminders follow the new date: 5 working days before 31 March, across Easter, is 22 March.
    assert extended.next_action_at == datetime.datetime(2027, 3, 22, 8, tzinfo=LONDON)
    assert Notification.objects.filter(recipient=provider_user, body__contains="Flooding at the home").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new_date", "reason", "message"),
    [
        (datetime.date(2027, 3, 19), "x", "must be after 22 March 2027"),
        (datetime.date(2027, 3, 27), "x", "must be a working day"),
        (datetime.date(2027, 3, 31), "  ", "Give the reason"),
    ],
)
def test_clock_extension_bad_input_is_refused_and_nothing_changes(window, inspector, new_date, reason, message):
    with pytest.raises(DeadlineCannotChange, match=message):
        deadline_extend(
            deadline=window, by=inspector, new_due_date=new_date, reason=reason, today=datetime.date(2027, 3, 10)
        )
    assert _reload(window).due_date == datetime.date(2027, 3, 22)
    assert not DeadlineExtension.objects.exists()


@pytest.mark.django_db
def test_clock_new_one_off_holiday_moves_open_deadlines_and_tells_people(window, inspector, provider_user):
    untouched_before = Notification.objects.count()
    _, moved = extra_holiday_add(
        by=inspector, date=datetime.date(2027, 3, 15), name="Royal celebration", today=datetime.date(2027, 3, 2)
    )
    assert moved == 1
    recalculated = _reload(window)
    assert recalculated.due_date == datetime.date(2027, 3, 23)
    assert "Extra holiday (15 March 2027)" in recalculated.explanation or "Royal" in recalculated.explanation
    told = Notification.objects.filter(recipient=provider_user, kind="deadline.changed")
    assert told.count() == 1
    assert "23 March 2027" in told.get().body
    assert Notification.objects.count() > untouched_before


@pytest.mark.django_db
def test_clock_holiday_outside_the_window_moves_nothing(window, inspector):
    _, moved = extra_holiday_add(
        by=inspector, date=datetime.date(2027, 5, 3), name="Later", today=datetime.date(2027, 3, 2)
    )
    assert moved == 0
    assert _reload(window).due_date == datetime.date(2027, 3, 22)


@pytest.mark.django_db
def test_clock_moving_through_the_window_sends_reminders_then_closes(window, provider_user):
    # Reminders at 08:00 on 15 March (5 working days left) and 19 March (1 left); closed after 22 March.
    for moment, expected_reminders, state in [
        (datetime.datetime(2027, 3, 15, 7, 59, tzinfo=LONDON), 0, DeadlineState.OPEN),
        (datetime.datetime(2027, 3, 15, 8, 0, tzinfo=LONDON), 1, DeadlineState.OPEN),
        (datetime.datetime(2027, 3, 19, 8, 0, tzinfo=LONDON), 2, DeadlineState.OPEN),
        (datetime.datetime(2027, 3, 22, 23, 59, tzinfo=LONDON), 2, DeadlineState.OPEN),
        (datetime.datetime(2027, 3, 23, 0, 0, tzinfo=LONDON), 2, DeadlineState.MISSED),
    ]:
        with time_machine.travel(moment, tick=False):
            deadlines_sweep()
        assert (
            Notification.objects.filter(recipient=provider_user, kind="deadline.reminder").count() == expected_reminders
        )
        assert _reload(window).state == state


@pytest.mark.django_db
def test_clock_recalculate_command_changes_nothing_when_holidays_are_unchanged(window):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("deadlines_recalculate", stdout=out)
    assert "0 deadline(s) moved" in out.getvalue()
    assert _reload(window).due_date == datetime.date(2027, 3, 22)
