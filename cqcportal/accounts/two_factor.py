"""The second factor at sign-in: a time-based code from an authenticator app (django-otp's TOTP device).

Staff always use one, set up the first time they sign in; providers may turn it on (docs/adr/0012-signing-in.md).
A session is "verified" once the person has typed a right code after their password: the session keeps the
device's id, so checking it costs no query on later requests.
"""

from __future__ import annotations

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqcportal.accounts.lockout import failed_second_factor_record
from cqcportal.audit.services import audit_event_record

VERIFIED_SESSION_KEY = "second_factor_device"
# Set at sign-in for a provider user who has turned the second factor on (staff always need it).
REQUIRED_SESSION_KEY = "second_factor_required"
DEVICE_NAME = "Authenticator app"


class SecondFactorCannotChange(Exception):
    """Turning the second factor off is not allowed for this person (staff must keep it)."""


def second_factor_device(user) -> TOTPDevice | None:
    """The person's set-up (confirmed) device, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_factor_required_at_sign_in(user) -> bool:
    """Staff always; a provider user once they have set a device up."""
    return user.is_regulator_staff or second_factor_device(user) is not None


def session_needs_second_factor(request: HttpRequest) -> bool:
    """True while a signed-in person still has to type their code (no query: kind and session only)."""
    user = request.user
    if not user.is_authenticated or request.session.get(VERIFIED_SESSION_KEY):
        return False
    return user.is_regulator_staff or bool(request.session.get(REQUIRED_SESSION_KEY))


def session_is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(VERIFIED_SESSION_KEY))


def setup_device_for(user) -> TOTPDevice:
    """The unconfirmed device being set up (one per person; made with a fresh random key when first asked)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def setup_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code (markup made by segno from the device's own key)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#0b0c0c", light="#ffffff")


def setup_key_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def _check_code(device_pk: int, code: str) -> TOTPDevice | None:
    """Check a code under a row lock, so one code cannot be used twice by two requests at once."""
    device = TOTPDevice.objects.select_for_update().get(pk=device_pk)
    return device if device.verify_token(_clean_code(code)) else None


def _session_verify(request: HttpRequest, device: TOTPDevice) -> None:
    request.session[VERIFIED_SESSION_KEY] = device.persistent_id
    request.session.pop(REQUIRED_SESSION_KEY, None)


def second_factor_set_up(*, request: HttpRequest, user, code: str) -> bool:
    """Confirm the device being set up with a code from the app; the session is then verified."""
    device = setup_device_for(user)
    with transaction.atomic():
        checked = _check_code(device.pk, code)
        if checked is None:
            failed_second_factor_record(request=request, user=user)
            return False
        # One confirmed device per person: a new one replaces any old one.
        TOTPDevice.objects.filter(user=user).exclude(pk=checked.pk).delete()
        checked.confirmed = True
        checked.save(update_fields=["confirmed"])
        audit_event_record(
            by=user,
            subject=user,
            action="user.second_factor_set_up",
            from_state="",
            to_state="second_factor_on",
            reason="Set up an authenticator app",
            provider=_provider_of(user),
        )
    _session_verify(request, checked)
    return True


def second_factor_verify(*, request: HttpRequest, user, code: str) -> bool:
    """Check the code typed after the password. A wrong code counts towards the lock-out."""
    device = second_factor_device(user)
    if device is None:
        return False
    with transaction.atomic():
        checked = _check_code(device.pk, code)
    if checked is None:
        failed_second_factor_record(request=request, user=user)
        return False
    _session_verify(request, checked)
    return True


def second_factor_turn_off(*, request: HttpRequest, user, code: str) -> bool:
    """A provider user turns their second factor off, proving it with a current code. Staff cannot."""
    if user.is_regulator_staff:
        raise SecondFactorCannotChange("The regulator's staff must always sign in with a second factor.")
    device = second_factor_device(user)
    if device is None:
        return True
    with transaction.atomic():
        if _check_code(device.pk, code) is None:
            failed_second_factor_record(request=request, user=user)
            return False
        TOTPDevice.objects.filter(user=user).delete()
        audit_event_record(
            by=user,
            subject=user,
            action="user.second_factor_turned_off",
            from_state="second_factor_on",
            to_state="second_factor_off",
            reason="Turned off by the account holder",
            provider=_provider_of(user),
        )
    request.session.pop(VERIFIED_SESSION_KEY, None)
    return True


def second_factor_reset(*, by, user, reason: str) -> int:
    """Admin staff remove a lost device; the person sets up a new one at their next sign-in. Audited."""
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        if deleted:
            audit_event_record(
                by=by,
                subject=user,
                action="user.second_factor_reset",
                from_state="second_factor_on",
                to_state="second_factor_off",
                reason=reason,
                provider=_provider_of(user),
                data={"at": timezone.now().isoformat()},
            )
    return 1 if deleted else 0


def _provider_of(user):
    from cqcportal.accounts.services import _provider_of_user

    return _provider_of_user(user)
