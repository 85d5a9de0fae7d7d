"""Tasks go through a real Celery worker process on the real broker (Redis in `make test`)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import notification_queue
from cqcportal.notifications.tasks import notification_send_task, ping
from cqcportal.tests.factories import StaffFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)


def _require_redis():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        if os.environ.get("CQC_REQUIRE_SERVICES"):
            pytest.fail("CQC_REQUIRE_SERVICES is set but CELERY_BROKER_URL is not Redis")
        pytest.skip("needs Redis: run the suite with `make test`")


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    """A real `celery worker` process using the test database, sending e-mail into files in a temporary folder."""
    _require_redis()
    tmp_path = tmp_path_factory.mktemp("worker")
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cqcportal.test_settings",
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"filemail://{mail_dir}",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cqcportal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # The worker is ready when it answers a task through the broker and the result backend.
        assert ping.delay(value="ready").get(timeout=60) == "pong: ready"
        yield mail_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


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
