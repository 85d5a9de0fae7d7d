from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_framework(sender, **kwargs) -> None:
    from assessments.framework import framework_sync

    framework_sync()


class AssessmentsConfig(AppConfig):
    """Assessments: information requests, quality statement scores and the ratings engine."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self) -> None:
        # Registers the information request's expiry handler with the clock.
        from assessments import services  # noqa: F401

        # The framework is loaded by a data migration; syncing after migrate restores it after a flush.
        post_migrate.connect(_sync_framework, sender=self, dispatch_uid="assessments.sync_framework")
