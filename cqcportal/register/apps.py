from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_catalogue(sender, **kwargs) -> None:
    from cqcportal.register.catalogue import catalogue_sync

    catalogue_sync()


class RegisterConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cqcportal.register"
    label = "register"

    def ready(self) -> None:
        # Reference data is also loaded by a data migration; syncing after migrate restores it after a
        # database flush (as transactional tests do) without overriding admin staff's edits.
        post_migrate.connect(_sync_catalogue, sender=self, dispatch_uid="register.sync_catalogue")
