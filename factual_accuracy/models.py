"""Draft reports and their journey: quality review, the factual accuracy check, responses and publication."""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, transition


class ReportState(models.TextChoices):
    DRAFTING = "drafting", "Drafting"
    IN_QUALITY_REVIEW = "in_quality_review", "In quality review"
    QUALITY_REVIEW_PASSED = "quality_review_passed", "Passed quality review"
    OUT_FOR_FACTUAL_ACCURACY = "out_for_factual_accuracy", "Out for factual accuracy check"
    FA_CLOSED_COMMENTS = "fa_closed_comments", "Factual accuracy check closed: comments received"
    FA_CLOSED_NO_INACCURACIES = "fa_closed_no_inaccuracies", "Factual accuracy check closed: no inaccuracies"
    FA_CLOSED_NO_RESPONSE = "fa_closed_no_response", "Factual accuracy check closed: no response"
    RESPONDING = "responding", "Responding to comments"
    INDEPENDENT_CHECK = "independent_check", "Independent check of the responses"
    READY_TO_PUBLISH = "ready_to_publish", "Ready to publish"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


FA_CLOSED = [ReportState.FA_CLOSED_COMMENTS, ReportState.FA_CLOSED_NO_INACCURACIES, ReportState.FA_CLOSED_NO_RESPONSE]


class Report(models.Model):
    """The report of one assessment. Transitions only change fields; services own locks, audit and e-mail."""

    assessment = models.ForeignKey("assessments.Assessment", on_delete=models.PROTECT, related_name="reports")
    location = models.ForeignKey("register.Location", on_delete=models.PROTECT, related_name="reports")
    provider = models.ForeignKey("register.Provider", on_delete=models.PROTECT, related_name="reports")
    state = FSMField(default=ReportState.DRAFTING, choices=ReportState.choices, protected=True)
    quality_review_comments = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_for_factual_accuracy_at = models.DateTimeField(null=True, blank=True)
    factual_accuracy_closed_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["location", "state"]), models.Index(fields=["state"])]
        constraints = [
            # One live report per assessment; a withdrawn one may be replaced.
            models.UniqueConstraint(
                fields=["assessment"], condition=~models.Q(state="withdrawn"), name="report_one_live_per_assessment"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="published") | models.Q(published_at__isnull=False),
                name="report_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Report on {self.location.name} ({self.get_state_display()})"

    @transition(field=state, source=ReportState.DRAFTING, target=ReportState.IN_QUALITY_REVIEW)
    def submit_for_quality_review(self):
        pass

    @transition(field=state, source=ReportState.IN_QUALITY_REVIEW, target=ReportState.DRAFTING)
    def return_to_drafting(self, *, comments):
        self.quality_review_comments = comments

    @transition(field=state, source=ReportState.IN_QUALITY_REVIEW, target=ReportState.QUALITY_REVIEW_PASSED)
    def pass_quality_review(self):
        pass

    @transition(field=state, source=ReportState.QUALITY_REVIEW_PASSED, target=ReportState.OUT_FOR_FACTUAL_ACCURACY)
    def send_for_factual_accuracy(self, *, at):
        self.sent_for_factual_accuracy_at = at

    @transition(field=state, source=ReportState.OUT_FOR_FACTUAL_ACCURACY, target=ReportState.FA_CLOSED_COMMENTS)
    def close_with_comments(self, *, at):
        self.factual_accuracy_closed_at = at

    @transition(field=state, source=ReportState.OUT_FOR_FACTUAL_ACCURACY, target=ReportState.FA_CLOSED_NO_INACCURACIES)
    def close_no_inaccuracies(self, *, at):
        self.factual_accuracy_closed_at = at

    @transition(field=state, source=ReportState.OUT_FOR_FACTUAL_ACCURACY, target=ReportState.FA_CLOSED_NO_RESPONSE)
    def close_no_response(self, *, at):
        self.factual_accuracy_closed_at = at

    @transition(field=state, source=ReportState.FA_CLOSED_COMMENTS, target=ReportState.RESPONDING)
    def start_responding(self):
        pass

    @transition(field=state, source=ReportState.RESPONDING, target=ReportState.INDEPENDENT_CHECK)
    def send_for_independent_check(self):
        pass

    @transition(field=state, source=ReportState.INDEPENDENT_CHECK, target=ReportState.RESPONDING)
    def return_from_check(self):
        pass

    @transition(field=state, source=ReportState.INDEPENDENT_CHECK, target=ReportState.READY_TO_PUBLISH)
    def pass_independent_check(self, *, checker):
        self.checked_by = checker

    @transition(
        field=state,
        source=[ReportState.FA_CLOSED_NO_INACCURACIES, ReportState.FA_CLOSED_NO_RESPONSE],
        target=ReportState.READY_TO_PUBLISH,
    )
    def mark_ready_to_publish(self):
        pass

    @transition(field=state, source=ReportState.READY_TO_PUBLISH, target=ReportState.PUBLISHED)
    def publish(self, *, at):
        self.published_at = at

    @transition(
        field=state,
        source=[s for s in ReportState if s not in (ReportState.PUBLISHED, ReportState.WITHDRAWN)],
        target=ReportState.WITHDRAWN,
    )
    def withdraw(self, *, why):
        self.withdrawn_reason = why[:500]


class ReportSection(models.Model):
    """A section of a report: the overall summary, a key question, or a quality statement."""

    class Kind(models.TextChoices):
        OVERALL = "overall", "Overall summary"
        PEOPLES_EXPERIENCE = "peoples_experience", "People's experience"
        KEY_QUESTION = "key_question", "Key question"
        STATEMENT = "statement", "Quality statement"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key_question = models.CharField(max_length=20, blank=True)
    statement = models.ForeignKey(
        "assessments.QualityStatement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=300)
    rating = models.CharField(max_length=30, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Out of 100, or 1-4 for a statement.")
    body = models.TextField(blank=True, help_text="Summary, or judgement statement and key findings.")

    class Meta:
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "order"], name="report_section_order_unique")]

    def __str__(self) -> str:
        return self.title

    def snapshot(self) -> dict:
        """The section as plain values, for a frozen version."""
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "rating": self.rating,
            "score": self.score,
            "body": self.body,
        }

    @property
    def rating_label(self) -> str:
        from assessments.ratings import Rating

        try:
            return Rating.from_slug(self.rating).label
        except ValueError:
            return self.rating.replace("_", " ").capitalize()

    @property
    def key(self) -> str:
        """Stable across versions: which part of the report this is."""
        if self.kind == self.Kind.STATEMENT:
            return f"statement:{self.statement_id}"
        if self.kind == self.Kind.KEY_QUESTION:
            return f"key_question:{self.key_question}"
        return self.kind


class ReportVersion(models.Model):
    """A frozen copy of the report's sections as sent out or published; an amended report is a new version."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    sections = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_number_unique")]

    def __str__(self) -> str:
        return f"Version {self.number}"


class CorrectionKind(models.TextChoices):
    TYPOGRAPHICAL = "typographical", "A typographical or numerical error"
    INACCURATE = "inaccurate", "Information that is factually inaccurate"
    OMITTED = "omitted", "Information that was omitted"


class ResponseOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    PARTLY_ACCEPTED = "partly_accepted", "Partly accepted"
    NOT_ACCEPTED = "not_accepted", "Not accepted"


COMMENT_MAX_CHARS = 2000


class Submission(models.Model):
    """The provider's comments, sent: one per report, by a registered person or their delegate."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="submission")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Comments on report {self.report_id}"


class Comment(models.Model):
    """A provider's comment on one section: a draft until submitted, then answered by staff."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    section = models.ForeignKey(ReportSection, on_delete=models.PROTECT, related_name="comments")
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices)
    text = models.CharField(max_length=COMMENT_MAX_CHARS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="comments")
    outcome = models.CharField(max_length=20, choices=ResponseOutcome.choices, blank=True)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["section__order", "created_at", "pk"]
        indexes = [models.Index(fields=["report", "section"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(text=""), name="fa_comment_has_text"),
            # A response has its outcome, reason, author and time together, or none of them.
            models.CheckConstraint(
                condition=(
                    models.Q(outcome="", response="", responded_by__isnull=True, responded_at__isnull=True)
                    | (
                        ~models.Q(outcome="")
                        & ~models.Q(response="")
                        & models.Q(responded_by__isnull=False, responded_at__isnull=False)
                    )
                ),
                name="fa_comment_response_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"


def supporting_file_upload_to(instance, filename: str) -> str:
    # Confidential until published: outside the web root, served only through a permission-checked view.
    # The random folder keeps two uploads of one name apart and makes a path impossible to guess.
    import uuid

    return f"factual-accuracy/{instance.comment.report_id}/{uuid.uuid4().hex}/{filename}"


class SupportingFile(models.Model):
    """Evidence a provider uploads for a comment; its type was checked from its content."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=supporting_file_upload_to, max_length=300)
    name = models.CharField(max_length=150, help_text="The file's name, made safe.")
    file_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(size__gt=0), name="fa_file_not_empty")]

    def __str__(self) -> str:
        return self.name


class ExtensionRequest(models.Model):
    """A provider asks for more time; staff grant it only in exceptional circumstances. Both dates are kept."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        GRANTED = "granted", "Granted"
        REFUSED = "refused", "Refused"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="extension_requests")
    reason = models.CharField(max_length=1000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    due_date_when_asked = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=1000, blank=True)
    new_due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report"], condition=models.Q(state="pending"), name="fa_one_pending_extension"
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending", decided_at__isnull=True, decided_by__isnull=True)
                | (~models.Q(state="pending") & models.Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="fa_extension_decision_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="granted") | models.Q(new_due_date__isnull=False),
                name="fa_extension_granted_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Extension request ({self.get_state_display()})"


QUESTION_MAX_CHARS = 500


class InformationQuery(models.Model):
    """The provider asks the assessment team for information needed to check a point."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="queries")
    section = models.ForeignKey(ReportSection, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    question = models.CharField(max_length=QUESTION_MAX_CHARS)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answer="", answered_by__isnull=True, answered_at__isnull=True)
                | (~models.Q(answer="") & models.Q(answered_by__isnull=False, answered_at__isnull=False)),
                name="fa_query_answer_complete",
            )
        ]

    def __str__(self) -> str:
        return self.question[:60]
