"""Assessments, information requests, the framework and rating reviews in the back office. State is read-only;
transitions are buttons through the portal's services; cases can be exported and reassigned; each record shows its
audit trail."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone

from assessments import review_services
from assessments.models import (
    Assessment,
    AssessmentTeamMember,
    EnforcementLimit,
    EvidenceCategory,
    EvidenceItem,
    InformationRequest,
    InformationRequestState,
    QualityStatement,
    RatingChallenge,
    RatingDeparture,
    RatingReview,
    RatingReviewChange,
    StatementScore,
)
from assessments.services import InformationRequestCannotReview, information_request_review
from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.core.admin import CsvExportMixin, ReassignMixin


@admin.register(InformationRequest)
class InformationRequestAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    """State is read-only here; transitions are buttons that call the same services as the portal."""

    list_display = ["location", "provider", "state", "requested_by", "requested_at", "submitted_at"]
    list_filter = ["state"]
    search_fields = ["location__name", "provider__name", "location__cqc_id"]
    list_select_related = ["location", "provider", "requested_by"]
    date_hierarchy = "requested_at"
    readonly_fields = [f.name for f in InformationRequest._meta.fields if f.name != "id"]
    change_form_template = "admin/assessments/informationrequest/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="assessments_informationrequest_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, pk):
        if request.method != "POST":
            return redirect(reverse("admin:assessments_informationrequest_change", args=[pk]))
        info = get_object_or_404(InformationRequest, pk=pk)
        try:
            information_request_review(by=request.user, request=info)
        except InformationRequestCannotReview as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Marked as reviewed (audited, and the response target is met).")
        return redirect(reverse("admin:assessments_informationrequest_change", args=[pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        info = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_review": info is not None and info.state == InformationRequestState.SUBMITTED,
            "review_url": reverse("admin:assessments_informationrequest_review", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(QualityStatement)
class QualityStatementAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Admin staff edit the framework; a statement is retired, never deleted, so past scores keep their meaning."""

    list_display = ["name", "key_question", "api_id", "order", "retired_at"]
    list_filter = ["key_question", "retired_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug", "retired_at"]
    filter_horizontal = ["priority_for"]
    actions = ["retire"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retire the selected statements")
    def retire(self, request, queryset):
        queryset.filter(retired_at__isnull=True).update(retired_at=timezone.now())


@admin.register(EvidenceCategory)
class EvidenceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]

    def has_delete_permission(self, request, obj=None):
        return False


class ScoreInline(admin.TabularInline):
    model = StatementScore
    extra = 0
    can_delete = False
    readonly_fields = ["statement", "score", "scored_by", "scored_at", "version"]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement", "scored_by")

    def has_add_permission(self, request, obj=None):
        return False


class TeamInline(admin.TabularInline):
    model = AssessmentTeamMember
    extra = 0
    can_delete = False
    fields = readonly_fields = ["name", "role", "user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    """What evidence there is; its documents are served only through the workspace's checked, audited view."""

    model = EvidenceItem
    extra = 0
    can_delete = False
    fields = readonly_fields = ["statement", "category", "note", "source", "added_by", "added_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement", "category", "added_by")

    def has_add_permission(self, request, obj=None):
        return False


class DepartureInline(admin.TabularInline):
    model = RatingDeparture
    extra = 0
    can_delete = False
    fields = readonly_fields = ["key_question", "calculated_rating", "rating", "rationale", "by", "review_state"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(AuditTrailMixin, CsvExportMixin, ReassignMixin, admin.ModelAdmin):
    """Read-mostly: scores are given in the workspace, where the rules and the version check apply. The lead moves
    with the "Reassign" action (and their open targets on the case with them)."""

    list_display = ["location", "provider", "kind", "state", "lead", "onsite_start_date", "completed_at"]
    list_filter = ["state", "kind", "announced", ("lead", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["location__name", "location__cqc_id", "provider__name", "lead__full_name"]
    list_select_related = ["location", "provider", "lead"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Assessment._meta.fields if f.name != "id"]
    exclude = ["statements"]
    inlines = [TeamInline, ScoreInline, EvidenceInline, DepartureInline]

    def get_queryset(self, request):
        # The change page names the location, provider and lead: one query, not four.
        return super().get_queryset(request).select_related("location", "provider", "lead")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EnforcementLimit)
class EnforcementLimitAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Recorded here until the enforcement flow writes them; the working applies them at once."""

    list_display = ["location", "key_question", "action", "in_force_from", "lifted_on"]
    list_filter = ["action", "key_question"]
    search_fields = ["location__name", "reason"]
    autocomplete_fields = ["location"]

    def has_delete_permission(self, request, obj=None):
        return False


class ChallengeInline(admin.TabularInline):
    model = RatingChallenge
    extra = 0
    can_delete = False
    fields = readonly_fields = ["key_question", "grounds"]

    def has_add_permission(self, request, obj=None):
        return False


class ChangeInline(admin.TabularInline):
    model = RatingReviewChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["key_question", "from_rating", "to_rating"]

    def has_add_permission(self, request, obj=None):
        return False


# Steps that need only a click; the others (a refusal letter, a reviewer, a recommendation, a decision) need
# words or choices, so admin links to the portal page where the same services take them.
REVIEW_BUTTONS = {
    "check": ("Start checking the grounds", "start_grounds_check", review_services.rating_review_start_grounds_check),
    "accept": ("Accept the grounds", "accept", review_services.rating_review_accept),
    "close": ("Close the review", "close", review_services.rating_review_close),
}


@admin.register(RatingDeparture)
class RatingDepartureAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    """Departures from the calculated rating, queued for quality review; agreed or rejected in the portal."""

    list_display = ["assessment", "key_question", "calculated_rating", "rating", "by", "at", "review_state"]
    list_filter = ["review_state", "key_question"]
    search_fields = ["assessment__location__name", "rationale", "by__full_name"]
    list_select_related = ["assessment__location", "by"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in RatingDeparture._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RatingReview)
class RatingReviewAdmin(AuditTrailMixin, CsvExportMixin, ReassignMixin, admin.ModelAdmin):
    list_display = ["location", "provider", "state", "reviewer", "submitted_at", "decided_at"]
    list_filter = ["state", ("reviewer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["location__name", "provider__name", "location__cqc_id", "reviewer__full_name"]
    list_select_related = ["location", "provider", "reviewer"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in RatingReview._meta.fields if f.name != "id"]
    inlines = [ChallengeInline, ChangeInline]
    change_form_template = "admin/assessments/ratingreview/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/<slug:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="assessments_ratingreview_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk, action):
        change_url = reverse("admin:assessments_ratingreview_change", args=[pk])
        if request.method != "POST" or action not in REVIEW_BUTTONS:
            return redirect(change_url)
        review = get_object_or_404(RatingReview, pk=pk)
        label, _, service = REVIEW_BUTTONS[action]
        try:
            service(by=request.user, review=review)
        except review_services.RatingReviewCannotChange as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{label}: done and audited.")
        return redirect(change_url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from django_fsm import can_proceed

        review = self.get_object(request, object_id)
        buttons = []
        if review is not None:
            buttons = [
                (label, reverse("admin:assessments_ratingreview_transition", args=[object_id, action]))
                for action, (label, transition, _) in REVIEW_BUTTONS.items()
                if can_proceed(getattr(review, transition))
            ]
        extra_context = {
            **(extra_context or {}),
            "transition_buttons": buttons,
            "portal_url": reverse("assessments:rating-review", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)
