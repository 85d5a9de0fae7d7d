"""Fit and proper person concerns: staff record, pass on, review and close; the provider responds.
The referrer's name and contact are in the staff part of the page only."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cqcportal.accounts import rules as perms
from cqcportal.register.models import Provider
from enforcement import fit_and_proper as services
from enforcement.models import ConcernOutcome


@login_required
def concern_list(request: HttpRequest) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    concerns = services.concerns_visible_to(request.user).order_by("state", "-received_on", "-pk")
    page = Paginator(concerns, 50).get_page(request.GET.get("page"))
    return render(request, "enforcement/concerns/list.html", {"page_obj": page})


@login_required
def concern_new(request: HttpRequest) -> HttpResponse:
    if not perms.is_regulator_staff(request.user):
        raise Http404
    values = request.POST if request.method == "POST" else {}
    error = ""
    if request.method == "POST":
        provider = Provider.objects.filter(cqc_id=values.get("provider", "").strip()).first()
        try:
            received = datetime.date.fromisoformat(values.get("received_on", ""))
        except ValueError:
            received = None
        if provider is None:
            error = "Enter the register id of a provider, for example 1-101613097."
        elif received is None:
            error = "Enter the date the information was received."
        else:
            try:
                concern = services.concern_record(
                    by=request.user,
                    provider=provider,
                    director_name=values.get("director_name", ""),
                    concern=values.get("concern", "")[:20000],
                    received_on=received,
                    referrer_name=values.get("referrer_name", ""),
                    referrer_contact=values.get("referrer_contact", ""),
                )
            except services.ConcernCannotChange as exc:
                error = str(exc)
            else:
                messages.success(request, "Concern recorded.")
                return redirect("enforcement:concern", pk=concern.pk)
    return render(
        request, "enforcement/concerns/new.html", {"values": values, "error": error}, status=400 if error else 200
    )


@login_required
def concern_detail(request: HttpRequest, pk: int) -> HttpResponse:
    concern = get_object_or_404(services.concerns_visible_to(request.user), pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "enforcement/concerns/detail.html",
        {
            "concern": concern,
            "is_staff_user": perms.is_regulator_staff(request.user),
            "can_respond": perms.can_act_as_registered_person(request.user, concern, today=today)[0],
            "outcomes": ConcernOutcome.choices,
        },
    )


@login_required
@require_POST
def concern_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    concern = get_object_or_404(services.concerns_visible_to(request.user), pk=pk)
    today = timezone.localdate()
    post = request.POST
    try:
        if step == "respond":
            if perms.is_regulator_staff(request.user):
                raise Http404
            if not perms.can_act_as_registered_person(request.user, concern, today=today)[0]:
                raise PermissionDenied("Only a registered person, or their delegate, can respond.")
            services.concern_respond(
                by=request.user, concern=concern, text=post.get("response", "")[:20000], today=today
            )
            done = "Your response has been sent."
        elif not perms.is_regulator_staff(request.user):
            raise Http404
        elif step == "pass":
            services.concern_pass_to_provider(by=request.user, concern=concern, today=today)
            done = "Passed to the provider's registered persons."
        elif step == "review":
            services.concern_review(by=request.user, concern=concern, notes=post.get("notes", "")[:20000])
            done = "Review recorded."
        elif step == "close":
            services.concern_close(
                by=request.user, concern=concern, outcome=post.get("outcome", ""), notes=post.get("notes", "")[:20000]
            )
            done = "Outcome recorded."
        else:
            raise Http404
    except services.ConcernCannotChange as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("enforcement:concern", pk=concern.pk)
