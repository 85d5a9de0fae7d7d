from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from cqcportal.accounts.lockout import account_unlock, users_annotate_locked
from cqcportal.accounts.models import Delegation, ProviderMembership, User
from cqcportal.accounts.services import delegation_revoke
from cqcportal.accounts.two_factor import second_factor_reset


class MembershipInline(admin.StackedInline):
    model = ProviderMembership
    extra = 0
    autocomplete_fields = ["provider"]
    filter_horizontal = ["locations"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "kind", "is_active", "is_staff", "locked", "second_factor"]
    list_filter = ["kind", "is_active", "is_staff", "groups"]
    search_fields = ["full_name", "email"]
    readonly_fields = ["last_login", "date_joined", "locked", "second_factor"]
    inlines = [MembershipInline]
    actions = ["unlock_accounts", "reset_second_factor"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "job_title", "kind"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Sign-in", {"fields": ["last_login", "date_joined", "locked", "second_factor"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "kind", "password1", "password2"]})]

    def get_queryset(self, request):
        # Whether each account is locked, and has a second factor, in the list's own query (no query per row).
        queryset = users_annotate_locked(super().get_queryset(request))
        return queryset.annotate(
            has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        )

    @admin.display(boolean=True, description="Locked", ordering="is_locked")
    def locked(self, obj) -> bool:
        return bool(getattr(obj, "is_locked", False))

    @admin.display(boolean=True, description="Second factor set up")
    def second_factor(self, obj) -> bool:
        return bool(getattr(obj, "has_second_factor", False))

    @admin.action(description="Unlock the selected accounts", permissions=["change"])
    def unlock_accounts(self, request, queryset):
        unlocked = sum(
            account_unlock(by=request.user, user=user, reason="Unlocked by admin staff in the back office")
            for user in queryset
        )
        self.message_user(request, f"Unlocked {unlocked} account(s).", messages.SUCCESS)

    @admin.action(
        description="Reset the second factor (lost phone): they set it up again at next sign-in", permissions=["change"]
    )
    def reset_second_factor(self, request, queryset):
        count = 0
        for user in queryset:
            count += second_factor_reset(by=request.user, user=user, reason="Reset by admin staff in the back office")
        self.message_user(request, f"Reset the second factor of {count} account(s).", messages.SUCCESS)


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
