from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cqcportal.register.models import Location, Provider, PublishedRating, RegulatedActivity, ServiceType


@admin.register(ServiceType)
class ServiceTypeAdmin(SimpleHistoryAdmin):
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
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "cqc_id", "type", "region", "registration_status"]
    list_filter = ["type", "region", "registration_status"]
    search_fields = ["name", "cqc_id", "postcode"]
    inlines = [LocationInline]


class PublishedRatingInline(admin.TabularInline):
    model = PublishedRating
    fields = ["key_question", "rating", "report_date", "source", "is_current"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "cqc_id", "provider", "postcode", "region", "registration_status", "relationship_holder"]
    list_filter = ["region", "registration_status", "service_types"]
    search_fields = ["name", "cqc_id", "postcode", "provider__name"]
    autocomplete_fields = ["provider", "relationship_holder"]
    filter_horizontal = ["service_types", "regulated_activities"]
    list_select_related = ["provider", "relationship_holder"]
    inlines = [PublishedRatingInline]
