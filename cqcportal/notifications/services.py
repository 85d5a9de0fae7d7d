"""Queueing and sending e-mail notifications."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cqcportal.notifications.models import Notification


def notification_queue(*, recipient, subject: str, body: str, dedupe_key: str, to_email: str = "") -> Notification:
    """Queue one e-mail, sent by a worker after the surrounding transaction commits; a repeat key is a no-op."""
    from cqcportal.notifications.tasks import notification_send_task

    address = to_email or recipient.email
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, to_email=address, subject=subject, body=body, dedupe_key=dedupe_key
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key)
    notification_send_task.delay_on_commit(notification_id=notification.pk)
    return notification


class NotificationCannotBeSent(Exception):
    """The mail server refused or failed; the task retries with back-off."""


def notification_send(*, notification_id: int) -> bool:
    """Send a queued e-mail unless it has gone already; True if this call sent it.

    :raises NotificationCannotBeSent: when the mail server fails (the error is recorded on the row).
    """
    with transaction.atomic():
        # The row lock makes two workers that got the same message send it once.
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None:
            return False
        try:
            send_mail(
                subject=notification.subject,
                message=notification.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.to_email],
            )
        except Exception as exc:  # a mail server fails in many ways; all are recorded and retried
            error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            Notification.objects.filter(pk=notification.pk).update(
                sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
            return True
    Notification.objects.filter(pk=notification_id).update(attempts=F("attempts") + 1, last_error=error)
    raise NotificationCannotBeSent(error)


def notifications_requeue_unsent(*, older_than_seconds: int = 120, max_attempts: int = 8) -> int:
    """Queue again every e-mail still unsent after a while (a lost message, a broker outage); returns how many."""
    from cqcportal.notifications.tasks import notification_send_task

    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lt=cutoff, attempts__lt=max_attempts)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        notification_send_task.delay(notification_id=pk)
    return len(ids)
