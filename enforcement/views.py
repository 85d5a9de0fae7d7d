"""Enforcement pages. This first slice has the action's own page for staff and its provider; recording,
serving, representations and decisions through pages come with the next slice (the services exist)."""

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cqcportal.accounts import rules as perms
from cqcportal.deadlines import selectors as deadline_selectors
from enforcement.models import EnforcementAction


def actions_visible_to(user) -> QuerySet[EnforcementAction]:
    """Every action for staff; a provider user's own organisation's actions once served (not drafts)."""
    qs = EnforcementAction.objects.select_related("provider", "location", "decided_by")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id).exclude(state="draft")


@login_required
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(actions_visible_to(request.user), pk=pk)
    return render(
        request,
        "enforcement/action.html",
        {
            "action": action,
            "breaches": list(action.breaches.all()),
            "deadlines": list(deadline_selectors.deadlines_for_case(action).order_by("pk")),
            "representations": list(
                action.representations.select_related("regulated_activity").prefetch_related("files")
            ),
            "is_staff_user": perms.is_regulator_staff(request.user),
        },
    )
