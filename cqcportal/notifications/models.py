"""Notifications as data: an in-portal inbox item and an e-mail, queued in the transaction that decided them."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One message to one person: shown in their portal inbox (if they have an account) and e-mailed once.

    ``dedupe_key`` is unique, so a reminder that is decided twice (two sweeps, a retried task) exists once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,  # notif_inbox (recipient, -created_at) serves every look-up by recipient
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField(help_text="Plain text.")
    html_body = models.TextField(blank=True)
    link_url = models.CharField(max_length=500, blank=True, help_text="The case this is about, for the inbox.")
    headers = models.JSONField(default=dict, blank=True, help_text="Extra e-mail headers, e.g. List-Unsubscribe.")
    kind = models.CharField(max_length=50, blank=True, help_text="e.g. deadline.reminder, alerts.digest")
    dedupe_key = models.CharField(max_length=200)  # unique: see Meta (a constraint, with no LIKE index beside it)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # unsent rows are found through notif_unsent
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="notif_unsent"),
            models.Index(fields=["recipient", "-created_at"], name="notif_inbox"),
            # Every signed-in page shows the unread count: proportional to what is unread, not to years of inbox.
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notif_unread"),
        ]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_once")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
