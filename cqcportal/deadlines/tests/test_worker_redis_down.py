"""Redis is down: the provider's response is still accepted at once, and the e-mails follow once it is back.

A private redis-server is stopped under the running portal (this process's Celery app has live
connections to it), the provider submits through the real view, and then Redis and a real worker
come back and the periodic tasks catch up.
"""

import collections
import datetime
import time

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import InformationRequest, InformationRequestState
from assessments.services import information_request_send
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.tasks import deadlines_sweep_task
from cqcportal.notifications.models import Notification
from cqcportal.notifications.tasks import notifications_requeue_unsent_task
from cqcportal.tests.processes import (
    CeleryWorker,
    RedisServer,
    celery_app_using,
    emailed,
    require_services,
    wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SUBMIT_SECONDS_AT_MOST = 2.0  # the page must not hang retrying a dead broker


@pytest.fixture
def redis_server(django_db_setup, tmp_path):
    """A private Redis, running, that this process's Celery app uses for the test (the test may stop it)."""
    require_services()
    with RedisServer(tmp_path / "redis") as server, celery_app_using(server):
        yield server


def _age_unsent_notifications() -> None:
    # notifications.requeue_unsent takes no arguments: it re-queues what has been unsent for 120 s.
    # Age the unsent rows instead of waiting, so the real periodic task runs as beat would run it.
    Notification.objects.filter(sent_at__isnull=True).update(
        created_at=timezone.now() - datetime.timedelta(seconds=121)
    )


def _request_information(inspector, location) -> InformationRequest:
    with transaction.atomic():
        return information_request_send(
            by=inspector, location=location, questions="Your staffing rota, please.", today=timezone.localdate()
        )


def _url(request: InformationRequest) -> str:
    return reverse("assessments:information-request", args=[request.pk])


def test_worker_redis_down_provider_submits_then_sweep_catches_up(
    redis_server, tmp_path, client, inspector, location, provider_user
):
    request = _request_information(inspector, location)
    # Its e-mail is on the queue, with no worker yet: the outage loses it.
    assert wait_for(lambda: redis_server.queue_length() == 1, timeout=10)
    redis_server.stop()
    assert not redis_server.is_up()

    client.force_login(provider_user)
    started = time.perf_counter()
    response = client.post(_url(request), {"response": "Our staffing rota is attached."})
    submit_seconds = time.perf_counter() - started
    print(f"\nsubmitted with Redis down in {submit_seconds * 1000:.0f} ms")

    assert response.status_code == 302
    assert response.url == _url(request)
    assert submit_seconds < SUBMIT_SECONDS_AT_MOST
    assert "Your response has been sent" in client.get(_url(request)).content.decode()
    assert InformationRequest.objects.get(pk=request.pk).state == InformationRequestState.SUBMITTED
    window = Deadline.objects.get(object_id=str(request.pk), kind=Kind.PROVIDER_INFORMATION_REQUEST)
    assert (window.state, window.met_on_time) == (DeadlineState.MET, True)
    target = Deadline.objects.get(object_id=str(request.pk), kind=Kind.RESPONSE_TARGET)
    assert (target.state, target.owner, target.binds) == (DeadlineState.OPEN, inspector, "staff")
    assert set(Notification.objects.values_list("kind", "to_email")) == {
        ("information_request.sent", provider_user.email),
        ("information_request.submitted", inspector.email),
        ("information_request.copy", provider_user.email),
    }
    assert not Notification.objects.filter(sent_at__isnull=False).exists()

    # Redis comes back, empty; so does a worker. The periodic tasks catch up, as beat would run them.
    redis_server.start()
    worker = CeleryWorker(redis_server=redis_server, directory=tmp_path)
    try:
        worker.start()
        _age_unsent_notifications()
        assert notifications_requeue_unsent_task.delay().get(timeout=30) == 3
        assert deadlines_sweep_task.delay().get(timeout=60)["processed"] == 0
        worker.finish_queued()
        assert wait_for(lambda: not Notification.objects.filter(sent_at__isnull=True).exists(), timeout=30)
        # Beat's next round of both sends nothing more.
        _age_unsent_notifications()
        assert notifications_requeue_unsent_task.delay().get(timeout=30) == 0
        assert deadlines_sweep_task.delay().get(timeout=60)["processed"] == 0
        worker.finish_queued()
    finally:
        worker.stop()

    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    emails = emailed(worker.mail_dir)
    assert emails == collections.Counter(Notification.objects.values_list("subject", "to_email"))
    assert sum(emails.values()) == 3


def test_worker_redis_down_second_submission_is_quick_too(redis_server, client, inspector, location, provider_user):
    requests = [_request_information(inspector, location) for _ in range(2)]
    redis_server.stop()
    client.force_login(provider_user)
    seconds = []
    for request in requests:
        started = time.perf_counter()
        response = client.post(_url(request), {"response": "Our staffing rota is attached."})
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 302
    print(f"\ntwo submissions with Redis down: {', '.join(f'{s:.2f} s' for s in seconds)}")
    assert max(seconds) < SUBMIT_SECONDS_AT_MOST


def test_worker_redis_down_provider_is_emailed_the_copy_the_page_promises(
    redis_server, client, inspector, location, provider_user
):
    request = _request_information(inspector, location)
    client.force_login(provider_user)
    page = client.post(_url(request), {"response": "Our staffing rota is attached."}, follow=True).content.decode()
    promised = "We have e-mailed you a copy" in page
    copies = Notification.objects.filter(recipient=provider_user).exclude(kind="information_request.sent")
    assert not promised or copies.exists()
