from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    """Complaints about the regulator: recorded, escalated and closed by staff; an open one pauses rating reviews."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "cqcportal.complaints"
    label = "complaints"

    def ready(self) -> None:
        # Rating reviews of a location are paused while any registered source gives a reason; an open complaint
        # about the regulator about that location is one.
        from assessments.review_services import register_pause_source
        from cqcportal.complaints.selectors import open_complaint_reasons

        register_pause_source(open_complaint_reasons)
