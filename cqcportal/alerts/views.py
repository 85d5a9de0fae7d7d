"""Public pages for e-mail alerts: subscribe, check your e-mail, confirm and unsubscribe (no sign-in)."""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cqcportal.alerts import selectors
from cqcportal.alerts.forms import SubscribeForm
from cqcportal.alerts.services import (
    SubscriptionCannotConfirm,
    SubscriptionCannotRequest,
    SubscriptionCannotUnsubscribe,
    subscription_confirm,
    subscription_request,
    subscription_unsubscribe,
    subscriptions_unsubscribe_digest,
)

SESSION_EMAIL = "alerts.requested_email"


def _subscribe_url(query: dict[str, str]) -> str:
    return f"{reverse('alerts:subscribe')}?{urlencode(query)}"


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    target = selectors.subscription_target_find(
        location_cqc_id=request.GET.get("location", ""),
        provider_cqc_id=request.GET.get("provider", ""),
        local_authority=request.GET.get("local_authority", ""),
    )
    if target is None:
        raise Http404("A subscribe link names one location, provider or local authority area.")
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription_request(email=form.cleaned_data["email"], **target.service_kwargs)
        except SubscriptionCannotRequest as exc:
            form.add_error(None, exc)  # a dict of field errors lands beside its field
        else:
            request.session[SESSION_EMAIL] = form.cleaned_data["email"].strip().lower()
            return redirect(f"{reverse('alerts:check-email')}?{urlencode(target.query)}")
    return render(
        request,
        "alerts/subscribe.html",
        {"form": form, "target": target, "action": _subscribe_url(target.query), "back_url": _back_url(target)},
    )


def _back_url(target: selectors.SubscriptionTarget) -> str:
    if target.location is not None:
        return reverse("register:location", args=[target.location.cqc_id])
    if target.provider is not None:
        return reverse("register:provider", args=[target.provider.cqc_id])
    return reverse("register:search")


@require_GET
def check_email(request: HttpRequest) -> HttpResponse:
    target = selectors.subscription_target_find(
        location_cqc_id=request.GET.get("location", ""),
        provider_cqc_id=request.GET.get("provider", ""),
        local_authority=request.GET.get("local_authority", ""),
    )
    return render(
        request,
        "alerts/check_email.html",
        {
            "email": request.session.get(SESSION_EMAIL),
            "target": target,
            "again_url": _subscribe_url(target.query) if target else "",
        },
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms, so a mail scanner that opens links cannot opt someone in."""
    subscription = selectors.subscription_by_confirm_token(token)
    if subscription is None:
        raise Http404("No subscription has that confirmation link.")
    if subscription.unsubscribed_at is not None:
        return render(
            request,
            "alerts/confirm_unavailable.html",
            {"subscription": subscription, "subscribe_url": _subscribe_url(subscription.subscribe_query)},
            status=410,
        )
    if request.method == "GET" and subscription.confirmed_at is None:
        return render(request, "alerts/confirm.html", {"subscription": subscription})
    try:
        subscription = subscription_confirm(token=token)
    except SubscriptionCannotConfirm as exc:
        if exc.subscription is None:
            raise Http404("No subscription has that confirmation link.") from None
        return render(
            request,
            "alerts/confirm_unavailable.html",
            {"subscription": exc.subscription, "subscribe_url": _subscribe_url(exc.subscription.subscribe_query)},
            status=410,
        )
    return render(
        request,
        "alerts/confirmed.html",
        {
            "subscription": subscription,
            "unsubscribe_url": reverse("alerts:unsubscribe", args=[subscription.unsubscribe_token]),
        },
    )


def _unsubscribed(request: HttpRequest, subscriptions) -> HttpResponse:
    if request.method == "POST":
        # RFC 8058: the mail client posts "List-Unsubscribe=One-Click" and shows nothing of the answer.
        return HttpResponse("Unsubscribed.", content_type="text/plain")
    rows = [{"subscription": s, "subscribe_url": _subscribe_url(s.subscribe_query)} for s in subscriptions]
    return render(request, "alerts/unsubscribed.html", {"rows": rows})


@csrf_exempt  # a mail client's one-click POST carries no CSRF token; the unguessable token in the URL is the check
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = subscription_unsubscribe(token=token)
    except SubscriptionCannotUnsubscribe:
        raise Http404("No subscription has that unsubscribe link.") from None
    return _unsubscribed(request, [subscription])


@csrf_exempt  # as above: the RFC 8058 List-Unsubscribe-Post target of the weekly digest
@require_http_methods(["GET", "POST"])
def unsubscribe_digest(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriptions = subscriptions_unsubscribe_digest(token=token)
    except SubscriptionCannotUnsubscribe:
        raise Http404("That unsubscribe link is not one we sent.") from None
    return _unsubscribed(request, subscriptions)
