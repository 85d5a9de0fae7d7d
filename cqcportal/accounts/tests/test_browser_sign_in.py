"""Signing in with a second factor, being locked out, and the session time-out warning, in headless Chromium."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cqcportal.core.tests.test_browser import PASSWORD, accessibility_violations, sign_in
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from cqcportal.tests.second_factor import current_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csp_errors(page) -> list[str]:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_browser_staff_set_up_totp_then_sign_in_with_a_code(page, live_server):
    inspector = StaffFactory(email="tess@regulator.example", full_name="Tess Totp")
    csp = _csp_errors(page)
    page.goto(f"{live_server.url}/accounts/sign-in/?next=/assessments/")
    page.get_by_label("E-mail address").fill(inspector.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    assert accessibility_violations(page) == []
    # Going anywhere else first is not possible.
    page.goto(f"{live_server.url}/assessments/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    # A wrong code: a plain error, and the page still works.
    page.get_by_label("Code from your authenticator app").fill("000000")
    with page.expect_navigation():
        page.get_by_role("button", name="Set up").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    assert accessibility_violations(page) == []
    page.wait_for_timeout(1100)  # django-otp's back-off after a wrong code: one second
    device = TOTPDevice.objects.get(user=inspector, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(current_code(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Set up").click()
    expect(page.get_by_text("Your authenticator app is set up")).to_be_visible()
    assert page.url.endswith("/assessments/")

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    # The second time: password, then "Enter your code".
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail address").fill(inspector.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code from your authenticator app").fill(current_code(TOTPDevice.objects.get(user=inspector)))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Tess")
    assert csp == []  # nothing on these pages broke the Content Security Policy


def test_browser_lockout_after_wrong_passwords_and_way_back_by_password_reset(page, live_server, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = ProviderUserFactory(email="lou@provider.example", full_name="Lou Locked")
    page.goto(f"{live_server.url}/accounts/sign-in/")
    for _ in range(3):
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill("not my password")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    assert user.email not in page.url
    assert accessibility_violations(page) == []
    # Even the right password is refused now.
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is locked")
    # The way back: reset the password from the e-mailed link.
    from django.core import mail

    page.get_by_role("link", name="reset your password").click()
    page.get_by_label("E-mail address").fill(user.email)
    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    import re

    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(f"{live_server.url}{link}")
    new = "a much longer new password 2026"
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("New password confirmation").fill(new)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the new password").click()
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(new)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lou")


def test_browser_timeout_warning_stay_signed_in_then_time_out_keeps_typed_text(page, live_server, settings):
    settings.SESSION_IDLE_MINUTES = 0.5  # a 30-second session, warned 25 seconds before its end
    settings.SESSION_WARNING_MINUTES = 25 / 60
    location = LocationFactory(name="Typing House")
    user = ProviderUserFactory(
        email="tim@provider.example",
        full_name="Tim Typist",
        membership__provider=location.provider,
        membership__role="registered_manager",
        membership__locations=[location],
    )
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server.url}/accounts/two-factor/manage/")
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible(timeout=15_000)  # at 25 seconds left of 30
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    ends = page.evaluate("window.appSessionEndsAt() - Date.now()")
    assert 25_000 < ends <= 30_000  # the keep-alive gave the whole 30 seconds again

    # Now type into a form and walk away: the session ends, the page goes to sign in, the text survives.
    page.goto(f"{live_server.url}/organisations/{location.provider.pk}/delegations/new/")
    box = page.locator("textarea").first
    box.fill("Cover while I am on leave, typed before the time-out")
    page.wait_for_url("**/accounts/sign-in/?timeout=1**", timeout=45_000)
    expect(page.get_by_text("We signed you out because you had done nothing for")).to_be_visible()
    assert accessibility_violations(page) == []
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/delegations/new/" in page.url
    expect(page.locator("textarea").first).to_have_value("Cover while I am on leave, typed before the time-out")
    expect(page.get_by_text("We have put back text you typed here earlier")).to_be_visible()
