from django.contrib import admin

from cqcportal.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The trail is evidence: readable by admin staff, changed by nobody."""

    list_display = ["occurred_at", "actor_description", "action", "subject_description", "from_state", "to_state"]
    list_filter = ["action"]
    search_fields = ["actor_description", "subject_description", "reason", "object_id"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
