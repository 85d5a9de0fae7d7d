"""Signing up for e-mail alerts in a real browser: headless Chromium driven by Playwright."""

import os
import re

import pytest
from playwright.sync_api import expect

from cqcportal.alerts.models import Subscription
from cqcportal.core.tests.test_browser import accessibility_violations
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browser_subscribe_confirm_and_unsubscribe_from_location_profile(page, live_server, settings, broker_sends):
    settings.PORTAL_BASE_URL = live_server.url
    location = LocationFactory(name="Laburnum House")

    page.goto(f"{live_server.url}/location/{location.cqc_id}/")
    page.get_by_role("link", name="Get e-mail alerts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Laburnum House")
    assert accessibility_violations(page) == []

    # A mistyped address comes back with the reason, and what was typed.
    page.get_by_label("E-mail address").fill("ann.lee.example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter an e-mail address like name@example.org")
    expect(page.get_by_label("E-mail address")).to_have_value("ann.lee.example.org")
    assert accessibility_violations(page) == []

    page.get_by_label("E-mail address").fill("Ann.Lee@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    expect(page.get_by_text("ann.lee@example.org")).to_be_visible()
    assert accessibility_violations(page) == []

    # The worker is not running here: the queued e-mail is how the test sees what was sent.
    email = Notification.objects.get(kind="alerts.confirm", to_email="ann.lee@example.org")
    assert broker_sends == [("notifications.send", {"notification_id": email.pk})]
    base = re.escape(live_server.url)
    confirm_url = re.search(rf"{base}/alerts/confirm/[\w-]+/", email.body).group()
    unsubscribe_url = re.search(rf"{base}/alerts/unsubscribe/[\w-]+/", email.body).group()

    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your e-mail alerts")
    assert Subscription.objects.get().confirmed_at is None  # opening the link alone confirms nothing
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    expect(page.get_by_text("Weekly alerts about Laburnum House")).to_be_visible()
    assert accessibility_violations(page) == []
    assert Subscription.objects.get().confirmed_at is not None

    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("You have unsubscribed")
    expect(page.get_by_role("link", name="subscribe again")).to_be_visible()
    assert accessibility_violations(page) == []
    assert Subscription.objects.get().unsubscribed_at is not None
