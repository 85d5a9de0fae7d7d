"""Deadlines as data: every window and target of every flow, kept by one sweep (docs/adr/0006-the-clock.md)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm import FSMField, transition

from cqcportal.deadlines.rules import Binds, Kind, Unit


class DeadlineState(models.TextChoices):
    OPEN = "open", "Open"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


LIVE_STATES = (DeadlineState.OPEN, DeadlineState.PAUSED)


# A kind's label, looked up directly: the sweep describes thousands of deadlines in its audit events, and Django's
# get_FOO_display flattens the choices on every call.
KIND_LABELS = {k.value: k.value.replace("_", " ") for k in Kind}


class Deadline(models.Model):
    """A window that binds a provider, or a target that binds staff, on one case."""

    kind = models.CharField(max_length=50, choices=list(KIND_LABELS.items()))
    binds = models.CharField(max_length=10, choices=[(b.value, b.value) for b in Binds])
    unit = models.CharField(max_length=20, choices=[(u.value, u.value.replace("_", " ")) for u in Unit])
    rule_days = models.PositiveIntegerField()
    # The case: whatever record the window belongs to (an information request, a report, a notice).
    # The (content_type, object_id) index below serves look-ups by content type; a second index would slow writes.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)
    object_id = models.CharField(max_length=64)
    case = GenericForeignKey("content_type", "object_id")
    case_description = models.CharField(max_length=300)
    case_url = models.CharField(max_length=500, blank=True)
    provider = models.ForeignKey(
        "register.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        db_index=False,  # (provider, state) below serves look-ups by provider
    )
    location = models.ForeignKey(
        "register.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="deadlines"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines_owned",
        help_text="The member of staff a target binds.",
        db_index=False,  # (owner, state) below serves look-ups by owner
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    start_date = models.DateField()
    paused_days = models.PositiveIntegerField(default=0, help_text="Days added back for pauses, in the rule's unit.")
    extension_days = models.PositiveIntegerField(default=0, help_text="Days added by extensions, in the rule's unit.")
    original_due_date = models.DateField()
    due_date = models.DateField()
    # End of the due date in Europe/London; the window closes after this instant.
    due_at = models.DateTimeField()
    explanation = models.TextField(help_text="How the due date was worked out, shown to the people it binds.")

    state = FSMField(default=DeadlineState.OPEN, choices=DeadlineState.choices, protected=True)
    paused_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    met_on_time = models.BooleanField(null=True, blank=True)
    # When the sweep next has something to do (a reminder, the close); empty once nothing is left.
    next_action_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            # The sweep's only query: open deadlines whose next action is due. Partial, so it stays small.
            models.Index(fields=["next_action_at"], condition=models.Q(state="open"), name="deadline_sweep"),
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["state", "due_date"]),
            models.Index(fields=["provider", "state"]),
            models.Index(fields=["owner", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=models.Q(state__in=["open", "paused"]),
                name="deadline_one_live_per_case_and_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("start_date")), name="deadline_due_not_before_start"
            ),
            models.CheckConstraint(
                condition=models.Q(state="paused", paused_on__isnull=False)
                | (~models.Q(state="paused") & models.Q(paused_on__isnull=True)),
                name="deadline_paused_on_iff_paused",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["open", "paused"], closed_at__isnull=True)
                | (models.Q(state__in=["met", "missed", "cancelled"]) & models.Q(closed_at__isnull=False)),
                name="deadline_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        label = KIND_LABELS.get(self.kind, self.kind)
        return f"{label.capitalize()} – {self.case_description} – due {self.due_date:%-d %b %Y}"

    # Transitions only change fields in memory; services own the transaction, the audit and the side effects.
    @transition(field=state, source=DeadlineState.OPEN, target=DeadlineState.PAUSED)
    def pause(self, *, on):
        self.paused_on = on

    @transition(field=state, source=DeadlineState.PAUSED, target=DeadlineState.OPEN)
    def resume(self):
        self.paused_on = None

    @transition(field=state, source=list(LIVE_STATES), target=DeadlineState.MET)
    def meet(self, *, at):
        # Met while the clock was stopped counts as on time: the window had not run out.
        self.met_on_time = self.state == DeadlineState.PAUSED or at <= self.due_at
        self.paused_on = None
        self.closed_at = at
        self.next_action_at = None

    @transition(field=state, source=DeadlineState.OPEN, target=DeadlineState.MISSED)
    def miss(self, *, at):
        self.closed_at = at
        self.met_on_time = False

    @transition(field=state, source=list(LIVE_STATES), target=DeadlineState.CANCELLED)
    def cancel(self, *, at):
        self.paused_on = None
        self.closed_at = at
        self.next_action_at = None


class DeadlineStep(models.Model):
    """The exactly-once ledger: each reminder, close and escalation of a deadline, done once per due date."""

    # The unique (deadline, step, due_date) constraint's index serves look-ups by deadline.
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="steps", db_index=False)
    step = models.CharField(max_length=30, help_text="e.g. reminder:5, reminder:1, close, escalate")
    due_date = models.DateField(help_text="The due date the step was worked out against.")
    done_at = models.DateTimeField()
    skipped = models.BooleanField(default=False, help_text="Passed over because a later step was already due.")

    class Meta:
        ordering = ["done_at"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "step", "due_date"], name="deadline_step_once"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline_id} {self.step} ({self.due_date})"


class DeadlinePause(models.Model):
    """One stop of the clock: when, why and by whom, and the days added back when it restarted."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="pauses")
    paused_on = models.DateField()
    resumed_on = models.DateField(null=True, blank=True)
    days_added = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["paused_on", "pk"]

    def __str__(self) -> str:
        return f"Paused {self.paused_on}" + (f", resumed {self.resumed_on}" if self.resumed_on else "")


class DeadlineExtension(models.Model):
    """A later due date, with both dates, who and why."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="extensions")
    from_due_date = models.DateField()
    to_due_date = models.DateField()
    days = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(to_due_date__gt=models.F("from_due_date")), name="extension_moves_later"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_due_date} → {self.to_due_date}"


class ExtraHoliday(models.Model):
    """A one-off bank holiday proclaimed after the holidays package was released (admin staff add it)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%-d %B %Y})"
