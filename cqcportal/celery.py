"""The Celery application: the portal's clock (reminders, sweeps, e-mail) runs on its workers."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqcportal.settings")

app = Celery("cqcportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
