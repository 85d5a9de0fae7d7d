"""Sign-in lock-out, counted by django-axes (docs/adr/0012-signing-in.md).

Axes counts failures per account in its AccessAttempt table: wrong passwords (Django's
``user_login_failed`` signal) and wrong second-factor codes (sent the same way by the two-factor page).
This module is the portal's side of it: the account key axes counts by, whether an account is locked
now, the audit event when it locks, and unlocking (by admin staff, or by resetting the password).
"""

from __future__ import annotations

import datetime

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.utils import timezone

from cqcportal.audit.services import audit_event_record


def account_key(email: str | None) -> str:
    """The key failures are counted under: the e-mail address as typed, trimmed and lower-cased."""
    return (email or "").strip().lower()


def axes_username(request, credentials) -> str:
    """AXES_USERNAME_CALLABLE: the same account key whether the e-mail came in credentials or a form."""
    credentials = credentials or {}
    email = credentials.get("username") or credentials.get("email")
    if email is None and request is not None:
        email = getattr(request, "POST", {}).get("email")
    return account_key(email)


def _live_attempts(now: datetime.datetime) -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gt=now - settings.AXES_COOLOFF_TIME,
    )


def account_locked_until(email: str, *, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the account's lock-out ends, or None if it is not locked."""
    now = now or timezone.now()
    attempt = _live_attempts(now).filter(username=account_key(email)).order_by("-attempt_time").first()
    return attempt.attempt_time + settings.AXES_COOLOFF_TIME if attempt else None


def users_annotate_locked(queryset):
    """Add ``is_locked`` to a User queryset in the same query (for lists)."""
    now = timezone.now()
    return queryset.annotate(is_locked=Exists(_live_attempts(now).filter(username=Lower(OuterRef("email")))))


def account_unlock(*, by, user, reason: str) -> bool:
    """Lift a lock-out early and clear the failures counted so far. Audited when there was a lock."""
    from cqcportal.accounts.services import _provider_of_user

    with transaction.atomic():
        was_locked = account_locked_until(user.email) is not None
        axes_reset(username=account_key(user.email))
        if was_locked:
            audit_event_record(
                by=by,
                subject=user,
                action="user.unlock",
                from_state="locked",
                to_state="active",
                reason=reason,
                provider=_provider_of_user(user),
            )
    return was_locked


def failed_second_factor_record(*, request, user) -> None:
    """A wrong second-factor code counts towards the lock-out like a wrong password."""
    user_login_failed.send(sender=__name__, credentials={"username": account_key(user.email)}, request=request)


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def _audit_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """Audit the moment an account locks (once per lock-out, not for each refused try during it)."""
    from cqcportal.accounts.models import User
    from cqcportal.accounts.services import _provider_of_user
    from cqcportal.audit.models import AuditEvent

    user = User.objects.filter(email__iexact=username).first()
    if user is None:
        return
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    with transaction.atomic():
        already = AuditEvent.objects.filter(
            action="user.locked", object_id=str(user.pk), occurred_at__gte=since, content_type__model="user"
        ).exists()
        if not already:
            audit_event_record(
                by=None,
                subject=user,
                action="user.locked",
                from_state="active",
                to_state="locked",
                reason=f"{settings.AXES_FAILURE_LIMIT} failed sign-in attempts",
                provider=_provider_of_user(user),
            )


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: end any half-finished sign-in and show the locked page (no e-mail in the URL)."""
    from django.contrib.auth import logout
    from django.shortcuts import redirect

    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        logout(request)
    return redirect("accounts:locked")
