"""The start page, the dashboards and, in development only, the demo mailbox."""

import functools
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cqcportal.accounts import rules as perms
from cqcportal.core import selectors
from cqcportal.core.context_processors import read_with_navigation
from cqcportal.core.fragments import render_page
from cqcportal.core.links import link_maker
from cqcportal.core.paging import ShortListPaginator
from cqcportal.register.forms import RegisterSearchForm
from cqcportal.register.models import PublishedRatingValue
from cqcportal.register.selectors import search_choices


def health(request: HttpRequest) -> HttpResponse:
    """For the load balancer: the application answers. No database, so it reports the web tier alone; it is also the
    trivial view the page benchmarks are measured beside (docs/benchmarks.md)."""
    response = HttpResponse("ok\n", content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response


def home(request: HttpRequest) -> HttpResponse:
    form = RegisterSearchForm(choices=search_choices())
    return render(request, "core/home.html", {"form": form})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if perms.is_regulator_staff(user):
        context = selectors.staff_dashboard(user=user, read=functools.partial(read_with_navigation, request))
        held = context["held_locations"]
        location_link = link_maker("register:organisation-location", varying=2)
        provider_link = link_maker("register:organisation")
        for location in held:
            location.url = location_link(location.provider_id, location.pk)
            location.provider_url = provider_link(location.provider_id)
        return render(request, "core/staff_dashboard.html", context)
    if perms.is_provider_user(user):
        context = selectors.provider_dashboard(
            user=user, today=timezone.localdate(), read=functools.partial(read_with_navigation, request)
        )
        # A national chain or an NHS trust has hundreds of locations and open windows: a page of each at a time.
        page_size = selectors.DASHBOARD_PAGE_SIZE
        context["to_do"] = ShortListPaginator(context["to_do"], page_size, head=context.pop("to_do_head")).get_page(
            request.GET.get("to-do")
        )
        context["locations"] = ShortListPaginator(
            context["locations"], page_size, head=context.pop("locations_head")
        ).get_page(request.GET.get("page"))
        location_link = link_maker("register:organisation-location", context["provider"].pk)
        for location in context["locations"]:
            location.url = location_link(location.pk)
        context["rating_labels"] = dict(PublishedRatingValue.choices)
        # Drawn by Jinja2 from top to bottom (render_page): the page every provider lands on.
        return render_page(request, "core/provider_dashboard_page.html", context)
    return render(request, "core/no_role.html", status=403)


def demo_codes(request: HttpRequest) -> HttpResponse:
    """Development only: the code the demo staff's shared authenticator key gives now (no phone needed)."""
    if not settings.DEBUG:
        raise Http404("Demo codes exist only in development.")
    import time

    from django_otp.oath import TOTP

    from cqcportal.core.management.commands.seed_demo import DEMO_TOTP_KEY_HEX

    totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
    now = time.time()
    totp.time = now
    return render(
        request,
        "core/demo_codes.html",
        {"code": f"{totp.token():06d}", "seconds_left": 30 - int(now) % 30},
    )


def mailbox(request: HttpRequest) -> HttpResponse:
    """The e-mails the demo has sent (file backend), newest first, so password resets can be followed."""
    if not settings.DEBUG or getattr(settings, "EMAIL_FILE_PATH", None) is None:
        raise Http404("The mailbox exists only in development.")
    folder = Path(settings.EMAIL_FILE_PATH)
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:20] if folder.exists() else []
    emails = []
    for path in files:
        # The file backend writes messages one after another, separated by a line of dashes.
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                msg = message_from_bytes(chunk.strip(), policy=default_policy)
                body = msg.get_body(preferencelist=("plain",))
                emails.append(
                    {
                        "to": msg["To"],
                        "subject": msg["Subject"],
                        "date": msg["Date"],
                        "body": body.get_content() if body else "",
                    }
                )
    return render(request, "core/mailbox.html", {"emails": emails[:30]})
