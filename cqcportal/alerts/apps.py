from django.apps import AppConfig


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cqcportal.alerts"
    label = "alerts"
    verbose_name = "E-mail alerts"
