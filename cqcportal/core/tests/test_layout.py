"""The Jinja2 layout (templates/fragments/layout.html) draws the same page as base.html, block for block: a page
drawn by Jinja2 from top to bottom (``render_page``) looks and behaves as every Django page does."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory
from django.urls import resolve, reverse

from cqcportal.core import fragments
from cqcportal.tests.factories import StaffFactory

BLOCKS = {
    "page_title": "Your assessments",
    "head": '<meta name="robots" content="noindex">',
    "before_content": '<nav aria-label="Back link"><a href="/" class="govuk-back-link">Back</a></nav>',
    "main_classes": "app-main--wide",
    "content": "<h1>{{ heading }}</h1><p>{{ text }}</p>",
    "body_end": '<script src="/static/extra.js"></script>',
}


def _page(extends: str, blocks: dict) -> str:
    return f'{{% extends "{extends}" %}}' + "".join(
        f"{{% block {name} %}}{body}{{% endblock %}}" for name, body in blocks.items()
    )


def _request(path: str, user=None):
    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user or AnonymousUser()
    if user is not None:
        request.session[SESSION_KEY] = str(user.pk)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    request.resolver_match = resolve(request.path)
    return request


def _normalised(html_text: str) -> str:
    html_text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html_text)
    html_text = re.sub(r">\s+", ">", html_text)
    html_text = re.sub(r"\s+<", "<", html_text)
    return re.sub(r"\s+", " ", html_text).strip()


def _both(request, blocks: dict, context: dict) -> tuple[str, str]:
    django_page = engines["django"].from_string(_page("base.html", blocks)).render(context, request)
    jinja_page = fragments.page_html(
        request, fragments.environment().from_string(_page("layout.html", blocks)), context
    )
    return _normalised(django_page), _normalised(str(jinja_page))


@pytest.mark.django_db
def test_a_signed_in_page_with_messages_is_the_same_from_either_layout():
    request = _request(reverse("assessments:caseload"), StaffFactory(full_name="Isla"))
    messages.success(request, "Saved <b>the scores</b> & the findings")
    messages.warning(request, "Check 'this' before \"that\"")

    django_page, jinja_page = _both(request, BLOCKS, {"heading": "Yours & mine", "text": 'It\'s "quoted" <here>'})

    assert jinja_page == django_page
    assert "Saved &lt;b&gt;the scores&lt;/b&gt; &amp; the findings" in jinja_page
    assert "Check &#x27;this&#x27; before &quot;that&quot;" in jinja_page
    assert "<h1>Yours &amp; mine</h1><p>It&#x27;s &quot;quoted&quot; &lt;here&gt;</p>" in jinja_page
    assert "data-app-session-seconds=" in jinja_page and "app-timeout-dialog" in jinja_page
    assert "Sign out" in jinja_page and 'class="govuk-back-link"' in jinja_page


@pytest.mark.django_db
def test_a_visitors_page_is_the_same_from_either_layout():
    request = _request(reverse("register:search"))

    django_page, jinja_page = _both(request, {"page_title": "Search", "content": "<p>{{ text }}</p>"}, {"text": "x"})

    assert jinja_page == django_page
    assert "Sign in" in jinja_page and "app-timeout-dialog" not in jinja_page
    assert 'aria-current="page"' in jinja_page  # Search the register is the current page


@pytest.mark.django_db
def test_a_page_that_empties_a_block_is_the_same_from_either_layout():
    request = _request(reverse("register:search"))
    blocks = {"page_title": "Plain", "phase_banner": "", "footer": "<footer>Only this</footer>", "content": "<p>x</p>"}

    django_page, jinja_page = _both(request, blocks, {})

    assert jinja_page == django_page
    assert "govuk-phase-banner" not in jinja_page and "<footer>Only this</footer>" in jinja_page


@pytest.mark.django_db
def test_the_caseload_drawn_by_jinja2_has_the_layout_and_the_users_token(client, inspector):
    client.force_login(inspector)

    response = client.get(reverse("assessments:caseload"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html_text = response.text
    assert html_text.startswith("<!DOCTYPE html>")
    assert "<title>Your assessments – " in html_text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_text)
    assert token and len(token.group(1)) == 64
