from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_schedules(sender, **kwargs) -> None:
    from cqcportal.core.schedules import schedules_sync

    schedules_sync()


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cqcportal.core"
    label = "core"
    verbose_name = "Portal"

    def ready(self) -> None:
        # django_celery_beat's tables exist only after migrate, so the schedules are synced then.
        post_migrate.connect(_sync_schedules, sender=self, dispatch_uid="core.sync_schedules")
