"""The audit trail: one row for every state change or significant act on a case or register record."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditEvent(models.Model):
    """Who did what to which record, when, from which state to which, and why.

    Written by services in the same transaction as the change it records (docs/adr/0004-audit.md).
    Rows are never updated or deleted by the portal.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_index=False,  # (actor, occurred_at) below serves look-ups by actor
        null=True,
        blank=True,
        related_name="audit_events",
        help_text="Empty when the portal itself acted, e.g. the deadline sweep.",
    )
    # Set when the actor acted as a delegate for a registered person: the person they stood in for.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events_on_behalf",
    )
    actor_description = models.CharField(
        max_length=300, help_text="The actor as they were at the time, e.g. 'Ann Lee (Inspector)' or 'System'."
    )
    # (content_type, object_id, occurred_at) below serves look-ups by content type.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    subject_description = models.CharField(max_length=300)
    # Lets a provider's users see the audit of their own organisation's records only.
    provider = models.ForeignKey(
        "register.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,  # (provider, occurred_at) below serves look-ups by provider
    )
    action = models.CharField(max_length=100, help_text="What happened, e.g. 'delegation.create'.")
    from_state = models.CharField(max_length=50, blank=True)
    to_state = models.CharField(max_length=50, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "occurred_at"]),
            models.Index(fields=["provider", "occurred_at"]),
            models.Index(fields=["actor", "occurred_at"]),
        ]
        constraints = [
            # Acting on behalf of someone needs someone acting.
            models.CheckConstraint(
                condition=models.Q(on_behalf_of__isnull=True) | models.Q(actor__isnull=False),
                name="audit_event_on_behalf_needs_actor",
            )
        ]

    def __str__(self) -> str:
        change = f" {self.from_state} → {self.to_state}" if self.from_state or self.to_state else ""
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_description}: {self.action}{change}"
