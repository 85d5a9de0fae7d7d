"""A provider's private pages: its organisation, locations, team and delegates.

Every page starts from the ``*_visible_to`` querysets in accounts/rules.py, so another provider's
record is "not found" (404), never "forbidden", and its existence does not leak.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cqcportal.accounts import rules as perms
from cqcportal.accounts.forms import DelegationForm
from cqcportal.accounts.models import REGISTERED_PERSON_ROLES, Delegation, User
from cqcportal.accounts.services import (
    DelegationCannotCreate,
    DelegationCannotRevoke,
    delegation_create,
    delegation_revoke,
)
from cqcportal.audit.selectors import audit_events_for
from cqcportal.register.models import Location, PublishedRating


def _provider_for(request: HttpRequest, pk: int):
    return get_object_or_404(perms.providers_visible_to(request.user), pk=pk)


@login_required
def organisation(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider_for(request, pk)
    locations = (
        Location.objects.filter(provider=provider)
        .select_related("relationship_holder")
        .prefetch_related(
            Prefetch(
                "published_ratings",
                queryset=PublishedRating.objects.filter(is_current=True, key_question="overall"),
                to_attr="current_overall",
            )
        )
        .order_by("registration_status", "name")
    )
    return render(
        request,
        "portal/organisation.html",
        {
            "provider": provider,
            "locations": locations,
            "members": _members(provider),
            "events": audit_events_for(provider)[:10],
        },
    )


@login_required
def organisation_location(request: HttpRequest, pk: int, location_pk: int) -> HttpResponse:
    provider = _provider_for(request, pk)
    location = get_object_or_404(
        perms.locations_visible_to(request.user)
        .filter(provider=provider)
        .select_related("relationship_holder", "provider")
        .prefetch_related(
            "service_types",
            "regulated_activities",
            Prefetch("managers__user", queryset=User.objects.only("id", "full_name", "email")),
        ),
        pk=location_pk,
    )
    history = location.history.select_related("history_user").order_by("-history_date")[:10]
    return render(
        request,
        "portal/location.html",
        {
            "provider": provider,
            "location": location,
            "history": history,
            "events": audit_events_for(location)[:20],
            "requests": location.information_requests.order_by("-requested_at")[:10],
            "perms_staff": perms.is_regulator_staff(request.user),
        },
    )


def _members(provider):
    return (
        User.objects.filter(membership__provider=provider)
        .select_related("membership")
        .prefetch_related("membership__locations")
        .order_by("full_name")
    )


@login_required
def team(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider_for(request, pk)
    today = timezone.localdate()
    delegations = (
        Delegation.objects.filter(provider=provider, revoked_at__isnull=True, end_date__gte=today)
        .select_related("delegator", "delegate")
        .order_by("start_date")
    )
    return render(
        request,
        "portal/team.html",
        {
            "provider": provider,
            "members": _members(provider),
            "delegations": delegations,
            "today": today,
            "can_manage_delegations": request.user.has_perm("portal.manage_delegations", provider),
        },
    )


@login_required
def team_member(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    provider = _provider_for(request, pk)
    member = get_object_or_404(
        perms.users_visible_to(request.user)
        .filter(membership__provider=provider)
        .select_related("membership")
        .prefetch_related("membership__locations"),
        pk=user_pk,
    )
    return render(request, "portal/team_member.html", {"provider": provider, "member": member})


@login_required
def delegation_new(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider_for(request, pk)
    membership = perms.membership_of(request.user)
    if membership is None or membership.provider_id != provider.pk or membership.role not in REGISTERED_PERSON_ROLES:
        # Staff and colleagues see the page exists (it is their own organisation) but cannot use it.
        return render(request, "portal/delegation_not_allowed.html", {"provider": provider}, status=403)
    colleagues = User.objects.filter(membership__provider=provider, is_active=True).exclude(pk=request.user.pk)
    form = DelegationForm(request.POST or None, colleagues=colleagues)
    if request.method == "POST" and form.is_valid():
        try:
            delegation = delegation_create(
                by=request.user,
                delegator=request.user,
                delegate=form.cleaned_data["delegate"],
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                reason=form.cleaned_data["reason"],
                today=timezone.localdate(),
            )
        except DelegationCannotCreate as exc:
            field = {"dates": "end_date", "past": "end_date", "too_long": "end_date", "overlap": "delegate"}.get(
                exc.code, None
            )
            form.add_error(field, exc.messages[0])
        else:
            messages.success(
                request,
                f"{delegation.delegate.full_name} can act for you from {delegation.start_date:%-d %B %Y} "
                f"until {delegation.end_date:%-d %B %Y}.",
            )
            return redirect("register:team", pk=provider.pk)
    return render(request, "portal/delegation_form.html", {"provider": provider, "form": form})


@login_required
@require_POST
def delegation_withdraw(request: HttpRequest, pk: int, delegation_pk: int) -> HttpResponse:
    provider = _provider_for(request, pk)
    delegation = get_object_or_404(Delegation.objects.filter(provider=provider), pk=delegation_pk)
    try:
        delegation_revoke(by=request.user, delegation=delegation, reason=request.POST.get("reason", "")[:500])
    except DelegationCannotRevoke:
        # The service refuses only people who may not manage this delegation: forbidden, and nothing changes.
        raise PermissionDenied("Only the person who named the delegate can withdraw it.") from None
    messages.success(
        request, f"{delegation.delegate.full_name} can no longer act for {delegation.delegator.full_name}."
    )
    return redirect("register:team", pk=provider.pk)
