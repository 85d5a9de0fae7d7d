"""Back office for enforcement: state is read-only; serving is a button through the portal's service, and the
steps that need words (decisions, responses, appeals) link to the portal page where the same services take them."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone

from enforcement import services
from enforcement.models import (
    Appeal,
    Breach,
    EnforcementAction,
    EscalationTask,
    FitAndProperConcern,
    Representation,
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
class EnforcementActionAdmin(admin.ModelAdmin):
    list_display = ["kind", "proposal", "provider", "location", "state", "served_on", "published_at"]
    list_filter = ["kind", "state"]
    search_fields = ["provider__name", "location__name", "location__cqc_id"]
    list_select_related = ["provider", "location"]
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


@admin.register(Representation)
class RepresentationAdmin(admin.ModelAdmin):
    list_display = ["action", "regulated_activity", "submitted_at", "responded_at"]
    list_select_related = ["action", "regulated_activity"]
    readonly_fields = [f.name for f in Representation._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["action", "lodged_on", "outcome", "outcome_on"]
    readonly_fields = [f.name for f in Appeal._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FitAndProperConcern)
class FitAndProperConcernAdmin(admin.ModelAdmin):
    list_display = ["director_name", "provider", "received_on", "state", "outcome"]
    list_filter = ["state", "outcome"]
    search_fields = ["director_name", "provider__name"]
    list_select_related = ["provider"]
    readonly_fields = [f.name for f in FitAndProperConcern._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SpecialMeasures)
class SpecialMeasuresAdmin(admin.ModelAdmin):
    list_display = ["location", "entered_date", "state"]
    list_filter = ["state"]
    search_fields = ["location__name", "location__cqc_id"]
    list_select_related = ["location"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in SpecialMeasures._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscalationTask)
class EscalationTaskAdmin(admin.ModelAdmin):
    list_display = ["location", "kind", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["location__name"]
    list_select_related = ["location"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in EscalationTask._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
