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
    summary = models.TextField(blank=True, help_text="The overall summary.")
    peoples_experience = models.TextField(blank=True, help_text="A summary of people's experience.")
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
    def withdraw(self, *, reason):
        self.withdrawn_reason = reason


class ReportSection(models.Model):
    """A section of a report: the overall summary, a key question, or a quality statement."""

    class Kind(models.TextChoices):
        OVERALL = "overall", "Overall summary"
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
