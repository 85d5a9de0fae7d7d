"""Every periodic job of the portal, declared in one place and synced into django-celery-beat.

Admin staff see these in Django admin (Periodic tasks) and may change the interval or switch one
off; a later migrate only adds what is missing and never overrides their changes.
"""

from django.db import transaction

# name: (task, every N seconds, description)
SCHEDULES: dict[str, tuple[str, int, str]] = {
    "Re-send e-mails left unsent": (
        "notifications.requeue_unsent",
        120,
        "Queues again any e-mail that a lost message or an outage left unsent.",
    ),
}


def schedules_sync() -> None:
    """Create the periodic tasks that do not exist yet; leave existing ones as admin staff set them."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    with transaction.atomic():
        for name, (task, seconds, description) in SCHEDULES.items():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
            PeriodicTask.objects.create(name=name, task=task, interval=interval, description=description)
