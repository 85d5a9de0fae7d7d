"""Every page's service navigation (templates/fragments/core/service_navigation.html): what each visitor sees, and
which item is marked as the current page."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from pytest_django.asserts import assertInHTML

from cqcportal.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _navigation(response) -> str:
    html = response.content.decode()
    return html[
        html.index('<ul class="govuk-service-navigation__list"') : html.index("</ul>", html.index('id="navigation"'))
    ]


def _labels(navigation: str) -> list[str]:
    items = re.findall(r"<li class=\"govuk-service-navigation__item[^\"]*\">(.*?)</li>", navigation, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def _current(navigation: str) -> list[str]:
    return re.findall(r'aria-current="(?:page|true)"><strong[^>]*>([^<]+)</strong>', navigation)


def test_a_visitor_sees_the_search_and_sign_in_and_the_page_they_are_on_is_current(client):
    home = _navigation(client.get(reverse("core:home")))
    assert _labels(home) == ["Search the register", "Sign in"]
    assert _current(home) == []
    assert "aria-current" not in home

    sign_in = _navigation(client.get(reverse("accounts:sign-in")))
    assertInHTML(
        f'<li class="govuk-service-navigation__item govuk-service-navigation__item--active '
        f'app-service-navigation__item--end"><a class="govuk-service-navigation__link" '
        f'href="{reverse("accounts:sign-in")}" aria-current="page"><strong '
        f'class="govuk-service-navigation__active-fallback">Sign in</strong></a></li>',
        sign_in,
    )
    search = _navigation(client.get(reverse("register:search")))
    assert _current(search) == ["Search the register"]


def test_a_location_page_marks_the_search_as_current_but_not_as_the_page(client, location):
    navigation = _navigation(client.get(reverse("register:location", args=[location.cqc_id])))
    assert _current(navigation) == ["Search the register"]
    assert 'aria-current="true"' in navigation and 'aria-current="page"' not in navigation


def test_a_signed_in_person_sees_their_dashboard_inbox_with_its_count_name_and_sign_out(client, inspector):
    client.force_login(inspector)
    for n in range(3):
        Notification.objects.create(
            recipient=inspector, to_email=inspector.email, subject="s", body="b", dedupe_key=f"nav-{n}"
        )
    Notification.objects.filter(dedupe_key="nav-0").update(read_at="2026-01-01T00:00:00Z")

    dashboard = _navigation(client.get(reverse("core:dashboard")))
    assert _labels(dashboard) == [
        "Search the register",
        "Dashboard",
        "Inbox 2 unread",
        "Sign-in security for Isla Inspector",
        "Sign out",
    ]
    assert _current(dashboard) == ["Dashboard"]
    # Sign out is a form with the page's CSRF token (a masked token: 64 characters).
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" value="(\w+)">',
        dashboard,
    )
    assert form and form[1] == reverse("accounts:sign-out") and len(form[2]) == 64

    inbox = _navigation(client.get(reverse("notifications:inbox")))
    assertInHTML(
        f'<a class="govuk-service-navigation__link" href="{reverse("notifications:inbox")}" aria-current="page">Inbox '
        '<span class="govuk-tag govuk-tag--blue app-count">2<span class="govuk-visually-hidden"> unread</span></span>'
        "</a>",
        inbox,
    )
    # Nothing unread: no count.
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")
    assert "Inbox" in _labels(_navigation(client.get(reverse("core:dashboard"))))


def test_a_name_is_escaped_and_an_email_stands_in_for_a_missing_one(client, inspector):
    inspector.full_name = "<b>O'Neil</b> & Sons"
    inspector.save()
    client.force_login(inspector)
    navigation = _navigation(client.get(reverse("core:dashboard")))
    assert "&lt;b&gt;O&#x27;Neil&lt;/b&gt; &amp; Sons" in navigation and "<b>" not in navigation
    inspector.full_name = ""
    inspector.save()
    assert "Sign-in security for isla.inspector@regulator.example" in _labels(
        _navigation(client.get(reverse("core:dashboard")))
    )


def test_half_signed_in_staff_see_only_sign_out(inspector):
    from django.test import Client

    plain = Client()
    plain.force_login(inspector)  # no second factor yet
    navigation = _navigation(plain.get(reverse("accounts:two-factor")))
    assert _labels(navigation) == ["Search the register", "Sign out"]
    assert "app-service-navigation__item--end" in navigation.split("Sign out")[0].rsplit("<li", 1)[1]


@override_settings(DEBUG=True)
def test_the_demo_mailbox_is_listed_only_in_development(client):
    assert _labels(_navigation(client.get(reverse("core:home")))) == ["Search the register", "Demo mailbox", "Sign in"]
