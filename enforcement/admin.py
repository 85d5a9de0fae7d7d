"""Back office for enforcement: read-only for now; the services (record, serve, decide, appeal) get their
pages and admin buttons with the next slice of issue 7."""

from django.contrib import admin

from enforcement.models import Appeal, Breach, EnforcementAction, FitAndProperConcern, Representation


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

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
