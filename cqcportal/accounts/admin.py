from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from cqcportal.accounts.models import Delegation, ProviderMembership, User
from cqcportal.accounts.services import delegation_revoke, user_unlock


class MembershipInline(admin.StackedInline):
    model = ProviderMembership
    extra = 0
    autocomplete_fields = ["provider"]
    filter_horizontal = ["locations"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "kind", "is_active", "is_staff", "locked_until"]
    list_filter = ["kind", "is_active", "is_staff", "groups"]
    search_fields = ["full_name", "email"]
    readonly_fields = ["last_login", "date_joined", "failed_sign_in_count", "locked_until"]
    inlines = [MembershipInline]
    actions = ["unlock_accounts"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "job_title", "kind"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Sign-in", {"fields": ["last_login", "date_joined", "failed_sign_in_count", "locked_until"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "kind", "password1", "password2"]})]

    @admin.action(description="Unlock the selected accounts")
    def unlock_accounts(self, request, queryset):
        for user in queryset.filter(locked_until__isnull=False):
            user_unlock(by=request.user, user=user, reason="Unlocked by admin staff in the back office")
        self.message_user(request, "Unlocked.", messages.SUCCESS)


@admin.register(Delegation)
class DelegationAdmin(SimpleHistoryAdmin):
    list_display = ["delegate", "delegator", "provider", "start_date", "end_date", "revoked_at"]
    list_filter = ["provider"]
    search_fields = ["delegate__full_name", "delegator__full_name", "provider__name"]
    readonly_fields = [f.name for f in Delegation._meta.fields]
    actions = ["withdraw"]

    def has_add_permission(self, request):
        # Delegations are named by registered persons in the portal, where the rules are checked.
        return False

    @admin.action(description="Withdraw the selected delegations")
    def withdraw(self, request, queryset):
        for delegation in queryset.filter(revoked_at__isnull=True, end_date__gte=timezone.localdate()):
            delegation_revoke(by=request.user, delegation=delegation, reason="Withdrawn by admin staff")
        self.message_user(request, "Withdrawn.", messages.SUCCESS)
