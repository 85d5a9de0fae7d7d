from django.apps import AppConfig


class FactualAccuracyConfig(AppConfig):
    """Draft reports and the 10-working-day factual accuracy check (built by a later issue)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "factual_accuracy"
