"""Complaints about the regulator: who complained, about what, when, the stage it is at, and how it ended."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition


class ComplaintStage(models.TextChoices):
    INFORMAL = "informal", "Informal resolution"
    FORMAL = "formal", "Formal investigation"


class ComplaintState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


def _is_informal(complaint: "Complaint") -> bool:
    return complaint.stage == ComplaintStage.INFORMAL


class Complaint(models.Model):
    """A complaint about the regulator. While one about a location is open, that location's rating reviews pause.

    Transitions only change fields in memory; services own the lock, the audit, the clock and the pause hook.
    """

    # Optional: a complaint need not be about one location, and then it pauses nothing.
    location = models.ForeignKey(
        "register.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_about_regulator",
    )
    provider = models.ForeignKey(
        "register.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_about_regulator",
        help_text="The location's provider, filled from the location.",
    )
    complainant = models.CharField(max_length=200, help_text="Who complained.")
    about = models.TextField(help_text="What the complaint is about.")
    received_date = models.DateField()
    stage = models.CharField(max_length=10, choices=ComplaintStage.choices, default=ComplaintStage.INFORMAL)
    state = FSMField(default=ComplaintState.OPEN, choices=ComplaintState.choices, protected=True)
    outcome = models.TextField(blank=True, help_text="How the complaint ended; required to close it.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_date", "-pk"]
        indexes = [
            # The pause check: open complaints about one location.
            models.Index(fields=["location", "state"]),
            models.Index(fields=["state", "received_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="open", closed_at__isnull=True, closed_by__isnull=True)
                | models.Q(state="closed", closed_at__isnull=False, closed_by__isnull=False),
                name="complaint_closed_pair_iff_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(state="open") | ~models.Q(outcome=""),
                name="complaint_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(stage="informal", escalated_at__isnull=True, escalated_by__isnull=True)
                | models.Q(stage="formal", escalated_at__isnull=False, escalated_by__isnull=False),
                name="complaint_escalated_pair_iff_formal",
            ),
            models.CheckConstraint(
                condition=models.Q(location__isnull=True) | models.Q(provider__isnull=False),
                name="complaint_location_has_provider",
            ),
        ]

    def __str__(self) -> str:
        where = f" about {self.location.name}" if self.location_id else ""
        return f"Complaint received {self.received_date:%-d %b %Y}{where} ({self.get_state_display().lower()})"

    @transition(field=state, source=ComplaintState.OPEN, target=ComplaintState.OPEN, conditions=[_is_informal])
    def escalate(self, *, by, at):
        self.stage = ComplaintStage.FORMAL
        self.escalated_by, self.escalated_at = by, at

    @transition(field=state, source=ComplaintState.OPEN, target=ComplaintState.CLOSED)
    def close(self, *, outcome, by, at):
        self.outcome = outcome
        self.closed_by, self.closed_at = by, at
