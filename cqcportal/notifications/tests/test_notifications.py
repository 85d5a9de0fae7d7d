import pytest
from django.core import mail
from django.db import transaction

from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import (
    NotificationCannotBeSent,
    notification_queue,
    notification_send,
    text_to_html,
)


@pytest.mark.django_db
def test_notification_email_has_plain_text_and_html_with_absolute_link(inspector, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    with transaction.atomic():
        n = notification_queue(
            recipient=inspector, subject="Hello", body="Line one.\n\nSee <this>.", link_url="/inbox/", dedupe_key="k1"
        )
    assert notification_send(notification_id=n.pk) is True
    message = mail.outbox[0]
    assert "https://portal.example.org/inbox/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "&lt;this&gt;" in html
    assert '<a href="https://portal.example.org/inbox/"' in html
    # Sending again does nothing: the row says it went.
    assert notification_send(notification_id=n.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_notification_send_failure_is_recorded_for_admin_staff_and_retried_later(inspector, settings):
    settings.EMAIL_BACKEND = "cqcportal.notifications.tests.test_notifications.FailingBackend"
    with transaction.atomic():
        n = notification_queue(recipient=inspector, subject="S", body="B", dedupe_key="k2")
    with pytest.raises(NotificationCannotBeSent):
        notification_send(notification_id=n.pk)
    n = Notification.objects.get(pk=n.pk)
    assert (n.sent_at, n.attempts) == (None, 1)
    assert "SMTP is down" in n.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_send(notification_id=n.pk) is True
    n = Notification.objects.get(pk=n.pk)
    assert (n.attempts, n.last_error) == (2, "")


@pytest.mark.django_db
def test_notification_queue_needs_an_address():
    with pytest.raises(ValueError, match="recipient or an e-mail address"):
        notification_queue(subject="S", body="B", dedupe_key="k3")


def test_text_to_html_escapes_and_keeps_paragraphs():
    assert text_to_html("a & b\nc\n\nd") == "<p>a &amp; b<br>c</p><p>d</p>"


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP is down")


@pytest.mark.django_db
def test_requeue_retries_failed_emails_with_back_off_and_stops_at_the_cap(
    inspector, settings, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from cqcportal.notifications.services import MAX_ATTEMPTS, notifications_requeue_unsent

    settings.EMAIL_BACKEND = "cqcportal.notifications.tests.test_notifications.FailingBackend"
    with transaction.atomic():
        n = notification_queue(recipient=inspector, subject="S", body="B", dedupe_key="k-backoff")
    Notification.objects.filter(pk=n.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    with pytest.raises(NotificationCannotBeSent):
        notification_send(notification_id=n.pk)
    # Just failed (1 attempt): not due again until 2 minutes have passed.
    sent = []
    from cqcportal.notifications import tasks

    original = tasks.notification_send_task.apply_async
    tasks.notification_send_task.apply_async = lambda **kw: sent.append(kw)
    try:
        assert notifications_requeue_unsent() == 0
        Notification.objects.filter(pk=n.pk).update(last_attempt_at=timezone.now() - datetime.timedelta(minutes=3))
        assert notifications_requeue_unsent() == 1
        Notification.objects.filter(pk=n.pk).update(attempts=MAX_ATTEMPTS)
        assert notifications_requeue_unsent() == 0
        assert notification_send(notification_id=n.pk) is False
    finally:
        tasks.notification_send_task.apply_async = original


def test_id_runs_compress_consecutive_ids():
    from cqcportal.notifications.services import id_runs

    assert id_runs([]) == []
    assert id_runs([7]) == [[7, 7]]
    assert id_runs([3, 4, 5, 9, 10, 12]) == [[3, 5], [9, 10], [12, 12]]


@pytest.mark.django_db
def test_send_many_task_sends_every_id_of_its_runs_and_of_its_list_once(inspector):
    from cqcportal.notifications.services import NotificationDraft, id_runs, notifications_queue_many
    from cqcportal.notifications.tasks import notifications_send_many_task

    with transaction.atomic():
        ids = notifications_queue_many(
            [
                NotificationDraft(inspector.pk, inspector.email, f"Chunk {i}", "Body", "", "test", f"chunk-{i}")
                for i in range(5)
            ]
        )
    mail.outbox.clear()
    # Runs (as queued now) and a plain list (as queued before runs existed), overlapping: each e-mail goes once.
    sent = notifications_send_many_task(id_ranges=id_runs(ids[:4]), notification_ids=[ids[3], ids[4]])
    assert sent == 5
    assert sorted(message.subject for message in mail.outbox) == [f"Chunk {i}" for i in range(5)]
    assert Notification.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 5
