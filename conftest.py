"""Fixtures shared by the whole suite: real Chromium for browser tests, and common people and places."""

import os

import pytest

from cqcportal.tests.factories import LocationFactory, ProviderFactory, ProviderUserFactory, StaffFactory
from cqcportal.tests.second_factor import SignedInClient

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Browsers cannot be downloaded here: drive Debian's Chromium, with its network chatter switched off.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def client():
    """pytest-django's client, except that force_login finishes the second step of signing in too (staff
    must type a code from their phone; tests that are about that step use the sign-in pages instead)."""
    return SignedInClient()


@pytest.fixture
def provider(db):
    return ProviderFactory()


@pytest.fixture
def location(provider):
    return LocationFactory(provider=provider)


@pytest.fixture
def inspector(db):
    return StaffFactory(full_name="Isla Inspector", email="isla.inspector@regulator.example")


@pytest.fixture
def provider_user(location):
    return ProviderUserFactory(
        full_name="Paula Provider",
        email="paula@provider.example",
        membership__provider=location.provider,
        membership__role="registered_manager",
        membership__locations=[location],
    )
