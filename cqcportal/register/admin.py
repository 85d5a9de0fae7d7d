"""The register in the back office: providers, locations and the catalogues, each with its audit trail and history;
locations can be exported and moved to another relationship holder."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.core.admin import CsvExportMixin, ReassignMixin
from cqcportal.core.public_cache import public_pages_changed
from cqcportal.register.models import Location, Provider, PublishedRating, RegulatedActivity, ServiceType


class PublicRegisterMixin:
    """The register is public: an edit here is on the public pages at once (their cache moves on)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        public_pages_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        public_pages_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        public_pages_changed()


@admin.register(ServiceType)
class ServiceTypeAdmin(PublicRegisterMixin, AuditTrailMixin, SimpleHistoryAdmin):
    list_display = ["name", "sector", "is_rated", "rating_levels"]
    list_filter = ["sector", "is_rated"]
    search_fields = ["name", "description"]


@admin.register(RegulatedActivity)
class RegulatedActivityAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class LocationInline(admin.TabularInline):
    model = Location
    fields = ["cqc_id", "name", "postcode", "registration_status"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(Provider)
class ProviderAdmin(PublicRegisterMixin, AuditTrailMixin, CsvExportMixin, SimpleHistoryAdmin):
    list_display = ["name", "cqc_id", "type", "region", "registration_status", "registration_date"]
    list_filter = ["type", "region", "registration_status"]
    search_fields = ["name", "cqc_id", "postcode"]
    date_hierarchy = "registration_date"
    inlines = [LocationInline]


class PublishedRatingInline(admin.TabularInline):
    model = PublishedRating
    fields = ["key_question", "rating", "report_date", "source", "is_current"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        # Each row names its location (the rating's __str__): the location with the rating, not a query per row.
        return super().get_queryset(request).select_related("location")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(PublicRegisterMixin, AuditTrailMixin, CsvExportMixin, ReassignMixin, SimpleHistoryAdmin):
    list_display = ["name", "cqc_id", "provider", "postcode", "region", "registration_status", "relationship_holder"]
    list_filter = [
        "region",
        "registration_status",
        ("relationship_holder", admin.RelatedOnlyFieldListFilter),
        "care_home",
        "service_types",
    ]
    search_fields = [
        "name",
        "cqc_id",
        "postcode",
        "provider__name",
        "relationship_holder__full_name",
        "local_authority",
    ]
    csv_fields = [
        "cqc_id",
        "name",
        "provider",
        "address",
        "region",
        "local_authority",
        "registration_status",
        "registration_date",
        "relationship_holder",
    ]
    autocomplete_fields = ["provider", "relationship_holder"]
    filter_horizontal = ["service_types", "regulated_activities"]
    list_select_related = ["provider", "relationship_holder"]
    inlines = [PublishedRatingInline]

    def get_readonly_fields(self, request, obj=None):
        # An existing location's relationship holder moves only with the "Reassign" action, which records why
        # and tells the new holder; it can be set freely when the location is added.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "relationship_holder"] if obj is not None else fields
