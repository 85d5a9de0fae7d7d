"""Every periodic job of the portal, declared in one place and synced into django-celery-beat.

Admin staff see these in Django admin (Periodic tasks) and may change the timing or switch one off;
a later migrate only adds what is missing and never overrides their changes.
"""

from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class Schedule:
    task: str
    description: str
    every_seconds: int | None = None
    # crontab fields in Europe/London, e.g. {"minute": "0", "hour": "7", "day_of_week": "1"}
    crontab: dict | None = None


SCHEDULES: dict[str, Schedule] = {
    "Deadline sweep": Schedule(
        task="deadlines.sweep",
        every_seconds=60,
        description="Sends reminders, closes windows whose deadline has passed and escalates missed targets. "
        "It works from the database, so after an outage it catches up on everything due, once.",
    ),
    "Re-send e-mails left unsent": Schedule(
        task="notifications.requeue_unsent",
        every_seconds=120,
        description="Queues again any e-mail that a lost message or an outage left unsent.",
    ),
    "Send the weekly e-mail alerts": Schedule(
        task="alerts.send_weekly_digests",
        crontab={"minute": "0", "hour": "7", "day_of_week": "1"},
        description="Mondays at 07:00: e-mails each confirmed subscriber the past week's inspections and reports.",
    ),
}


def schedules_sync() -> None:
    """Create the periodic tasks that do not exist yet; leave existing ones as admin staff set them."""
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    with transaction.atomic():
        existing = set(PeriodicTask.objects.filter(name__in=SCHEDULES).values_list("name", flat=True))
        for name, schedule in SCHEDULES.items():
            if name in existing:
                continue
            timing = {}
            if schedule.every_seconds is not None:
                timing["interval"], _ = IntervalSchedule.objects.get_or_create(
                    every=schedule.every_seconds, period=IntervalSchedule.SECONDS
                )
            else:
                fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
                timing["crontab"], _ = CrontabSchedule.objects.get_or_create(
                    **(fields | schedule.crontab), timezone=settings.TIME_ZONE
                )
            PeriodicTask.objects.create(name=name, task=schedule.task, description=schedule.description, **timing)
