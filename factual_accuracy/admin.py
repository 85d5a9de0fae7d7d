"""Back office for reports: state is read-only; every transition is a button that calls the portal's service, so
it is permission-checked, audited and notifies the same way."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django_fsm import can_proceed

from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.core.admin import CsvExportMixin
from factual_accuracy import services
from factual_accuracy.models import Comment, ExtensionRequest, InformationQuery, Report, ReportVersion, SupportingFile

# Button label, the model transition it stands for (to show it only when allowed), and the service call.
ADMIN_TRANSITIONS = {
    "submit": ("Send to quality review", "submit_for_quality_review", services.report_submit_for_quality_review),
    "pass": ("Pass quality review", "pass_quality_review", services.report_quality_review_pass),
    "send": (
        "Send for the factual accuracy check",
        "send_for_factual_accuracy",
        lambda *, by, report: services.report_send_for_factual_accuracy(
            by=by, report=report, today=timezone.localdate()
        ),
    ),
    "respond": ("Start responding", "start_responding", services.report_start_responding),
    "check": (
        "Send for an independent check",
        "send_for_independent_check",
        services.report_send_for_independent_check,
    ),
    "check-pass": ("Pass the independent check", "pass_independent_check", services.report_independent_check_pass),
    "ready": ("Mark ready to publish", "mark_ready_to_publish", services.report_mark_ready_to_publish),
    "publish": ("Publish", "publish", services.report_publish),
}


class VersionInline(admin.TabularInline):
    model = ReportVersion
    extra = 0
    can_delete = False
    fields = readonly_fields = ["number", "reason", "created_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["location", "provider", "state", "created_at", "sent_for_factual_accuracy_at", "published_at"]
    list_filter = ["state", "location__region"]
    search_fields = ["location__name", "provider__name", "location__cqc_id"]
    list_select_related = ["location", "provider"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Report._meta.fields if f.name != "id"]
    inlines = [VersionInline]
    change_form_template = "admin/factual_accuracy/report/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/<slug:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="factual_accuracy_report_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk, action):
        change_url = reverse("admin:factual_accuracy_report_change", args=[pk])
        if request.method != "POST":
            return redirect(change_url)
        report = get_object_or_404(Report, pk=pk)
        reason = request.POST.get("reason", "")[:500]
        try:
            if action == "withdraw":
                services.report_withdraw(
                    by=request.user, report=report, reason=reason, seen_state=request.POST.get("seen_state") or None
                )
                label = "Withdrawn"
            elif action in ADMIN_TRANSITIONS:
                label, _, service = ADMIN_TRANSITIONS[action]
                service(by=request.user, report=report)
            else:
                messages.error(request, "That is not something a report can do.")
                return redirect(change_url)
        except services.ReportCannotChange as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{label}: done, audited, and notified as in the portal.")
        return redirect(change_url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        buttons = []
        if report is not None:
            buttons = [
                (label, reverse("admin:factual_accuracy_report_transition", args=[object_id, action]))
                for action, (label, transition, _) in ADMIN_TRANSITIONS.items()
                if can_proceed(getattr(report, transition))
            ]
        extra_context = {
            **(extra_context or {}),
            "transition_buttons": buttons,
            "can_withdraw": report is not None and can_proceed(report.withdraw),
            "seen_state": report.state if report is not None else "",
            "withdraw_url": reverse("admin:factual_accuracy_report_transition", args=[object_id, "withdraw"]),
            "portal_url": reverse("factual_accuracy:report", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


class ReadOnlyAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Records the portal's services write; admin staff read, search and filter them."""

    def get_readonly_fields(self, request, obj=None):
        return [
            *(f.name for f in self.model._meta.fields if f.name != "id"),
            *super().get_readonly_fields(request, obj),
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["report", "section", "kind", "created_by", "submission", "outcome"]
    list_filter = ["kind", "outcome", ("submission", admin.EmptyFieldListFilter)]
    search_fields = ["report__location__name", "text"]
    date_hierarchy = "created_at"
    list_select_related = ["report__location", "section", "created_by", "submission"]


@admin.register(SupportingFile)
class SupportingFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "comment", "file_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["file_type"]
    search_fields = ["name", "sha256", "comment__report__location__name"]
    list_select_related = ["uploaded_by", "comment"]
    date_hierarchy = "uploaded_at"
    exclude = ["file"]  # served only through the portal's permission-checked, audited view


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["report", "state", "requested_by", "requested_at", "due_date_when_asked", "new_due_date"]
    list_filter = ["state"]
    search_fields = ["report__location__name"]
    list_select_related = ["report__location", "requested_by"]
    date_hierarchy = "requested_at"


@admin.register(InformationQuery)
class InformationQueryAdmin(ReadOnlyAdmin):
    list_display = ["report", "asked_by", "asked_at", "answered_at"]
    list_filter = [("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["report__location__name", "question"]
    list_select_related = ["report__location", "asked_by"]
    date_hierarchy = "asked_at"
