from django.apps import AppConfig, apps
from django.db.backends.signals import connection_created
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
        from cqcportal.core.pg_types import use_iso_loader

        # Moments read from PostgreSQL by Python's C parser (cqcportal/core/pg_types.py).
        connection_created.connect(use_iso_loader, dispatch_uid="core.iso_timestamptz")
        # The schedules live in django_celery_beat's tables, so they are synced when that app has
        # migrated (this app has no models, and Django sends post_migrate only for apps with models).
        post_migrate.connect(
            _sync_schedules, sender=apps.get_app_config("django_celery_beat"), dispatch_uid="core.sync_schedules"
        )
