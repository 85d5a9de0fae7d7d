"""Queueing and sending e-mail notifications."""

from __future__ import annotations

import datetime
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import escape, urlize

from cqcportal.core.bulk import insert_rows
from cqcportal.notifications.models import Notification
from cqcportal.notifications.queueing import queue_after_commit


def notification_queue(
    *,
    subject: str,
    body: str,
    dedupe_key: str,
    recipient=None,
    to_email: str = "",
    html_body: str = "",
    link_url: str = "",
    kind: str = "",
    headers: dict | None = None,
) -> Notification:
    """Put a message in the recipient's inbox and queue its e-mail for after commit; a repeated key is a no-op.

    Either ``recipient`` (a user: inbox and e-mail) or ``to_email`` (a member of the public: e-mail only).
    """
    from cqcportal.notifications.tasks import notification_send_task

    address = to_email or (recipient.email if recipient is not None else "")
    if not address:
        raise ValueError("A notification needs a recipient or an e-mail address.")
    body = notification_body(body, link_url)
    html_body = html_body or text_to_html(body)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                to_email=address,
                subject=subject[:300],
                body=body,
                html_body=html_body,
                link_url=link_url,
                kind=kind,
                headers=headers or {},
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key)
    queue_after_commit(notification_send_task, notification_id=notification.pk)
    return notification


def notification_body(body: str, link_url: str) -> str:
    """The plain-text message as sent: the text, then the absolute link to the case in the portal."""
    if link_url and link_url.startswith("/"):
        return f"{body}\n\nOpen it in the portal: {settings.PORTAL_BASE_URL}{link_url}"
    return body


# E-mails queued per task by notifications_queue_many: a worker sends a chunk, and several workers share a sweep's.
SEND_CHUNK = 500


class NotificationDraft(NamedTuple):
    """One message for ``notifications_queue_many``: its body as sent (see ``notification_body``)."""

    recipient_id: int | None
    to_email: str
    subject: str
    body: str
    link_url: str
    kind: str
    dedupe_key: str


_DRAFT_FIELDS = [
    *NotificationDraft._fields,
    "html_body",
    "headers",
    "created_at",
    "attempts",
    "last_error",
]


def notifications_queue_many(drafts: list[NotificationDraft]) -> list[int]:
    """Put many messages in inboxes with one insert and queue their e-mails after commit, a chunk per task; returns
    the new notifications' ids.

    For set-based work (the deadline sweep), whose caller has made sure every ``dedupe_key`` is new (a repeated one
    fails the insert, and the caller's transaction with it). The HTML part is written from the plain text when the
    e-mail is sent, off the caller's transaction.
    """
    from cqcportal.notifications.tasks import notifications_send_many_task

    now = timezone.now()
    rows = [(*draft[:2], draft.subject[:300], *draft[3:], "", {}, now, 0, "") for draft in drafts]
    ids = insert_rows(Notification, _DRAFT_FIELDS, rows, with_ids=True)
    for start in range(0, len(ids), SEND_CHUNK):
        queue_after_commit(notifications_send_many_task, id_ranges=id_runs(ids[start : start + SEND_CHUNK]))
    return ids


def id_runs(ids: list[int]) -> list[list[int]]:
    """Ids as runs of consecutive ids, ``[[first, last], ...]``: a small message however long the chunk (Celery
    writes a copy of a task's arguments into every message's headers)."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def text_to_html(text: str) -> str:
    """A plain HTML version of a plain-text message: escaped paragraphs with links made clickable."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return "".join(f"<p>{urlize(escape(p)).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def notification_mark_read(*, by, notification: Notification) -> None:
    """Mark one of the user's own inbox items read (once; later calls keep the first time)."""
    Notification.objects.filter(pk=notification.pk, recipient=by, read_at__isnull=True).update(read_at=timezone.now())


class NotificationCannotBeSent(Exception):
    """The mail server refused or failed; the task retries with back-off."""


def notification_send(*, notification_id: int) -> bool:
    """Send a queued e-mail unless it has gone already; True if this call sent it.

    :raises NotificationCannotBeSent: when the mail server fails (the error is recorded on the row).
    """
    with transaction.atomic():
        # The row lock makes two workers that got the same message send it once.
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.sent_at is not None or notification.attempts >= MAX_ATTEMPTS:
            return False
        try:
            message = EmailMultiAlternatives(
                subject=notification.subject,
                body=notification.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notification.to_email],
                headers=notification.headers or None,
            )
            # Set-based senders (the sweep) leave the HTML to be written here, from the plain text.
            message.attach_alternative(notification.html_body or text_to_html(notification.body), "text/html")
            message.send()
        except Exception as exc:  # a mail server fails in many ways; all are recorded and retried
            error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            now = timezone.now()
            Notification.objects.filter(pk=notification.pk).update(
                sent_at=now, attempts=F("attempts") + 1, last_attempt_at=now, last_error=""
            )
            return True
    Notification.objects.filter(pk=notification_id).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now(), last_error=error
    )
    raise NotificationCannotBeSent(error)


MAX_ATTEMPTS = 8


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long after a failed attempt the next one is due: 2, 4, 8 ... minutes, at most an hour."""
    return datetime.timedelta(minutes=min(2**attempts, 60))


def notifications_requeue_unsent(*, older_than_seconds: int = 120) -> int:
    """Queue every e-mail that is due a (re)try: never tried after a while (a lost message, a broker outage), or
    failed and past its back-off. The only retry mechanism, so an outage never multiplies attempts.
    """
    from cqcportal.notifications.tasks import notification_send_task

    now = timezone.now()
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    candidates = (
        Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(last_attempt_at__isnull=True, created_at__lt=cutoff) | Q(last_attempt_at__lt=now - retry_delay(1)))
        .order_by("created_at")
        .values_list("pk", "attempts", "last_attempt_at")[:1000]
    )
    due = [pk for pk, attempts, last in candidates if last is None or last <= now - retry_delay(attempts)]
    for pk in due:
        notification_send_task.apply_async(kwargs={"notification_id": pk}, ignore_result=True)
    return len(due)
