import pytest
from django_celery_beat.models import PeriodicTask

from cqcportal.celery import app
from cqcportal.core.schedules import SCHEDULES, schedules_sync


@pytest.mark.django_db
def test_schedules_are_in_the_database_after_migrate_and_name_real_tasks():
    app.loader.import_default_modules()
    for name, schedule in SCHEDULES.items():
        periodic = PeriodicTask.objects.get(name=name)
        assert periodic.task == schedule.task and periodic.enabled
        if schedule.every_seconds:
            assert periodic.interval.every == schedule.every_seconds
        else:
            assert periodic.crontab.hour == schedule.crontab.get("hour", "*")
        assert schedule.task in app.tasks, f"{schedule.task} is not a registered Celery task"


@pytest.mark.django_db
def test_schedules_sync_keeps_what_admin_staff_changed():
    name = next(iter(SCHEDULES))
    PeriodicTask.objects.filter(name=name).update(enabled=False)
    schedules_sync()
    assert PeriodicTask.objects.get(name=name).enabled is False
    assert PeriodicTask.objects.filter(name=name).count() == 1
