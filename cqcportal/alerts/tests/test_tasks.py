import datetime
import hashlib

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cqcportal.alerts.tasks import digests_send_weekly_task, last_week_start
from cqcportal.alerts.tests.factories import PublicEventFactory, SubscriptionFactory
from cqcportal.notifications.models import Notification


@pytest.mark.parametrize(
    ("today", "week_start"),
    [
        (datetime.date(2025, 3, 31), datetime.date(2025, 3, 24)),  # Monday: the week just ended
        (datetime.date(2025, 4, 1), datetime.date(2025, 3, 24)),  # a late run on Tuesday: still that week
        (datetime.date(2025, 4, 6), datetime.date(2025, 3, 24)),  # Sunday: the current week has not ended
        (datetime.date(2025, 1, 6), datetime.date(2024, 12, 30)),  # across a year end
    ],
)
def test_last_week_start_is_the_monday_of_the_last_whole_week(today, week_start):
    assert last_week_start(today) == week_start


@pytest.mark.django_db
def test_digests_send_weekly_task_sends_last_weeks_digest(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2025, 3, 31))
    subscription = SubscriptionFactory(email="ann@example.org")
    PublicEventFactory(
        location=subscription.location, occurred_at=datetime.datetime(2025, 3, 26, 10, 0, tzinfo=datetime.UTC)
    )
    assert digests_send_weekly_task() == 1
    assert (
        Notification.objects.get().dedupe_key
        == f"alerts.digest:{hashlib.sha256(b'ann@example.org').hexdigest()[:32]}:2025-03-24"
    )


@pytest.mark.django_db
def test_digests_send_weekly_task_is_scheduled_monday_seven_in_london():
    periodic = PeriodicTask.objects.get(task="alerts.send_weekly_digests")
    crontab = periodic.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "7", "1")
    assert str(crontab.timezone) == "Europe/London"
