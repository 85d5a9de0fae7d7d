from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    """Notices, representations, appeals and special measures (built by a later issue)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enforcement"
