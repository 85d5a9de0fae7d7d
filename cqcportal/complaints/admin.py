"""Complaints in the back office: read, search and filter. Recording, escalating and closing go through the portal's
pages (and so its services), because each moves a target on the clock and may pause or resume rating reviews."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.complaints.models import Complaint
from cqcportal.core.admin import CsvExportMixin


@admin.register(Complaint)
class ComplaintAdmin(AuditTrailMixin, CsvExportMixin, admin.ModelAdmin):
    list_display = ["__str__", "complainant", "location", "stage", "state", "received_date", "closed_at"]
    list_filter = ["state", "stage", "received_date"]
    search_fields = ["complainant", "about", "location__name", "location__cqc_id", "provider__name"]
    list_select_related = ["location"]
    date_hierarchy = "received_date"
    readonly_fields = ["portal_page", *[f.name for f in Complaint._meta.fields if f.name != "id"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="In the portal")
    def portal_page(self, obj: Complaint) -> str:
        return format_html(
            '<a href="{}">Open the complaint\'s page to move it to formal investigation or close it</a>',
            reverse("complaints:detail", args=[obj.pk]),
        )
