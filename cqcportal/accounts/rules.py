"""Who may see and do what: the one place for object-level permission checks.

Views, services and state-machine transitions all ask here, either with ``user.has_perm(name, obj)``
(the rules registered below) or by starting from the ``*_visible_to`` querysets, so a provider user
can never reach another provider's record, and a guessed URL gives "not found" rather than
"forbidden" (docs/adr/0003-permissions.md).
"""

from __future__ import annotations

import datetime

import rules
from django.db.models import Q, QuerySet
from django.utils.functional import LazyObject

from cqcportal.accounts.models import REGISTERED_PERSON_ROLES, Delegation, StaffRole, User


def provider_id_of(obj) -> int | None:
    """The provider a record belongs to: itself for a provider, else its ``provider_id`` or ``provider``."""
    from cqcportal.register.models import Provider

    if obj is None:
        return None
    if isinstance(obj, Provider):
        return obj.pk
    if isinstance(obj, User):
        membership = getattr(obj, "membership", None)
        return membership.provider_id if membership else None
    if hasattr(obj, "provider_id"):
        return obj.provider_id
    provider = getattr(obj, "provider", None)
    return provider.pk if provider is not None else None


def membership_of(user):
    return getattr(user, "membership", None) if user.is_authenticated else None


@rules.predicate
def is_regulator_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.kind == User.Kind.STAFF


@rules.predicate
def is_provider_user(user) -> bool:
    return user.is_authenticated and user.is_active and membership_of(user) is not None


@rules.predicate
def belongs_to_same_provider(user, obj) -> bool:
    membership = membership_of(user)
    return membership is not None and obj is not None and membership.provider_id == provider_id_of(obj)


@rules.predicate
def is_registered_person_of(user, obj) -> bool:
    membership = membership_of(user)
    return (
        membership is not None
        and membership.role in REGISTERED_PERSON_ROLES
        and membership.provider_id == provider_id_of(obj)
    )


_ROLE_NAMES = "_staff_role_names"


def staff_role_names(user) -> frozenset[str]:
    """The names of the user's roles (groups), read once for this user object: a request's checks and its audit
    line share one read. Changing the object's groups (``user.groups.add``, ``set``...) forgets them
    (``forget_role_names``)."""
    if isinstance(user, LazyObject):  # a request's user: keep them on the person it wraps, who may have them
        user.pk  # noqa: B018 - sets the wrapper up
        user = user._wrapped
    names = user.__dict__.get(_ROLE_NAMES)
    if names is None:
        names = user.__dict__[_ROLE_NAMES] = frozenset(g.name for g in user.groups.all())
    return names


def remember_role_names(user, names) -> None:
    """Keep the names of the user's roles read with the user (``cqcportal.accounts.backends``), so that
    ``staff_role_names`` need not read them."""
    user.__dict__[_ROLE_NAMES] = frozenset(names)


def forget_role_names(sender, instance, action, **kwargs) -> None:
    """``m2m_changed`` of the users' groups: the user object whose groups changed reads them again when asked."""
    if action.startswith("post_"):
        instance.__dict__.pop(_ROLE_NAMES, None)


def has_staff_role(*roles: StaffRole) -> rules.Predicate:
    names = {str(r) for r in roles}

    @rules.predicate(name=f"has_staff_role({', '.join(sorted(names))})")
    def _has_role(user) -> bool:
        return is_regulator_staff(user) and not names.isdisjoint(staff_role_names(user))

    return _has_role


is_admin_staff = has_staff_role(StaffRole.ADMIN_STAFF)

# Seeing a provider's private pages (its locations' case lists, its team, its delegations).
rules.add_perm("portal.view_provider_private", is_regulator_staff | belongs_to_same_provider)
rules.add_perm("portal.view_location_private", is_regulator_staff | belongs_to_same_provider)
rules.add_perm("portal.view_team_member", is_regulator_staff | belongs_to_same_provider)
# A registered person names and withdraws delegates for their own organisation.
rules.add_perm("portal.manage_delegations", is_registered_person_of | is_admin_staff)
rules.add_perm("portal.view_staff_dashboard", is_regulator_staff)
rules.add_perm("portal.view_provider_dashboard", is_provider_user)


def providers_visible_to(user) -> QuerySet:
    """The providers whose private pages the user may open: all for staff, their own for a provider user."""
    from cqcportal.register.models import Provider

    if is_regulator_staff(user):
        return Provider.objects.all()
    membership = membership_of(user)
    if membership is None:
        return Provider.objects.none()
    return Provider.objects.filter(pk=membership.provider_id)


def locations_visible_to(user) -> QuerySet:
    """The locations whose private pages the user may open."""
    from cqcportal.register.models import Location

    if is_regulator_staff(user):
        return Location.objects.all()
    membership = membership_of(user)
    if membership is None:
        return Location.objects.none()
    return Location.objects.filter(provider_id=membership.provider_id)


def users_visible_to(user) -> QuerySet:
    """The people whose details the user may see: colleagues at their own provider, or anyone for staff."""
    if is_regulator_staff(user):
        return User.objects.all()
    membership = membership_of(user)
    if membership is None:
        return User.objects.none()
    return User.objects.filter(membership__provider_id=membership.provider_id)


def delegations_acting_for(user, *, today: datetime.date, provider_id: int | None = None) -> QuerySet:
    """The delegations under which the user may act for a registered person today."""
    qs = Delegation.objects.filter(
        delegate=user, revoked_at__isnull=True, start_date__lte=today, end_date__gte=today
    ).select_related("delegator")
    if provider_id is not None:
        qs = qs.filter(provider_id=provider_id)
    return qs


def can_act_as_registered_person(user, obj, *, today: datetime.date):
    """Whether the user may act as a registered person for obj's provider, and for whom.

    Returns ``(allowed, on_behalf_of)``: ``on_behalf_of`` is the registered person when the user
    acts as their delegate, so the act is recorded as such; ``None`` when they act in their own right.
    """
    if is_registered_person_of(user, obj):
        return True, None
    if not is_provider_user(user) or not belongs_to_same_provider(user, obj):
        return False, None
    delegation = (
        delegations_acting_for(user, today=today, provider_id=provider_id_of(obj))
        .filter(Q(delegator__membership__role__in=REGISTERED_PERSON_ROLES))
        .first()
    )
    if delegation is None:
        return False, None
    return True, delegation.delegator


# --- Assessments -----------------------------------------------------------------------------------------

is_senior_staff = has_staff_role(StaffRole.OPERATIONS_MANAGER, StaffRole.DEPUTY_DIRECTOR, StaffRole.CHIEF_INSPECTOR)


@rules.predicate
def leads_assessment(user, assessment) -> bool:
    return assessment is not None and user.is_authenticated and assessment.lead_id == user.pk


@rules.predicate
def is_on_assessment_team(user, assessment) -> bool:
    return assessment is not None and user.is_authenticated and assessment.team.filter(user=user).exists()


# Start, score, judge and complete an assessment: its lead and team, or a senior manager.
rules.add_perm("assessments.conduct", is_regulator_staff & (leads_assessment | is_on_assessment_team | is_senior_staff))
# Depart from a calculated rating (professional judgement): the lead, or a senior manager.
rules.add_perm("assessments.depart_from_rating", is_regulator_staff & (leads_assessment | is_senior_staff))
