"""Tasks go through a real Celery worker process on real Redis (a private redis-server) and the test database."""

import time

import pytest
from django.db import transaction

from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import notification_queue
from cqcportal.notifications.tasks import notification_send_task, ping
from cqcportal.tests.factories import StaffFactory
from cqcportal.tests.processes import CeleryWorker, RedisServer, celery_app_using, require_services, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """A real `celery worker` process using the test database, sending e-mail into files in a temporary folder."""
    require_services()
    tmp_path = tmp_path_factory.mktemp("worker")
    with (
        RedisServer(tmp_path / "redis") as redis_server,
        celery_app_using(redis_server),
        CeleryWorker(redis_server=redis_server, directory=tmp_path) as celery_worker,
    ):
        yield celery_worker.mail_dir


def _wait_for(predicate, timeout=30.0):
    return wait_for(predicate, timeout=timeout, interval=0.2)


def test_worker_round_trip_returns_result(worker):
    assert ping.delay(value="hello").get(timeout=30) == "pong: hello"


def test_worker_sends_queued_email_after_commit_once(worker):
    person = StaffFactory(email="round.trip@regulator.example")
    with transaction.atomic():
        notification = notification_queue(
            recipient=person, subject="Round trip", body="Sent by a real worker.", dedupe_key="round-trip-1"
        )
        # Nothing leaves before the decision commits.
        time.sleep(0.5)
        assert "Round trip" not in "".join(f.read_text() for f in worker.glob("*.log"))
    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).sent_at is not None)
    # A duplicate delivery of the same task (as after a worker crash with acks_late) sends nothing more.
    notification_send_task.delay(notification_id=notification.pk).get(timeout=30)
    notification.refresh_from_db()
    assert notification.attempts == 1
    files = list(worker.glob("*.log"))
    contents = "".join(f.read_text() for f in files)
    assert contents.count("Subject: Round trip") == 1
    assert "round.trip@regulator.example" in contents


def test_notification_queue_same_key_twice_queues_once(worker):
    person = StaffFactory()
    with transaction.atomic():
        first = notification_queue(recipient=person, subject="Once", body="b", dedupe_key="dup-1")
        second = notification_queue(recipient=person, subject="Once", body="b", dedupe_key="dup-1")
    assert first.pk == second.pk
    assert Notification.objects.filter(dedupe_key="dup-1").count() == 1
    # Let the worker finish before the test database is emptied for the next test.
    assert _wait_for(lambda: Notification.objects.get(pk=first.pk).sent_at is not None)


def test_worker_sends_a_set_based_chunk_queued_as_runs_of_ids(worker):
    from cqcportal.notifications.services import NotificationDraft, notifications_queue_many

    person = StaffFactory(email="chunk.person@regulator.example")
    with transaction.atomic():
        ids = notifications_queue_many(
            [
                NotificationDraft(person.pk, person.email, f"Chunked {i}", "Body", "", "test", f"chunked-{i}")
                for i in range(3)
            ]
        )
    assert _wait_for(lambda: Notification.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 3)
    contents = "".join(f.read_text() for f in worker.glob("*.log"))
    assert all(contents.count(f"Subject: Chunked {i}") == 1 for i in range(3))
