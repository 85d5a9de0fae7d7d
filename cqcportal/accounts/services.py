"""Writes for accounts: signing in with lock-out, provider users, and delegations."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cqcportal.accounts import rules as perms
from cqcportal.accounts.lockout import account_key, account_locked_until, account_unlock
from cqcportal.accounts.models import Delegation, ProviderMembership, ProviderRole, StaffRole, User
from cqcportal.audit.services import audit_event_record


class UserCannotSignInLocked(Exception):
    """Too many failed attempts: the account is locked until ``locked_until``."""

    def __init__(self, locked_until: datetime.datetime):
        super().__init__(f"locked until {locked_until.isoformat()}")
        self.locked_until = locked_until


class UserCannotSignInBadCredentials(Exception):
    """The e-mail address and password do not match an active account."""


class DelegationCannotCreate(ValidationError):
    """The delegation breaks a rule; the message says which, for the person filling in the form."""


class DelegationCannotRevoke(Exception):
    """Only a registered person of the provider, or admin staff, may withdraw a delegation."""


def user_sign_in_attempt(*, request, email: str, password: str) -> User:
    """Check credentials; django-axes counts the failures and locks the account (accounts/lockout.py).

    :raises UserCannotSignInLocked: when the account is locked, or this failure locks it.
    :raises UserCannotSignInBadCredentials: when the credentials are wrong.
    """
    key = account_key(email)
    user = authenticate(request, username=key, password=password)
    if user is not None:
        return user
    locked_until = account_locked_until(key)
    if getattr(request, "axes_locked_out", False) or locked_until is not None:
        raise UserCannotSignInLocked(locked_until or timezone.now() + settings.AXES_COOLOFF_TIME)
    raise UserCannotSignInBadCredentials()


def user_unlock(*, by: User, user: User, reason: str) -> None:
    """Lift a lock-out early (admin staff, after checking who is asking)."""
    account_unlock(by=by, user=user, reason=reason)


def staff_user_create(
    *, email: str, full_name: str, roles: list[StaffRole], password: str | None = None, **extra
) -> User:
    """Create a member of the regulator's staff with the given roles."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, kind=User.Kind.STAFF, **extra
        )
        user.groups.set(Group.objects.filter(name__in=[str(r) for r in roles]))
    return user


def provider_user_create(
    *, email: str, full_name: str, provider, role: ProviderRole, locations=(), password: str | None = None, **extra
) -> User:
    """Create a provider's user with their membership and, for a registered manager, their locations."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, kind=User.Kind.PROVIDER, **extra
        )
        membership = ProviderMembership.objects.create(user=user, provider=provider, role=role)
        if locations:
            membership.locations.set(locations)
    return user


def delegation_create(
    *,
    by: User,
    delegator: User,
    delegate: User,
    start_date: datetime.date,
    end_date: datetime.date,
    reason: str,
    today: datetime.date,
) -> Delegation:
    """Let ``delegate`` act for the registered person ``delegator`` between two dates, inclusive.

    :raises DelegationCannotCreate: with a message for the form when a rule is broken.
    """
    delegator_membership = perms.membership_of(delegator)
    if delegator_membership is None or not delegator_membership.is_registered_person:
        raise DelegationCannotCreate("Only a registered person can name a delegate.", code="not_registered_person")
    provider = delegator_membership.provider
    if not by.has_perm("portal.manage_delegations", provider):
        raise DelegationCannotCreate("You cannot name delegates for this organisation.", code="forbidden")
    if by.is_provider_user and by.pk != delegator.pk:
        raise DelegationCannotCreate("You can only name a delegate for yourself.", code="not_self")
    delegate_membership = perms.membership_of(delegate)
    if delegate_membership is None or delegate_membership.provider_id != provider.pk:
        raise DelegationCannotCreate("The delegate must be a user at the same organisation.", code="other_provider")
    if delegate.pk == delegator.pk:
        raise DelegationCannotCreate("You cannot name yourself as your delegate.", code="self")
    if end_date < start_date:
        raise DelegationCannotCreate("The end date must be the same as or after the start date.", code="dates")
    if end_date < today:
        raise DelegationCannotCreate("The end date must be today or in the future.", code="past")
    if (end_date - start_date).days > 366:
        raise DelegationCannotCreate("A delegation can last at most a year.", code="too_long")
    with transaction.atomic():
        # Lock the delegator's row so two clicks of "save" cannot both pass the overlap check.
        User.objects.select_for_update().get(pk=delegator.pk)
        overlapping = Delegation.objects.filter(
            delegator=delegator,
            delegate=delegate,
            revoked_at__isnull=True,
            start_date__lte=end_date,
            end_date__gte=start_date,
        ).exists()
        if overlapping:
            raise DelegationCannotCreate(
                f"{delegate.full_name} is already your delegate for some of those dates.", code="overlap"
            )
        delegation = Delegation(
            delegator=delegator,
            delegate=delegate,
            provider=provider,
            start_date=start_date,
            end_date=end_date,
            reason=reason,
            created_by=by,
        )
        delegation.full_clean()
        delegation.save()
        audit_event_record(
            by=by,
            subject=delegation,
            action="delegation.create",
            to_state="active",
            reason=reason,
            data={"start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "delegate": delegate.pk},
        )
    return delegation


def delegation_revoke(*, by: User, delegation: Delegation, reason: str = "") -> Delegation:
    """Withdraw a delegation now; a second click finds it withdrawn already and changes nothing.

    :raises DelegationCannotRevoke: when ``by`` may not manage this organisation's delegations.
    """
    if not by.has_perm("portal.manage_delegations", delegation.provider):
        raise DelegationCannotRevoke()
    if by.is_provider_user and by.pk != delegation.delegator_id:
        raise DelegationCannotRevoke()
    with transaction.atomic():
        locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.revoked_by = by
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_event_record(
            by=by, subject=locked, action="delegation.revoke", from_state="active", to_state="revoked", reason=reason
        )
    return locked


def _provider_of_user(user: User):
    membership = perms.membership_of(user)
    return membership.provider if membership else None
