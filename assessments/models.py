"""Assessment cases. The first: the provider information request (PIR), the first case to run on the clock."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords


class InformationRequestState(models.TextChoices):
    REQUESTED = "requested", "Waiting for the provider"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Reviewed"
    CLOSED_NO_RESPONSE = "closed_no_response", "Closed: no response"
    WITHDRAWN = "withdrawn", "Withdrawn"


class InformationRequest(models.Model):
    """A request to a provider for information about a location, answered within 15 working days."""

    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="information_requests")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="information_requests")
    # Set when the request is part of an assessment: then the provider has 5 working days, not 15.
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="information_requests"
    )
    questions = models.TextField(help_text="What the regulator asks for.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    state = FSMField(default=InformationRequestState.REQUESTED, choices=InformationRequestState.choices, protected=True)
    response = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["provider", "state"]), models.Index(fields=["location", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(submitted_at__isnull=True) & models.Q(submitted_by__isnull=True))
                | (models.Q(submitted_at__isnull=False) & models.Q(submitted_by__isnull=False)),
                name="inforequest_submitted_pair",
            ),
            models.CheckConstraint(
                condition=(models.Q(reviewed_at__isnull=True) & models.Q(reviewed_by__isnull=True))
                | (models.Q(reviewed_at__isnull=False) & models.Q(reviewed_by__isnull=False)),
                name="inforequest_reviewed_pair",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["submitted", "reviewed"]) | models.Q(submitted_at__isnull=False),
                name="inforequest_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Information request for {self.location.name} ({self.requested_at:%-d %b %Y})"

    @property
    def window_kind(self) -> str:
        from cqcportal.deadlines.rules import Kind

        return Kind.ASSESSMENT_INFORMATION_REQUEST if self.assessment_id else Kind.PROVIDER_INFORMATION_REQUEST

    @transition(field=state, source=InformationRequestState.REQUESTED, target=InformationRequestState.SUBMITTED)
    def submit(self, *, by, on_behalf_of, at, response):
        self.response = response
        self.submitted_by = by
        self.submitted_on_behalf_of = on_behalf_of
        self.submitted_at = at

    @transition(field=state, source=InformationRequestState.SUBMITTED, target=InformationRequestState.REVIEWED)
    def review(self, *, by, at):
        self.reviewed_by = by
        self.reviewed_at = at

    @transition(
        field=state, source=InformationRequestState.REQUESTED, target=InformationRequestState.CLOSED_NO_RESPONSE
    )
    def close_no_response(self):
        pass

    @transition(field=state, source=InformationRequestState.REQUESTED, target=InformationRequestState.WITHDRAWN)
    def withdraw(self):
        pass


# --- The assessment framework, as data ------------------------------------------------------------------


class KeyQuestionSlug(models.TextChoices):
    SAFE = "safe", "Safe"
    EFFECTIVE = "effective", "Effective"
    CARING = "caring", "Caring"
    RESPONSIVE = "responsive", "Responsive"
    WELL_LED = "well_led", "Well-led"


class EvidenceCategory(models.Model):
    """One of the six evidence categories (people's experience, observation, processes, ...)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order"]
        verbose_name_plural = "evidence categories"

    def __str__(self) -> str:
        return self.name


class QualityStatement(models.Model):
    """One of the 34 quality statements; admin staff edit it or retire it, never delete it."""

    key_question = models.CharField(max_length=20, choices=KeyQuestionSlug.choices)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    api_id = models.CharField("CQC API id", max_length=10, blank=True)
    we_statement = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()
    retired_at = models.DateTimeField(null=True, blank=True)
    # Statements an assessment of these service types looks at first; the assessment's scope is editable.
    priority_for = models.ManyToManyField("register.ServiceType", blank=True, related_name="priority_statements")

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


# --- Assessments --------------------------------------------------------------------------------------------


class AssessmentState(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Assessment(models.Model):
    """A planned or responsive assessment of one location against the quality statements in scope."""

    class Kind(models.TextChoices):
        PLANNED = "planned", "Planned"
        RESPONSIVE = "responsive", "Responsive"

    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="assessments")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = FSMField(default=AssessmentState.PLANNED, choices=AssessmentState.choices, protected=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments_led")
    announced = models.BooleanField(default=True, help_text="Announced assessments normally give two weeks' notice.")
    notice_given_date = models.DateField(null=True, blank=True)
    onsite_start_date = models.DateField(null=True, blank=True)
    onsite_end_date = models.DateField(null=True, blank=True)
    offsite_start_date = models.DateField(null=True, blank=True)
    offsite_end_date = models.DateField(null=True, blank=True)
    statements = models.ManyToManyField(QualityStatement, related_name="assessments", help_text="In scope.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # With the id and the caseload's order: a caseload's "the assessments I lead" is read, and ordered, from
            # the index alone (docs/benchmarks.md).
            models.Index(
                fields=["lead", "state"],
                include=["onsite_start_date", "created_at", "id"],
                name="assessment_lead_caseload",
            ),
            models.Index(fields=["location", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(onsite_end_date__isnull=True)
                | models.Q(onsite_start_date__isnull=True)
                | models.Q(onsite_end_date__gte=models.F("onsite_start_date")),
                name="assessment_onsite_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="completed") | models.Q(completed_at__isnull=False),
                name="assessment_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} assessment of {self.location.name}"

    @transition(field=state, source=AssessmentState.PLANNED, target=AssessmentState.IN_PROGRESS)
    def start(self, *, at):
        self.started_at = at

    @transition(field=state, source=AssessmentState.IN_PROGRESS, target=AssessmentState.COMPLETED)
    def complete(self, *, at):
        self.completed_at = at

    @transition(
        field=state, source=[AssessmentState.PLANNED, AssessmentState.IN_PROGRESS], target=AssessmentState.CANCELLED
    )
    def cancel(self):
        pass


class AssessmentTeamMember(models.Model):
    class Role(models.TextChoices):
        ASSESSOR = "assessor", "Assessor"
        INSPECTOR = "inspector", "Inspector"
        SPECIALIST_ADVISER = "specialist_adviser", "Specialist adviser"
        EXPERT_BY_EXPERIENCE = "expert_by_experience", "Expert by experience"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200, help_text="For people without an account, e.g. experts by experience.")
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        ordering = ["role", "name"]
        # A caseload's "the assessments I am on the team of", read from the index alone.
        indexes = [models.Index(fields=["user", "assessment"], name="assessment_team_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class StatementScore(models.Model):
    """The score (1-4) of one quality statement in one assessment, with its findings; edited with a version check."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    statement = models.ForeignKey(QualityStatement, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    summary = models.TextField("summary of findings", blank=True)
    judgement = models.TextField("judgement statement", blank=True)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()
    # Optimistic locking: an edit names the version it started from; a stale one is refused, nothing is lost.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["statement__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "statement"], name="score_once_per_statement"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=4), name="score_1_to_4"),
        ]

    def __str__(self) -> str:
        return f"{self.statement}: {self.score}"


class StatementScoreChange(models.Model):
    """A score changed after the assessment was completed (after the factual accuracy check, or a rating
    review), with why: the public working shows it beside the score."""

    class Context(models.TextChoices):
        FACTUAL_ACCURACY = "factual_accuracy", "after the provider's factual accuracy comments"
        RATING_REVIEW = "rating_review", "after a rating review"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="score_changes")
    statement = models.ForeignKey(QualityStatement, on_delete=models.PROTECT, related_name="+")
    from_score = models.PositiveSmallIntegerField()
    to_score = models.PositiveSmallIntegerField()
    reason = models.TextField()
    context = models.CharField(max_length=30, choices=Context.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "pk"]
        indexes = [models.Index(fields=["assessment", "statement"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="score_change_has_reason"),
            models.CheckConstraint(
                condition=models.Q(to_score__gte=1, to_score__lte=4) & ~models.Q(to_score=models.F("from_score")),
                name="score_change_changes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement}: {self.from_score} → {self.to_score}"


def evidence_upload_to(instance, filename: str) -> str:
    # Evidence is confidential: files live outside the web root and are served only by a staff-only view;
    # the random folder keeps two uploads with one name apart.
    import uuid

    return f"evidence/{instance.assessment_id}/{uuid.uuid4().hex}/{filename}"


class EvidenceItem(models.Model):
    """A piece of evidence under one evidence category of one quality statement."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    statement = models.ForeignKey(QualityStatement, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(EvidenceCategory, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    document = models.FileField(upload_to=evidence_upload_to, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at"]
        indexes = [models.Index(fields=["assessment", "statement"])]

    def __str__(self) -> str:
        return f"{self.category}: {self.note[:50]}"


class LocationRating(models.Model):
    """A location's current rating for one key question or overall, as calculated, with its working."""

    class Status(models.TextChoices):
        RATED = "rated", "Rated"
        INSPECTED_NOT_RATED = "inspected_not_rated", "Inspected but not rated"
        SUSPENDED = "suspended", "Rating suspended"

    location = models.ForeignKey("register.Location", on_delete=models.CASCADE, related_name="calculated_ratings")
    key_question = models.CharField(max_length=20)  # a KeyQuestionSlug, or "overall"
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.RATED)
    percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    published_score = models.PositiveSmallIntegerField(null=True, blank=True)
    calculated_rating = models.CharField(max_length=30, blank=True)
    rating = models.CharField(max_length=30, blank=True)
    explanation = models.TextField()
    enforcement_limit = models.CharField(max_length=30, blank=True)
    departure_rationale = models.TextField(blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    status_since = models.DateField(null=True, blank=True)
    calculated_at = models.DateTimeField()

    class Meta:
        ordering = ["location", "key_question"]
        constraints = [models.UniqueConstraint(fields=["location", "key_question"], name="one_rating_per_kq")]

    def __str__(self) -> str:
        return f"{self.location_id} {self.key_question}: {self.rating}"


class RatingDeparture(models.Model):
    """Professional judgement: an authorised person rates a key question (or overall) differently from the
    calculation, with a written rationale; shown on the working and queued for quality review."""

    class ReviewState(models.TextChoices):
        AWAITING = "awaiting_quality_review", "Awaiting quality review"
        AGREED = "agreed", "Agreed at quality review"
        REJECTED = "rejected", "Rejected at quality review"
        RATING_REVIEW = "rating_review", "Decided on a rating review"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="departures")
    key_question = models.CharField(max_length=20)  # a KeyQuestionSlug, or "overall"
    calculated_rating = models.CharField(max_length=30)
    rating = models.CharField(max_length=30)
    rationale = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    review_state = models.CharField(max_length=30, choices=ReviewState.choices, default=ReviewState.AWAITING)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "key_question"], name="one_departure_per_kq"),
            models.CheckConstraint(condition=~models.Q(rationale=""), name="departure_needs_rationale"),
        ]

    def __str__(self) -> str:
        return f"{self.key_question}: {self.calculated_rating} → {self.rating}"


class AssessmentOutcome(models.Model):
    """The overall rating a completed assessment led to: the history that flags (special measures, repeated
    requires improvement) are read from."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="outcome")
    location = models.ForeignKey("register.Location", on_delete=models.CASCADE, related_name="assessment_outcomes")
    overall_rating = models.CharField(max_length=30, blank=True)
    completed_at = models.DateTimeField()

    class Meta:
        ordering = ["location", "-completed_at"]
        indexes = [models.Index(fields=["location", "-completed_at"])]

    def __str__(self) -> str:
        return f"{self.location_id}: {self.overall_rating} ({self.completed_at:%Y-%m-%d})"


class RegulationsJudgement(models.Model):
    """For services that are not rated: one evidence category of one statement judged regulations met, or not."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="regulations_judgements")
    statement = models.ForeignKey(QualityStatement, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(EvidenceCategory, on_delete=models.PROTECT, related_name="+")
    met = models.BooleanField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["statement__order", "category__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "statement", "category"], name="one_judgement_per_category")
        ]

    def __str__(self) -> str:
        return f"{self.statement} / {self.category}: {'met' if self.met else 'not all met'}"


class EnforcementLimit(models.Model):
    """An enforcement action that limits a key question's rating while it is in force.

    A requirement notice limits it to requires improvement at best; a warning notice or a condition makes it
    inadequate. The enforcement flow writes these; until then admin staff record them in Django admin.
    """

    class Action(models.TextChoices):
        REQUIREMENT_NOTICE = "requirement_notice", "Requirement notice"
        WARNING_NOTICE = "warning_notice", "Warning notice"
        CONDITION = "condition", "Condition"

    location = models.ForeignKey("register.Location", on_delete=models.CASCADE, related_name="enforcement_limits")
    key_question = models.CharField(max_length=20, choices=KeyQuestionSlug.choices)
    action = models.CharField(max_length=30, choices=Action.choices)
    reason = models.CharField(max_length=500)
    in_force_from = models.DateField()
    lifted_on = models.DateField(null=True, blank=True)
    # The enforcement action that set it; empty for a limit admin staff recorded by hand.
    source_action = models.ForeignKey(
        "enforcement.EnforcementAction", on_delete=models.CASCADE, null=True, blank=True, related_name="limits"
    )

    class Meta:
        ordering = ["location", "key_question", "-in_force_from"]
        indexes = [models.Index(fields=["location", "lifted_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lifted_on__isnull=True) | models.Q(lifted_on__gte=models.F("in_force_from")),
                name="enforcement_limit_lifted_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on {self.get_key_question_display()}"


# --- Rating reviews ------------------------------------------------------------------------------------------


class RatingReviewState(models.TextChoices):
    DRAFTING = "drafting", "Being drafted"
    SUBMITTED = "submitted", "Submitted"
    GROUNDS_CHECK = "grounds_check", "Checking the grounds"
    REFUSED = "refused", "Refused: no grounds for a review"
    ACCEPTED = "accepted", "Accepted for review"
    INDEPENDENT_REVIEW = "independent_review", "Independent review"
    RECOMMENDED = "recommended", "Recommendation made"
    DECIDED = "decided", "Decided"
    OUTCOME_PUBLISHED = "outcome_published", "Outcome published"
    CLOSED = "closed", "Closed"


# A review is "taking place" (said on the public profile) from submission until its outcome is published.
REVIEW_UNDER_WAY = [
    RatingReviewState.SUBMITTED,
    RatingReviewState.GROUNDS_CHECK,
    RatingReviewState.ACCEPTED,
    RatingReviewState.INDEPENDENT_REVIEW,
    RatingReviewState.RECOMMENDED,
    RatingReviewState.DECIDED,
]

REVIEW_MAX_WORDS = 500


class RatingReview(models.Model):
    """A provider's request for a review of a published report's ratings, on the ground that the regulator did not
    follow its process for reaching them; and the review that follows. Transitions change fields only."""

    report = models.ForeignKey("factual_accuracy.Report", on_delete=models.PROTECT, related_name="rating_reviews")
    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="rating_reviews")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="rating_reviews")
    state = FSMField(default=RatingReviewState.DRAFTING, choices=RatingReviewState.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    grounds_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refusal_letter = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    external_reviewer = models.CharField(max_length=200, blank=True, help_text="An external reviewer's name and role.")
    recommendation = models.TextField(blank=True)
    recommended_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    outcome_published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["location", "state"]), models.Index(fields=["state"])]
        constraints = [
            models.UniqueConstraint(fields=["report"], name="one_rating_review_per_report"),
            models.CheckConstraint(
                condition=models.Q(submitted_at__isnull=True, submitted_by__isnull=True)
                | models.Q(submitted_at__isnull=False, submitted_by__isnull=False),
                name="rating_review_submitted_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewer__isnull=True) | models.Q(external_reviewer=""),
                name="rating_review_one_kind_of_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"Rating review of report {self.report_id} ({self.get_state_display()})"

    @property
    def reviewer_name(self) -> str:
        if self.reviewer_id:
            return self.reviewer.full_name
        return f"{self.external_reviewer} (external)" if self.external_reviewer else ""

    @transition(field=state, source=RatingReviewState.DRAFTING, target=RatingReviewState.SUBMITTED)
    def submit(self, *, by, at):
        self.submitted_by, self.submitted_at = by, at

    @transition(field=state, source=RatingReviewState.SUBMITTED, target=RatingReviewState.GROUNDS_CHECK)
    def start_grounds_check(self, *, checker):
        self.grounds_checked_by = checker

    @transition(field=state, source=RatingReviewState.GROUNDS_CHECK, target=RatingReviewState.REFUSED)
    def refuse(self, *, letter):
        self.refusal_letter = letter

    @transition(field=state, source=RatingReviewState.GROUNDS_CHECK, target=RatingReviewState.ACCEPTED)
    def accept(self):
        pass

    @transition(field=state, source=RatingReviewState.ACCEPTED, target=RatingReviewState.INDEPENDENT_REVIEW)
    def assign_reviewer(self, *, reviewer=None, external: str = ""):
        self.reviewer, self.external_reviewer = reviewer, external

    @transition(field=state, source=RatingReviewState.INDEPENDENT_REVIEW, target=RatingReviewState.RECOMMENDED)
    def recommend(self, *, text, at):
        self.recommendation, self.recommended_at = text, at

    @transition(field=state, source=RatingReviewState.RECOMMENDED, target=RatingReviewState.DECIDED)
    def decide(self, *, by, at, reason):
        self.decided_by, self.decided_at, self.decision_reason = by, at, reason

    @transition(field=state, source=RatingReviewState.DECIDED, target=RatingReviewState.OUTCOME_PUBLISHED)
    def publish_outcome(self, *, at):
        self.outcome_published_at = at

    @transition(
        field=state,
        source=[RatingReviewState.REFUSED, RatingReviewState.OUTCOME_PUBLISHED],
        target=RatingReviewState.CLOSED,
    )
    def close(self, *, at):
        self.closed_at = at


class RatingChallenge(models.Model):
    """One rating a review request challenges, with how the process for reaching it was not followed."""

    review = models.ForeignKey(RatingReview, on_delete=models.CASCADE, related_name="challenges")
    key_question = models.CharField(max_length=20)  # a KeyQuestionSlug, or "overall"
    grounds = models.TextField()

    class Meta:
        ordering = ["review", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "key_question"], name="one_challenge_per_rating"),
            models.CheckConstraint(condition=~models.Q(grounds=""), name="challenge_has_grounds"),
        ]

    def __str__(self) -> str:
        return self.key_question


class RatingReviewChange(models.Model):
    """A rating the review's decision changed (up or down, challenged or not), with why: the history keeps it."""

    review = models.ForeignKey(RatingReview, on_delete=models.CASCADE, related_name="changes")
    key_question = models.CharField(max_length=20)  # a KeyQuestionSlug, or "overall"
    from_rating = models.CharField(max_length=30)
    to_rating = models.CharField(max_length=30)

    class Meta:
        ordering = ["review", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["review", "key_question"], name="one_change_per_rating"),
            models.CheckConstraint(condition=~models.Q(from_rating=models.F("to_rating")), name="change_changes"),
        ]

    def __str__(self) -> str:
        return f"{self.key_question}: {self.from_rating} → {self.to_rating}"
