from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from cqcportal.accounts.lockout import account_unlock, users_annotate_locked
from cqcportal.accounts.models import Delegation, ProviderMembership, Team, User
from cqcportal.accounts.services import delegation_revoke
from cqcportal.accounts.two_factor import second_factor_reset
from cqcportal.audit.admin import AuditTrailMixin, audit_log_url


class MembershipInline(admin.StackedInline):
    model = ProviderMembership
    extra = 0
    # Searched, not listed: a list of every location would put the whole register (about 54,000) on the page.
    autocomplete_fields = ["provider", "locations"]


@admin.register(User)
class UserAdmin(AuditTrailMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "kind", "team", "is_active", "is_staff", "locked", "second_factor"]
    list_filter = ["kind", "is_active", "is_staff", "groups", "team"]
    search_fields = ["full_name", "email"]
    list_select_related = ["team"]
    readonly_fields = ["last_login", "date_joined", "locked", "second_factor", "acts_in_audit_log"]
    inlines = [MembershipInline]
    actions = ["unlock_accounts", "reset_second_factor"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "job_title", "kind", "team"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Sign-in", {"fields": ["last_login", "date_joined", "locked", "second_factor"]}),
        ("What they did", {"fields": ["acts_in_audit_log"]}),
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

    @admin.display(description="In the audit log")
    def acts_in_audit_log(self, obj) -> str:
        return format_html(
            '<a href="{}">Everything this person did, or was done for them</a>', audit_log_url(person=obj.pk)
        )

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


@admin.register(Team)
class TeamAdmin(AuditTrailMixin, admin.ModelAdmin):
    """The regulator's teams: who is in each is set on the person; missed targets go to the operations manager."""

    list_display = ["name", "region", "operations_manager", "member_total"]
    list_filter = ["region"]
    search_fields = ["name", "operations_manager__full_name"]
    list_select_related = ["operations_manager"]
    autocomplete_fields = ["operations_manager"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="Members", ordering="member_count")
    def member_total(self, obj) -> int:
        return obj.member_count

    def has_delete_permission(self, request, obj=None):
        # Deadlines and people name their team; a team that ends is renamed or left empty, not deleted.
        return False


@admin.register(Delegation)
class DelegationAdmin(AuditTrailMixin, SimpleHistoryAdmin):
    list_display = ["delegate", "delegator", "provider", "start_date", "end_date", "revoked_at"]
    # Only providers that have delegations, not every provider on the register.
    list_filter = [("provider", admin.RelatedOnlyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["delegate__full_name", "delegator__full_name", "provider__name"]
    list_select_related = ["delegate", "delegator", "provider"]
    date_hierarchy = "start_date"
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
