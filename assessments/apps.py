from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    """Assessments, quality statement scores and the ratings engine (built by a later issue)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"
