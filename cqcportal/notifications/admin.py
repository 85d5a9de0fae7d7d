"""Notifications in the back office: what was sent to whom, what failed and why; sending one again is an action
through the usual queue, audited."""

from django.contrib import admin, messages

from cqcportal.accounts import rules as perms
from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.core.admin import CsvExportMixin
from cqcportal.core.services import NotificationCannotResend, notification_resend
from cqcportal.notifications.models import Notification


class SentFilter(admin.SimpleListFilter):
    title = "sending"
    parameter_name = "sending"

    def lookups(self, request, model_admin):
        return [("sent", "Sent"), ("waiting", "Not sent yet"), ("failing", "Failed at least once, not sent")]

    def queryset(self, request, queryset):
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "waiting":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(sent_at__isnull=True, attempts__gt=0)
        return queryset


@admin.register(Notification)
class NotificationAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["created_at", "to_email", "subject", "kind", "sent_at", "attempts", "last_error"]
    list_filter = [SentFilter, "kind"]
    search_fields = ["to_email", "subject", "dedupe_key", "recipient__full_name"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
    csv_fields = ["created_at", "to_email", "subject", "kind", "sent_at", "attempts", "last_error"]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request) -> bool:
        return perms.is_admin_staff(request.user)

    @admin.action(description="Send the selected again", permissions=["resend"])
    def resend(self, request, queryset):
        sent = 0
        for notification in queryset.order_by("pk"):
            try:
                notification_resend(by=request.user, notification=notification)
            except NotificationCannotResend as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            sent += 1
        self.message_user(request, f"{sent} notification(s) queued to be sent again; each is in the audit trail.")
