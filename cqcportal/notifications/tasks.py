"""Celery tasks for e-mail: thin wrappers round the services."""

from celery import shared_task

from cqcportal.notifications.services import NotificationCannotBeSent, notification_send, notifications_requeue_unsent


@shared_task(
    name="notifications.send",
    # No autoretry here: the periodic requeue is the one retry mechanism (with back-off from the row's
    # attempts), so a mail outage never multiplies attempts. Failures are recorded on the row.
    acks_late=True,  # safe: notification_send does its work at most once per notification
)
def notification_send_task(*, notification_id: int) -> bool:
    return notification_send(notification_id=notification_id)


@shared_task(name="notifications.send_many", acks_late=True)  # safe for the same reason as notifications.send
def notifications_send_many_task(*, notification_ids: list[int] = (), id_ranges: list[list[int]] = ()) -> int:
    """Send a chunk of queued e-mails (queued by set-based work such as the sweep); returns how many went.

    The chunk is given as runs of ids, ``[[first, last], ...]`` (both included; a sweep's ids are one run), or as a
    list of ids (messages queued before runs existed). A failure is recorded on its row and left to the periodic
    requeue, as for one e-mail; the rest still go.
    """
    ids = [*notification_ids, *(i for first, last in id_ranges for i in range(first, last + 1))]
    sent = 0
    for notification_id in ids:
        try:
            sent += notification_send(notification_id=notification_id)
        except NotificationCannotBeSent:
            continue
    return sent


@shared_task(name="notifications.ping")
def ping(*, value: str) -> str:
    """Answers at once; used by health checks and by the test that proves a worker is listening."""
    return f"pong: {value}"


@shared_task(name="notifications.requeue_unsent")
def notifications_requeue_unsent_task() -> int:
    """Periodic catch-up: e-mails that a lost message or an outage left unsent are queued again."""
    return notifications_requeue_unsent()
