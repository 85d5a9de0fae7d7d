"""What a person does in a real browser: headless Chromium driven by Playwright."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def accessibility_violations(page) -> list[str]:
    """Run axe-core in the page and return its violations as readable lines."""
    # Evaluated through the browser's debugging protocol rather than added as a <script>, which the
    # Content Security Policy (no inline script) would rightly refuse.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} – {len(v['nodes'])} node(s)" for v in result["violations"]]


def sign_in(page, live_server, email):
    """Sign in as a person would: password, then (staff, or providers who turned it on) the app's code."""
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if page.url.split("?")[0].endswith("/accounts/two-factor/"):
        second_factor_enter(page, email)


def second_factor_enter(page, email):
    """On the two-factor page: type the code the person's app would show (setting the app up if need be)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cqcportal.tests.second_factor import current_code

    setting_up = page.get_by_role("heading", name="Set up your authenticator app").count() > 0
    device = TOTPDevice.objects.filter(user__email__iexact=email, confirmed=not setting_up).order_by("-pk").first()
    page.get_by_label("Code from your authenticator app").fill(current_code(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Set up" if setting_up else "Continue").click()


def sign_out(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def test_browser_inspector_and_provider_user_see_their_own_dashboards(page, live_server):
    inspector = StaffFactory(full_name="Isla Inspector", email="isla@regulator.example")
    held = LocationFactory(name="Held Care Home", relationship_holder=inspector)
    own = LocationFactory(name="Own Nursing Home")
    ProviderUserFactory(
        full_name="Paula Provider",
        email="paula@provider.example",
        membership__provider=own.provider,
        membership__role="registered_manager",
        membership__locations=[own],
    )

    sign_in(page, live_server, inspector.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Isla")
    expect(page.get_by_role("link", name="Held Care Home")).to_be_visible()
    assert accessibility_violations(page) == []
    sign_out(page)
    expect(page.get_by_text("You have signed out")).to_be_visible()

    sign_in(page, live_server, "paula@provider.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Paula")
    expect(page.get_by_role("link", name="Own Nursing Home")).to_be_visible()
    expect(page.get_by_role("link", name="Held Care Home")).to_have_count(0)
    assert held.provider.name not in page.content()
    assert accessibility_violations(page) == []


def test_browser_sign_in_page_works_by_keyboard_and_shows_errors(page, live_server):
    StaffFactory(email="keys@regulator.example", full_name="Kay Keys")
    page.goto(f"{live_server.url}/accounts/sign-in/")
    assert accessibility_violations(page) == []
    # The first Tab reaches the skip link, as the Design System asks.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.get_by_label("E-mail address").focus()
    page.keyboard.type("keys@regulator.example")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("not right")
    assert page.get_by_label("E-mail address").input_value() == "keys@regulator.example"
    assert accessibility_violations(page) == []
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Staff set up their authenticator app the first time, by keyboard too.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    assert accessibility_violations(page) == []
    second_factor_enter(page, "keys@regulator.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Kay")


def test_browser_public_pages_pass_accessibility_check(page, live_server):
    location = LocationFactory(name="Public House", postcode="OL4 2SF")
    for path in [
        "/",
        "/register/?text=public",
        f"/location/{location.cqc_id}/",
        f"/provider/{location.provider.cqc_id}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert "Public House" in page.content() or path == "/"
        assert accessibility_violations(page) == [], path
