from django.contrib import admin

from factual_accuracy.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only for now: the report's transitions are services, with buttons to come with its pages."""

    list_display = ["location", "state", "created_at", "sent_for_factual_accuracy_at", "published_at"]
    list_filter = ["state"]
    search_fields = ["location__name"]
    list_select_related = ["location"]
    readonly_fields = [f.name for f in Report._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
