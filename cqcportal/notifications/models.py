"""Outgoing e-mail as data: queued in the transaction that decided it, sent once by a worker."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One e-mail to one person. ``dedupe_key`` makes a reminder that is queued twice go out once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="notif_unsent")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"
