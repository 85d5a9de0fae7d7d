"""Read-only lists for admin staff: who follows what, and the events the digests are made of."""

from django.contrib import admin

from cqcportal.alerts.models import PublicEvent, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["email", "location", "provider", "local_authority", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = [("confirmed_at", admin.EmptyFieldListFilter), ("unsubscribed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["location", "provider"]
    search_fields = ["email", "location__name", "provider__name", "local_authority"]
    date_hierarchy = "created_at"


@admin.register(PublicEvent)
class PublicEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "title", "location", "url"]
    list_filter = ["kind"]
    list_select_related = ["location"]
    search_fields = ["title", "location__name", "dedupe_key"]
    date_hierarchy = "occurred_at"
