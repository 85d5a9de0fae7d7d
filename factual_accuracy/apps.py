from django.apps import AppConfig


class FactualAccuracyConfig(AppConfig):
    """Draft reports and the 10-working-day factual accuracy check."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "factual_accuracy"

    def ready(self) -> None:
        # Registers the factual accuracy check's expiry handler with the clock.
        from factual_accuracy import services  # noqa: F401
