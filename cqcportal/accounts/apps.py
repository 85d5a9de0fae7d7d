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
        from django.db.models.signals import m2m_changed

        from cqcportal.accounts import lockout, session  # noqa: F401  (connect their signal receivers)
        from cqcportal.accounts.models import User
        from cqcportal.accounts.rules import forget_role_names

        m2m_changed.connect(forget_role_names, sender=User.groups.through, dispatch_uid="accounts.forget_role_names")

        # After every app's migrations, not only this one's: the roles name permissions of apps listed later
        # (register, assessments…), which exist only once those apps have migrated. The sync is idempotent.
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
