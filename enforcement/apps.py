from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    """Notices, representations, appeals and special measures."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "enforcement"

    def ready(self):
        # An open challenge to enforcement (representations being considered, or an appeal) pauses rating reviews.
        from assessments.review_services import register_pause_source
        from enforcement.services import open_challenge_reasons

        register_pause_source(open_challenge_reasons)
