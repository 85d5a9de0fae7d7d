from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    # Permissions are created by post_migrate too, so groups can only be filled after them.
    from cqcportal.accounts.roles import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cqcportal.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from cqcportal.accounts import lockout, session  # noqa: F401  (connect their signal receivers)

        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="accounts.sync_roles")
