"""Celery tasks for e-mail alerts: thin wrappers round the services."""

import datetime

from celery import shared_task
from django.utils import timezone

from cqcportal.alerts.services import digests_send_weekly


def last_week_start(today: datetime.date) -> datetime.date:
    """The Monday of the latest whole week before ``today`` (on a Monday, the Monday a week ago)."""
    return today - datetime.timedelta(days=today.weekday() + 7)


@shared_task(
    name="alerts.send_weekly_digests",
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=60 * 30,
    max_retries=5,
    acks_late=True,  # safe: an address gets one digest a week however often this runs
)
def digests_send_weekly_task() -> int:
    return digests_send_weekly(week_start=last_week_start(timezone.localdate()))
