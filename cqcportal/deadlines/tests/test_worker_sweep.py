"""The sweep run by a real Celery worker on real Redis and PostgreSQL: once, and without loss when killed.

The in-process rules are in test_sweep.py; here the task goes through the broker to a worker process,
which sends the e-mails it decides into files, so duplicates and losses are counted where they would
show: in the database and in what was sent.
"""

import collections
import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from assessments.models import InformationRequest, InformationRequestState
from assessments.services import information_request_send
from cqcportal.accounts.models import ProviderRole
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState, DeadlineStep
from cqcportal.deadlines.rules import RULES, Kind, due_date_for, working_days_before
from cqcportal.deadlines.services import deadline_open
from cqcportal.deadlines.tasks import deadlines_sweep_task
from cqcportal.notifications.models import Notification
from cqcportal.notifications.tasks import notifications_requeue_unsent_task
from cqcportal.tests.factories import LocationFactory, ProviderFactory, ProviderUserFactory
from cqcportal.tests.processes import (
    CeleryWorker,
    RedisServer,
    celery_app_using,
    emailed,
    require_services,
    wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

LONDON = ZoneInfo("Europe/London")
PIR = RULES[Kind.PROVIDER_INFORMATION_REQUEST]


@pytest.fixture
def redis_server(django_db_setup, tmp_path):
    """A private Redis that this process's Celery app uses for the test."""
    require_services()
    with RedisServer(tmp_path / "redis") as server, celery_app_using(server):
        yield server


def _sent_pairs() -> collections.Counter:
    return collections.Counter(
        (n.subject, n.to_email) for n in Notification.objects.only("subject", "to_email").iterator()
    )


def _all_sent() -> bool:
    return not Notification.objects.filter(sent_at__isnull=True).exists()


def _two_minutes_pass_for_unsent_emails() -> None:
    # notifications.requeue_unsent takes no arguments: it re-queues what has been unsent for 120 s.
    # Age the unsent rows instead of waiting, so the real periodic task runs as beat would run it.
    unsent = Notification.objects.filter(sent_at__isnull=True)
    unsent.update(created_at=timezone.now() - datetime.timedelta(seconds=121))


def test_worker_sweep_closes_due_window_once(redis_server, tmp_path, inspector, location, provider_user):
    sent_on = timezone.localdate() - datetime.timedelta(days=40)
    with CeleryWorker(redis_server=redis_server, directory=tmp_path) as worker:
        with transaction.atomic():
            request = information_request_send(
                by=inspector,
                location=location,
                questions="Your staffing rota, please.",
                today=sent_on,
                now=datetime.datetime.combine(sent_on, datetime.time(10), tzinfo=LONDON),
            )
        first = deadlines_sweep_task.delay().get(timeout=60)
        second = deadlines_sweep_task.delay().get(timeout=60)
        worker.finish_queued()
        assert wait_for(_all_sent, timeout=30)

    assert first == {"processed": 1, "reminders": 0, "closed": 1, "escalated": 0, "notifications": 2, "failed": 0}
    assert second == {"processed": 0, "reminders": 0, "closed": 0, "escalated": 0, "notifications": 0, "failed": 0}
    assert InformationRequest.objects.get(pk=request.pk).state == InformationRequestState.CLOSED_NO_RESPONSE
    window = Deadline.objects.get(object_id=str(request.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)
    assert (window.state, window.next_action_at) == (DeadlineState.MISSED, None)
    steps = sorted(DeadlineStep.objects.filter(deadline=window).values_list("step", "skipped"))
    assert steps == [("close", False), ("reminder:1", True), ("reminder:5", True)]
    assert AuditEvent.objects.filter(action="information_request.close_no_response").count() == 1
    # The request's own e-mail to the manager, then the close to the manager and to the inspector.
    kinds = collections.Counter(Notification.objects.values_list("kind", "recipient"))
    assert kinds == {
        ("information_request.sent", provider_user.pk): 1,
        ("deadline.closed", provider_user.pk): 1,
        ("deadline.closed", inspector.pk): 1,
    }
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    emails = emailed(worker.mail_dir)
    assert sum(emails.values()) == 3
    assert emails == _sent_pairs()


# --- killed mid-sweep --------------------------------------------------------------------------------------

# Most of the time is the worker sending e-mails (about 20 ms each, into files). 600 deadlines keeps the services
# tests within their time while still killing mid-way through hundreds.
DEADLINES = 600
# The sweep commits a batch at a time; small batches here, so that the kill lands between commits.
BATCH = {"DEADLINE_SWEEP_BATCH_SIZE": "20"}
REMINDER_EVERY = 2  # every other deadline has only its first reminder due; the others are past their close
LOCATIONS = 12


def _london_8am(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(8), tzinfo=LONDON)


def _start_date_with_first_reminder_due(now: datetime.datetime) -> datetime.date:
    """A start date whose window's 5-day reminder is due now and whose 1-day reminder is hours away."""
    today = now.astimezone(LONDON).date()
    for days_back in range(60):
        start = today - datetime.timedelta(days=days_back)
        due = due_date_for(PIR, start)
        first, last = working_days_before(due, 5), working_days_before(due, 1)
        if _london_8am(first) <= now and now + datetime.timedelta(hours=1) < _london_8am(last):
            return start
    raise AssertionError("no start date found")  # pragma: no cover


def _many_due_windows(*, inspector, now: datetime.datetime) -> tuple[list[int], list[int]]:
    """Open DEADLINES information request windows at LOCATIONS locations; returns (reminder ids, close ids)."""
    provider = ProviderFactory()
    locations = LocationFactory.create_batch(LOCATIONS, provider=provider)
    for location in locations:
        ProviderUserFactory(
            membership__provider=provider,
            membership__role=ProviderRole.REGISTERED_MANAGER,
            membership__locations=[location],
        )
    requests = InformationRequest.objects.bulk_create(
        InformationRequest(
            location=locations[i % LOCATIONS],
            provider=provider,
            questions=f"Question {i}",
            requested_by=inspector,
            requested_at=now,
        )
        for i in range(DEADLINES)
    )
    start_dates = {
        "reminder": _start_date_with_first_reminder_due(now),
        "close": now.astimezone(LONDON).date() - datetime.timedelta(days=60),
    }
    opened = {"reminder": [], "close": []}
    with transaction.atomic():
        # deadline_open works out each of the two windows once; the other rows are copies of its row
        # for other cases (the only fields that differ), so that setting up stays within a second or two.
        templates = {}
        copies = []
        for i, request in enumerate(requests):
            which = "reminder" if i % REMINDER_EVERY == 0 else "close"
            case = {
                # Unique, so each e-mail has its own subject and a duplicate shows.
                "case_description": f"Information request {request.pk} for {request.location.name}",
                "case_url": f"/assessments/information-requests/{request.pk}/",
                "location": request.location,
            }
            if which not in templates:
                templates[which] = deadline_open(
                    case=request,
                    kind=Kind.PROVIDER_INFORMATION_REQUEST,
                    start_date=start_dates[which],
                    owner=inspector,
                    by=inspector,
                    **case,
                )
                opened[which].append(templates[which].pk)
                continue
            template = templates[which]
            copy = Deadline(
                **{name: getattr(template, name) for name in TEMPLATE_FIELDS}, object_id=str(request.pk), **case
            )
            copies.append((which, copy))
        Deadline.objects.bulk_create([copy for _, copy in copies], batch_size=500)
    for which, copy in copies:
        opened[which].append(copy.pk)
    return opened["reminder"], opened["close"]


TEMPLATE_FIELDS = [
    "kind",
    "binds",
    "unit",
    "rule_days",
    "content_type",
    "provider",
    "owner",
    "team",
    "start_date",
    "original_due_date",
    "due_date",
    "due_at",
    "explanation",
    "next_action_at",
]


def test_worker_killed_mid_sweep_finishes_without_loss_or_duplicate(redis_server, tmp_path, inspector):
    started = time.monotonic()
    reminders, closes = _many_due_windows(inspector=inspector, now=timezone.now())
    setup_seconds = time.monotonic() - started
    # A due reminder: one ledger row and one e-mail to the manager. A passed close: both reminders
    # recorded as passed over, the close, and e-mails to the manager and to the inspector who asked.
    expected_steps = len(reminders) + 3 * len(closes)
    expected_notifications = len(reminders) + 2 * len(closes)

    first_worker = CeleryWorker(redis_server=redis_server, directory=tmp_path, env=BATCH)
    second_worker = CeleryWorker(
        redis_server=redis_server, directory=tmp_path, mail_dir=first_worker.mail_dir, env=BATCH
    )
    try:
        first_worker.start()
        queued_at = time.monotonic()
        deadlines_sweep_task.delay()
        # Kill the worker (the solo pool runs the task in its own pid) once a share of the work has committed.
        assert wait_for(lambda: DeadlineStep.objects.count() >= expected_steps // 4, timeout=60, interval=0.02)
        first_worker.kill()
        kill_seconds = time.monotonic() - queued_at
        steps_at_kill = DeadlineStep.objects.count()
        deadlines_done_at_kill = DeadlineStep.objects.values("deadline").distinct().count()
        notifications_at_kill = Notification.objects.count()
        sent_at_kill = Notification.objects.filter(sent_at__isnull=False).count()
        assert 0 < steps_at_kill < expected_steps

        restarted_at = time.monotonic()
        second_worker.start()
        result = deadlines_sweep_task.delay().get(timeout=120)
        second_worker.finish_queued()
        unsent_after_sweep = Notification.objects.filter(sent_at__isnull=True).count()
        _two_minutes_pass_for_unsent_emails()
        requeued = notifications_requeue_unsent_task.delay().get(timeout=30)
        second_worker.finish_queued()
        assert wait_for(_all_sent, timeout=60)
        again = deadlines_sweep_task.delay().get(timeout=60)
        second_worker.finish_queued()
        finish_seconds = time.monotonic() - restarted_at
    finally:
        first_worker.stop()
        second_worker.stop()

    print(
        f"\n{DEADLINES} deadlines ({len(reminders)} reminders, {len(closes)} closes), setup {setup_seconds:.1f} s; "
        f"killed after {kill_seconds:.1f} s with {steps_at_kill}/{expected_steps} ledger rows "
        f"({deadlines_done_at_kill} deadlines), {notifications_at_kill} notifications of which {sent_at_kill} sent; "
        f"the restarted sweep processed {result['processed']}, {unsent_after_sweep} e-mails unsent after it, "
        f"requeue queued {requeued}; restart to all sent {finish_seconds:.1f} s"
    )
    assert result["failed"] == 0
    assert result["processed"] == DEADLINES - deadlines_done_at_kill
    assert again["processed"] == 0
    # Every deadline exactly once: its ledger rows, its state, its case.
    assert DeadlineStep.objects.count() == expected_steps
    steps = collections.Counter(DeadlineStep.objects.values_list("deadline", "step", "skipped"))
    assert set(steps.values()) == {1}
    assert {d for d, step, skipped in steps if step == "reminder:5" and not skipped} == set(reminders)
    assert {d for d, step, skipped in steps if step == "close"} == set(closes)
    assert Deadline.objects.filter(pk__in=closes, state=DeadlineState.MISSED).count() == len(closes)
    assert Deadline.objects.filter(pk__in=reminders, state=DeadlineState.OPEN).count() == len(reminders)
    assert InformationRequest.objects.filter(state=InformationRequestState.CLOSED_NO_RESPONSE).count() == len(closes)
    assert AuditEvent.objects.filter(action="deadline.missed").count() == len(closes)
    # Every notification exactly once, in the inbox and sent.
    assert Notification.objects.count() == expected_notifications
    assert Notification.objects.filter(kind="deadline.reminder").count() == len(reminders)
    assert Notification.objects.filter(kind="deadline.closed").count() == 2 * len(closes)
    assert _all_sent()
    emails = emailed(first_worker.mail_dir)
    assert sum(emails.values()) == expected_notifications
    assert max(emails.values()) == 1
    assert emails == _sent_pairs()
