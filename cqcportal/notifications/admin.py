from django.contrib import admin

from cqcportal.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to_email", "subject", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    search_fields = ["to_email", "subject", "dedupe_key"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
