"""The staff roles and the model permissions each one's group holds.

Groups are synced from this table after every migrate (accounts.apps), so a new permission lands
everywhere at once; admin staff can see the groups in Django admin but the table is the source.
Object-level rules (whose records) live in accounts/rules.py.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from cqcportal.accounts.models import StaffRole

_VIEW_REGISTER = [
    "register.view_provider",
    "register.view_location",
    "register.view_servicetype",
    "register.view_regulatedactivity",
    "register.view_publishedrating",
    "accounts.view_user",
    "accounts.view_providermembership",
    "accounts.view_delegation",
    "audit.view_auditevent",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    StaffRole.INSPECTOR: _VIEW_REGISTER,
    StaffRole.ASSESSOR: _VIEW_REGISTER,
    StaffRole.REGULATORY_COORDINATOR: [*_VIEW_REGISTER, "register.change_location", "register.change_provider"],
    StaffRole.OPERATIONS_MANAGER: [*_VIEW_REGISTER, "register.change_location", "register.change_provider"],
    StaffRole.DEPUTY_DIRECTOR: _VIEW_REGISTER,
    StaffRole.CHIEF_INSPECTOR: _VIEW_REGISTER,
    StaffRole.ADMIN_STAFF: [
        *_VIEW_REGISTER,
        "register.add_provider",
        "register.change_provider",
        "register.add_location",
        "register.change_location",
        "register.add_servicetype",
        "register.change_servicetype",
        "register.add_regulatedactivity",
        "register.change_regulatedactivity",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.add_providermembership",
        "accounts.change_providermembership",
        "notifications.view_notification",
        "alerts.view_subscription",
        "alerts.view_publicevent",
        "deadlines.view_deadline",
        "deadlines.change_deadline",
        "deadlines.view_extraholiday",
        "deadlines.add_extraholiday",
        "assessments.view_informationrequest",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.view_intervalschedule",
    ],
}


# Admin staff live in the back office: they may look at every record of these apps there (changes go
# through the transition buttons and actions, which call the services and their own checks).
ADMIN_STAFF_VIEW_APPS = (
    "accounts",
    "register",
    "assessments",
    "factual_accuracy",
    "enforcement",
    "complaints",
    "deadlines",
    "notifications",
    "alerts",
    "audit",
    "axes",
    "otp_totp",
    "auth",
    "django_celery_beat",
)


def roles_sync() -> None:
    """Create each role's group and give it exactly the permissions in ROLE_PERMISSIONS (plus, for admin
    staff, viewing every model of ADMIN_STAFF_VIEW_APPS)."""
    wanted = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    by_code = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={code.split(".", 1)[1] for code in wanted}
        )
    }
    admin_views = list(
        Permission.objects.filter(content_type__app_label__in=ADMIN_STAFF_VIEW_APPS, codename__startswith="view_")
    )
    with transaction.atomic():
        for role, codes in ROLE_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=str(role))
            permissions = {by_code[c] for c in codes if c in by_code}
            if role == StaffRole.ADMIN_STAFF:
                permissions.update(admin_views)
            group.permissions.set(permissions)
