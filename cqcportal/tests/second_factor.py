"""Test helpers for the second factor: a test client whose force_login finishes signing in as the sign-in
page would (password and code), and the code an authenticator app would show now."""

from __future__ import annotations

import time

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqcportal.accounts.two_factor import VERIFIED_SESSION_KEY


def device_for(user) -> TOTPDevice:
    """The person's set-up authenticator device, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The 6-digit code the person's app shows now. Clears the device's record of the last code used, so a
    test may sign the same person in twice within one 30-second step (a real app would wait for the next)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


class SignedInClient(Client):
    """Django's test client; force_login also does the second step for people who need it (staff always,
    providers who turned it on), as if they had typed the right code."""

    def force_login(self, user, backend="cqcportal.accounts.backends.EmailBackend"):
        # The backend that signs people in through the form (django-axes's, first in the list, only refuses), so
        # that each request loads its person as in production: with their membership, provider and roles.
        super().force_login(user, backend)
        needs = user.is_regulator_staff or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        if needs:
            session = self.session
            session[VERIFIED_SESSION_KEY] = device_for(user).persistent_id
            session.save()
