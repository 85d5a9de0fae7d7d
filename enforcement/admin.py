"""Back office for enforcement: state is read-only; serving is a button through the portal's service, and the
steps that need words (decisions, responses, appeals) link to the portal page where the same services take them."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone

from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.core.admin import CsvExportMixin
from enforcement import services
from enforcement.models import (
    Appeal,
    Breach,
    EnforcementAction,
    EscalationTask,
    FitAndProperConcern,
    Representation,
    RepresentationFile,
    SpecialMeasures,
)


class BreachInline(admin.TabularInline):
    model = Breach
    extra = 0
    can_delete = False
    fields = readonly_fields = ["regulation", "key_question"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EnforcementAction)
class EnforcementActionAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["kind", "proposal", "provider", "location", "state", "decided_by", "served_on", "published_at"]
    list_filter = ["kind", "state", "proposal"]
    search_fields = ["provider__name", "location__name", "location__cqc_id", "decided_by__full_name"]
    list_select_related = ["provider", "location", "decided_by"]
    date_hierarchy = "decided_at"
    readonly_fields = [f.name for f in EnforcementAction._meta.fields if f.name != "id"]
    inlines = [BreachInline]
    change_form_template = "admin/enforcement/enforcementaction/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/serve/",
                self.admin_site.admin_view(self.serve_view),
                name="enforcement_enforcementaction_serve",
            ),
            *super().get_urls(),
        ]

    def serve_view(self, request, pk):
        change_url = reverse("admin:enforcement_enforcementaction_change", args=[pk])
        if request.method == "POST":
            action = get_object_or_404(EnforcementAction, pk=pk)
            try:
                services.action_serve(by=request.user, action=action, today=timezone.localdate())
            except services.EnforcementCannotChange as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "Served: audited, the provider told, the ratings limited, as in the portal.")
        return redirect(change_url)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        action = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_serve": action is not None and action.state == "draft",
            "serve_url": reverse("admin:enforcement_enforcementaction_serve", args=[object_id]),
            "portal_url": reverse("enforcement:action", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)


class RepresentationFileInline(admin.TabularInline):
    """Which files were sent; the files themselves are served only through the portal's checked, audited view."""

    model = RepresentationFile
    extra = 0
    can_delete = False
    fields = readonly_fields = ["name", "file_type", "size", "uploaded_by", "uploaded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Representation)
class RepresentationAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["action", "provider", "regulated_activity", "submitted_at", "responded_at"]
    list_filter = [
        ("submitted_at", admin.EmptyFieldListFilter),
        ("responded_at", admin.EmptyFieldListFilter),
        "action__kind",
    ]
    search_fields = ["action__provider__name", "action__location__name", "action__location__cqc_id"]
    list_select_related = ["action__provider", "regulated_activity"]
    readonly_fields = [f.name for f in Representation._meta.fields if f.name != "id"]
    inlines = [RepresentationFileInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("action__provider", "regulated_activity")

    @admin.display(description="Provider", ordering="action__provider__name")
    def provider(self, obj: Representation) -> str:
        return obj.action.provider.name

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["action", "provider", "lodged_on", "outcome", "outcome_on"]
    list_filter = ["outcome"]
    search_fields = ["action__provider__name", "action__location__name"]
    list_select_related = ["action__provider"]
    date_hierarchy = "lodged_on"

    @admin.display(description="Provider", ordering="action__provider__name")
    def provider(self, obj: Appeal) -> str:
        return obj.action.provider.name

    readonly_fields = [f.name for f in Appeal._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FitAndProperConcern)
class FitAndProperConcernAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["director_name", "provider", "received_on", "state", "outcome"]
    list_filter = ["state", "outcome"]
    search_fields = ["director_name", "provider__name"]
    list_select_related = ["provider"]
    date_hierarchy = "received_on"
    readonly_fields = [f.name for f in FitAndProperConcern._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SpecialMeasures)
class SpecialMeasuresAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["location", "provider", "entered_date", "review_by_date", "state"]
    list_filter = ["state"]
    search_fields = ["location__name", "location__cqc_id", "provider__name"]
    list_select_related = ["location", "provider"]
    date_hierarchy = "entered_date"

    def get_readonly_fields(self, request, obj=None):
        # Everything read-only, plus the audit trail the mixin adds (so call it, not only the field list).
        fields = [f.name for f in SpecialMeasures._meta.fields if f.name != "id"]
        return [*fields, *(f for f in super().get_readonly_fields(request, obj) if f not in fields)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscalationTask)
class EscalationTaskAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["location", "provider", "kind", "state", "meeting_date", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["location__name", "location__cqc_id", "provider__name"]
    list_select_related = ["location", "provider"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        # Everything read-only, plus the audit trail the mixin adds (so call it, not only the field list).
        fields = [f.name for f in EscalationTask._meta.fields if f.name != "id"]
        return [*fields, *(f for f in super().get_readonly_fields(request, obj) if f not in fields)]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
