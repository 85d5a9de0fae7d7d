"""Enforcement actions, the representations providers make about them, and appeals to the First-tier Tribunal.

Transitions change fields only; ``enforcement/services.py`` owns the locks, the clock, the audit and the e-mail.
"""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition


class ActionKind(models.TextChoices):
    REQUIREMENT_NOTICE = "requirement_notice", "Requirement notice"
    WARNING_NOTICE = "warning_notice", "Warning notice"
    NOTICE_OF_PROPOSAL = "notice_of_proposal", "Notice of proposal"
    URGENT = "urgent", "Urgent procedure (effect at once)"
    FIXED_PENALTY = "fixed_penalty_notice", "Fixed penalty notice"
    SIMPLE_CAUTION = "simple_caution", "Simple caution"
    PROSECUTION = "prosecution", "Prosecution"


CIVIL = {ActionKind.REQUIREMENT_NOTICE, ActionKind.WARNING_NOTICE, ActionKind.NOTICE_OF_PROPOSAL, ActionKind.URGENT}
CRIMINAL = {ActionKind.FIXED_PENALTY, ActionKind.SIMPLE_CAUTION, ActionKind.PROSECUTION}


class Proposal(models.TextChoices):
    """What a notice of proposal (or an urgent action) does to the registration."""

    IMPOSE_CONDITIONS = "impose_conditions", "Impose conditions of registration"
    VARY_CONDITIONS = "vary_conditions", "Vary conditions of registration"
    REMOVE_CONDITIONS = "remove_conditions", "Remove conditions of registration"
    SUSPEND = "suspend", "Suspend registration"
    EXTEND_SUSPENSION = "extend_suspension", "Extend a suspension"
    CANCEL = "cancel", "Cancel registration"


class Regulation(models.TextChoices):
    """The fundamental standards: the Health and Social Care Act 2008 (Regulated Activities) Regulations 2014."""

    R9 = "9", "Regulation 9: Person-centred care"
    R10 = "10", "Regulation 10: Dignity and respect"
    R11 = "11", "Regulation 11: Need for consent"
    R12 = "12", "Regulation 12: Safe care and treatment"
    R13 = "13", "Regulation 13: Safeguarding service users from abuse and improper treatment"
    R14 = "14", "Regulation 14: Meeting nutritional and hydration needs"
    R15 = "15", "Regulation 15: Premises and equipment"
    R16 = "16", "Regulation 16: Receiving and acting on complaints"
    R17 = "17", "Regulation 17: Good governance"
    R18 = "18", "Regulation 18: Staffing"
    R19 = "19", "Regulation 19: Fit and proper persons employed"
    R20 = "20", "Regulation 20: Duty of candour"
    R20A = "20A", "Regulation 20A: Requirement as to display of performance assessments"


# The key question each regulation mostly relates to; the person recording a breach may choose another.
REGULATION_KEY_QUESTION = {
    "9": "responsive",
    "10": "caring",
    "11": "effective",
    "12": "safe",
    "13": "safe",
    "14": "effective",
    "15": "safe",
    "16": "responsive",
    "17": "well_led",
    "18": "safe",
    "19": "safe",
    "20": "well_led",
    "20A": "well_led",
}


class ActionState(models.TextChoices):
    DRAFT = "draft", "Being prepared"
    SERVED = "served", "Served: representations may be made"
    REPRESENTATIONS_CLOSED = "representations_closed", "Representations closed: for decision"
    DECISION_SERVED = "decision_served", "Notice of decision served: may be appealed"
    APPEALED = "appealed", "Appealed to the First-tier Tribunal"
    IN_EFFECT = "in_effect", "In effect"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CONCLUDED = "concluded", "Concluded"


# A challenge is under way (representations open or being considered, or an appeal): rating reviews pause.
CHALLENGE_OPEN = [
    ActionState.SERVED,
    ActionState.REPRESENTATIONS_CLOSED,
    ActionState.DECISION_SERVED,
    ActionState.APPEALED,
]


class EnforcementAction(models.Model):
    """One enforcement action: what, against whom, why, who decided, and when it was served and took effect."""

    kind = models.CharField(max_length=30, choices=ActionKind.choices)
    proposal = models.CharField(max_length=30, choices=Proposal.choices, blank=True)
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="enforcement_actions")
    location = models.ForeignKey(
        "register.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="enforcement_actions"
    )
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="enforcement_actions"
    )
    summary = models.TextField(help_text="What the provider must do, or what the action does, in plain words.")
    state = FSMField(default=ActionState.DRAFT, choices=ActionState.choices, protected=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    decision_reason = models.TextField()
    served_on = models.DateField(null=True, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, help_text="The end of the action: adopted, withdrawn, appeal outcome.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["location", "state"]), models.Index(fields=["provider", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind__in=["notice_of_proposal", "urgent"]) | ~models.Q(proposal=""),
                name="enforcement_proposal_names_what",
            ),
            models.CheckConstraint(condition=~models.Q(decision_reason=""), name="enforcement_decision_has_reason"),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(served_on__isnull=False),
                name="enforcement_served_has_date",
            ),
        ]

    def __str__(self) -> str:
        what = self.get_proposal_display() if self.proposal else ""
        return f"{self.get_kind_display()}{': ' + what if what else ''}"

    @property
    def has_representations(self) -> bool:
        return self.kind in (ActionKind.WARNING_NOTICE, ActionKind.NOTICE_OF_PROPOSAL)

    @transition(field=state, source=ActionState.DRAFT, target=ActionState.SERVED)
    def serve(self, *, on):
        self.served_on = on

    @transition(field=state, source=ActionState.DRAFT, target=ActionState.IN_EFFECT)
    def serve_in_effect(self, *, on):
        """Served and in effect at once: a requirement notice, urgent action, or a criminal sanction."""
        self.served_on = self.effective_on = on

    @transition(field=state, source=ActionState.SERVED, target=ActionState.REPRESENTATIONS_CLOSED)
    def close_representations(self):
        pass

    @transition(field=state, source=ActionState.REPRESENTATIONS_CLOSED, target=ActionState.DECISION_SERVED)
    def serve_decision(self, *, on):
        self.outcome = f"Proposal adopted: notice of decision served on {on:%-d %B %Y}."

    @transition(field=state, source=ActionState.REPRESENTATIONS_CLOSED, target=ActionState.IN_EFFECT)
    def confirm(self, *, on):
        """A warning notice stands once its representations are answered."""
        self.effective_on = self.effective_on or on

    @transition(
        field=state, source=[ActionState.REPRESENTATIONS_CLOSED, ActionState.SERVED], target=ActionState.WITHDRAWN
    )
    def withdraw(self, *, why):
        self.outcome = why

    @transition(field=state, source=[ActionState.DECISION_SERVED, ActionState.IN_EFFECT], target=ActionState.APPEALED)
    def appeal(self):
        pass

    @transition(field=state, source=ActionState.DECISION_SERVED, target=ActionState.IN_EFFECT)
    def take_effect(self, *, on):
        self.effective_on = on

    @transition(field=state, source=ActionState.APPEALED, target=ActionState.CONCLUDED)
    def record_appeal_outcome(self, *, outcome):
        self.outcome = outcome

    @transition(field=state, source=ActionState.IN_EFFECT, target=ActionState.CONCLUDED)
    def conclude(self, *, outcome):
        self.outcome = outcome


class Breach(models.Model):
    """A regulation the action says was breached, with the key question it relates to (its rating is limited)."""

    action = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE, related_name="breaches")
    regulation = models.CharField(max_length=5, choices=Regulation.choices)
    key_question = models.CharField(max_length=20)

    class Meta:
        ordering = ["action", "pk"]
        constraints = [models.UniqueConstraint(fields=["action", "regulation"], name="breach_once_per_action")]

    def __str__(self) -> str:
        return self.get_regulation_display()


class Representation(models.Model):
    """The provider's representations about one regulated activity of one action; a draft until sent."""

    action = models.ForeignKey(EnforcementAction, on_delete=models.CASCADE, related_name="representations")
    regulated_activity = models.ForeignKey("register.RegulatedActivity", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["action", "pk"]
        constraints = [
            # One representation covers one regulated activity; several activities are several records.
            models.UniqueConstraint(fields=["action", "regulated_activity"], name="representation_per_activity"),
            models.CheckConstraint(condition=~models.Q(text=""), name="representation_has_text"),
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True, submitted_by__isnull=True)
                | models.Q(submitted_at__isnull=False, submitted_by__isnull=False),
                name="representation_submitted_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(response="", responded_by__isnull=True, responded_at__isnull=True)
                | (~models.Q(response="") & models.Q(responded_by__isnull=False, responded_at__isnull=False)),
                name="representation_response_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Representation on {self.regulated_activity}"


def representation_upload_to(instance, filename: str) -> str:
    # Confidential until the action is published: outside the web root, served by a permission-checked view.
    import uuid

    return f"representations/{instance.representation.action_id}/{uuid.uuid4().hex}/{filename}"


class RepresentationFile(models.Model):
    """Evidence with a representation; its type was checked from its content."""

    representation = models.ForeignKey(Representation, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=representation_upload_to, max_length=300)
    name = models.CharField(max_length=150)
    file_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(size__gt=0), name="representation_file_not_empty")]

    def __str__(self) -> str:
        return self.name


class Appeal(models.Model):
    """An appeal to the First-tier Tribunal (Care Standards) against a notice of decision or urgent action."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed: the decision is overturned"
        DISMISSED = "dismissed", "Dismissed: the decision stands"
        WITHDRAWN = "withdrawn", "Withdrawn by the provider"
        VARIED = "varied", "Allowed in part: the decision is varied"

    action = models.OneToOneField(EnforcementAction, on_delete=models.CASCADE, related_name="appeal_record")
    lodged_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField(null=True, blank=True)
    outcome_notes = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome="", outcome_on__isnull=True)
                | (~models.Q(outcome="") & models.Q(outcome_on__isnull=False)),
                name="appeal_outcome_pair",
            )
        ]

    def __str__(self) -> str:
        return f"Appeal lodged {self.lodged_on}"


# Special measures and escalation (issue 7). Opened by ``enforcement/special_measures.py`` when a report's overall
# rating is published; staff record how each ends. Transitions change fields only.


class SpecialMeasuresState(models.TextChoices):
    IN_SPECIAL_MEASURES = "in_special_measures", "In special measures"
    LEFT_IMPROVED = "left_improved", "Improved: left special measures"
    CANCELLATION_PROPOSED = "cancellation_proposed", "Proposal to cancel registration"


class SpecialMeasures(models.Model):
    """A location in special measures: since when, why, when it must be re-assessed by, and how it ended."""

    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="special_measures")
    provider = models.ForeignKey(
        "register.Provider",
        on_delete=models.PROTECT,
        related_name="special_measures",
        help_text="The location's provider, filled from the location.",
    )
    # The published overall rating of inadequate that put it in; one record per rating, so a repeat check adds none.
    published_rating = models.OneToOneField(
        "register.PublishedRating", on_delete=models.PROTECT, related_name="special_measures"
    )
    reason = models.TextField()
    entered_date = models.DateField()
    review_by_date = models.DateField(help_text="The re-assessment is due by this date (about 6 months).")
    state = FSMField(
        default=SpecialMeasuresState.IN_SPECIAL_MEASURES, choices=SpecialMeasuresState.choices, protected=True
    )
    outcome = models.TextField(blank=True, help_text="How it ended, in plain words; required to close it.")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "special measures"
        ordering = ["-entered_date", "-pk"]
        indexes = [models.Index(fields=["state", "review_by_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["location"],
                condition=models.Q(state="in_special_measures"),
                name="special_measures_one_open_per_location",
            ),
            models.CheckConstraint(
                condition=models.Q(state="in_special_measures", closed_at__isnull=True, closed_by__isnull=True)
                | (
                    ~models.Q(state="in_special_measures")
                    & models.Q(closed_at__isnull=False, closed_by__isnull=False)
                    & ~models.Q(outcome="")
                ),
                name="special_measures_closed_complete_iff_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(review_by_date__gt=models.F("entered_date")),
                name="special_measures_review_after_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Special measures at {self.location.name} since {self.entered_date:%-d %B %Y}"

    @transition(field=state, source=SpecialMeasuresState.IN_SPECIAL_MEASURES, target=SpecialMeasuresState.LEFT_IMPROVED)
    def leave_improved(self, *, outcome, by, at):
        self.outcome = outcome
        self.closed_by, self.closed_at = by, at

    @transition(
        field=state, source=SpecialMeasuresState.IN_SPECIAL_MEASURES, target=SpecialMeasuresState.CANCELLATION_PROPOSED
    )
    def propose_cancellation(self, *, outcome, by, at):
        self.outcome = outcome
        self.closed_by, self.closed_at = by, at


class EscalationTaskKind(models.TextChoices):
    CONSIDER_REGULATION_17 = (
        "consider_regulation_17",
        "Consider a breach of regulation 17 (good governance) and ask for a written improvement report",
    )
    MANAGEMENT_REVIEW_MEETING = "management_review_meeting", "Management review meeting"


class EscalationTaskState(models.TextChoices):
    OPEN = "open", "To do"
    MEETING_SCHEDULED = "meeting_scheduled", "Meeting scheduled"
    DONE = "done", "Done"


def _is_meeting(task: "EscalationTask") -> bool:
    return task.kind == EscalationTaskKind.MANAGEMENT_REVIEW_MEETING


def _is_regulation_17(task: "EscalationTask") -> bool:
    return task.kind == EscalationTaskKind.CONSIDER_REGULATION_17


class EscalationTask(models.Model):
    """Work for staff after repeated ratings of requires improvement: consider regulation 17, or a review meeting."""

    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="escalation_tasks")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="escalation_tasks")
    kind = models.CharField(max_length=30, choices=EscalationTaskKind.choices)
    # The newest published overall rating of the run that raised it; with ``kind``, a repeat check adds none.
    published_rating = models.ForeignKey(
        "register.PublishedRating", on_delete=models.PROTECT, related_name="escalation_tasks"
    )
    reason = models.TextField(help_text="The run of ratings that raised it, with the dates of their reports.")
    state = FSMField(default=EscalationTaskState.OPEN, choices=EscalationTaskState.choices, protected=True)
    meeting_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="What was decided or done; required to finish the task.")
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "kind"],
                condition=~models.Q(state="done"),
                name="escalation_task_one_open_per_location_and_kind",
            ),
            models.UniqueConstraint(fields=["kind", "published_rating"], name="escalation_task_once_per_rating"),
            models.CheckConstraint(
                condition=~models.Q(state="done", done_at__isnull=True)
                & ~models.Q(state="done", done_by__isnull=True)
                & ~models.Q(state="done", notes="")
                & (models.Q(state="done") | models.Q(done_at__isnull=True, done_by__isnull=True)),
                name="escalation_task_done_complete_iff_done",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="management_review_meeting") | models.Q(meeting_date__isnull=True),
                name="escalation_task_meeting_date_only_for_meetings",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="meeting_scheduled") | models.Q(meeting_date__isnull=False),
                name="escalation_task_scheduled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.location.name}"

    @transition(
        field=state, source=EscalationTaskState.OPEN, target=EscalationTaskState.DONE, conditions=[_is_regulation_17]
    )
    def complete(self, *, notes, by, at):
        self.notes = notes
        self.done_by, self.done_at = by, at

    @transition(
        field=state,
        source=[EscalationTaskState.OPEN, EscalationTaskState.MEETING_SCHEDULED],
        target=EscalationTaskState.MEETING_SCHEDULED,
        conditions=[_is_meeting],
    )
    def schedule_meeting(self, *, on):
        self.meeting_date = on

    @transition(field=state, source=EscalationTaskState.MEETING_SCHEDULED, target=EscalationTaskState.DONE)
    def record_meeting(self, *, notes, by, at):
        self.notes = notes
        self.done_by, self.done_at = by, at


class ConcernState(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    WITH_PROVIDER = "with_provider", "Passed to the provider for a response"
    RESPONDED = "responded", "Provider responded"
    REVIEWED = "reviewed", "Response reviewed"
    CLOSED = "closed", "Closed with an outcome"


class ConcernOutcome(models.TextChoices):
    DISCUSS = "discuss", "Discuss with the provider at the next engagement"
    ASSESS = "assess", "Assess: look at it in an assessment"
    TAKE_ACTION = "take_action", "Take action"


class FitAndProperConcern(models.Model):
    """Information of concern about a director's fitness (regulation 5, fit and proper persons: directors).

    The referrer's identity is held for staff only: provider pages and e-mails never show it.
    """

    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="fit_and_proper_concerns")
    director_name = models.CharField(max_length=200)
    concern = models.TextField()
    referrer_name = models.CharField(max_length=200, blank=True, help_text="Staff only: never shown to the provider.")
    referrer_contact = models.CharField(max_length=300, blank=True, help_text="Staff only.")
    received_on = models.DateField()
    state = FSMField(default=ConcernState.RECORDED, choices=ConcernState.choices, protected=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    passed_on = models.DateField(null=True, blank=True)
    provider_response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=ConcernOutcome.choices, blank=True)
    outcome_notes = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["provider", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="closed") | ~models.Q(outcome=""), name="concern_closed_has_outcome"
            ),
            models.CheckConstraint(
                condition=models.Q(responded_at__isnull=True, responded_by__isnull=True)
                | models.Q(responded_at__isnull=False, responded_by__isnull=False),
                name="concern_response_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"Fit and proper person concern: {self.director_name}"

    @transition(field=state, source=ConcernState.RECORDED, target=ConcernState.WITH_PROVIDER)
    def pass_to_provider(self, *, on):
        self.passed_on = on

    @transition(field=state, source=ConcernState.WITH_PROVIDER, target=ConcernState.RESPONDED)
    def respond(self, *, by, at, text):
        self.responded_by, self.responded_at, self.provider_response = by, at, text

    @transition(field=state, source=ConcernState.RESPONDED, target=ConcernState.REVIEWED)
    def review(self, *, by, notes):
        self.reviewed_by, self.review_notes = by, notes

    @transition(field=state, source=ConcernState.REVIEWED, target=ConcernState.CLOSED)
    def close(self, *, outcome, notes, at):
        self.outcome, self.outcome_notes, self.closed_at = outcome, notes, at
