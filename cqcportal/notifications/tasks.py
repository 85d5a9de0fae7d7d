"""Celery tasks for e-mail: thin wrappers round the services."""

from celery import shared_task

from cqcportal.notifications.services import notification_send, notifications_requeue_unsent


@shared_task(
    name="notifications.send",
    # No autoretry here: the periodic requeue is the one retry mechanism (with back-off from the row's
    # attempts), so a mail outage never multiplies attempts. Failures are recorded on the row.
    acks_late=True,  # safe: notification_send does its work at most once per notification
)
def notification_send_task(*, notification_id: int) -> bool:
    return notification_send(notification_id=notification_id)


@shared_task(name="notifications.ping")
def ping(*, value: str) -> str:
    """Answers at once; used by health checks and by the test that proves a worker is listening."""
    return f"pong: {value}"


@shared_task(name="notifications.requeue_unsent")
def notifications_requeue_unsent_task() -> int:
    """Periodic catch-up: e-mails that a lost message or an outage left unsent are queued again."""
    return notifications_requeue_unsent()
