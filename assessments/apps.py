from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    """Assessments: information requests now; quality statement scores and the ratings engine (issue 4)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "assessments"

    def ready(self) -> None:
        # Registers the information request's expiry handler with the clock.
        from assessments import services  # noqa: F401
