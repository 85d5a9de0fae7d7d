import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cqcportal.accounts.lockout import account_locked_until
from cqcportal.audit.models import AuditEvent
from cqcportal.tests.factories import StaffFactory

PASSWORD = "correct horse battery staple"


def _attempts(email: str) -> int:
    attempt = AccessAttempt.objects.filter(username=email.lower()).first()
    return attempt.failures_since_start if attempt else 0


@pytest.mark.django_db
def test_sign_in_with_email_any_case_reaches_dashboard(client, provider_user):
    response = client.post(reverse("accounts:sign-in"), {"email": "PAULA@Provider.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).context["user"] == provider_user


@pytest.mark.django_db
def test_sign_in_staff_password_alone_leads_only_to_the_code(client, inspector):
    response = client.post(
        reverse("accounts:sign-in"), {"email": "ISLA.Inspector@regulator.example", "password": PASSWORD}
    )
    assert response.url == reverse("accounts:two-factor")
    # Half signed in: every other page sends them back to the code, keeping where they were going.
    response = client.get(reverse("assessments:caseload"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:two-factor") + "?next=%2Fassessments%2F"
    assert client.get(reverse("core:dashboard")).url.startswith(reverse("accounts:two-factor"))


@pytest.mark.django_db
def test_sign_in_wrong_password_keeps_email_and_says_so(client, inspector):
    response = client.post(reverse("accounts:sign-in"), {"email": inspector.email, "password": "nope"})
    assert response.status_code == 200
    assert "The e-mail address or password is not right" in response.text
    assert f'value="{inspector.email}"' in response.text
    assert _attempts(inspector.email) == 1
    # The same account typed in capitals counts towards the same lock-out.
    client.post(reverse("accounts:sign-in"), {"email": inspector.email.upper(), "password": "nope"})
    assert _attempts(inspector.email) == 2


@pytest.mark.django_db
def test_sign_in_locks_after_repeated_failures_and_shows_locked_page(client, inspector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post(reverse("accounts:sign-in"), {"email": inspector.email, "password": "nope"})
    response = client.post(reverse("accounts:sign-in"), {"email": inspector.email, "password": "nope"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:locked")
    # Even the right password is refused while locked, and the page says what to do.
    response = client.post(reverse("accounts:sign-in"), {"email": inspector.email, "password": PASSWORD}, follow=True)
    assert response.status_code == 403
    assert "Your account is locked" in response.text
    assert "reset your password" in response.text
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="user.locked")
    assert (event.from_state, event.to_state, event.actor) == ("active", "locked", None)
    assert event.object_id == str(inspector.pk)


@pytest.mark.django_db
def test_sign_in_lock_expires(client, provider_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("accounts:sign-in"), {"email": provider_user.email, "password": "nope"})
    assert account_locked_until(provider_user.email) is not None
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=settings.ACCOUNT_LOCKOUT_MINUTES, seconds=1)):
        response = client.post(reverse("accounts:sign-in"), {"email": provider_user.email, "password": PASSWORD})
        assert response.url == reverse("core:dashboard")
    # A successful sign-in clears the failures counted so far.
    assert _attempts(provider_user.email) == 0


@pytest.mark.django_db
def test_password_reset_lifts_a_lock_out(client, provider_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("accounts:sign-in"), {"email": provider_user.email, "password": "nope"})
    assert client.get(reverse("accounts:locked")).status_code == 403
    client.post(reverse("accounts:password-reset"), {"email": provider_user.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body).group(1)
    response = client.get(link, follow=True)
    new = "a much longer new password 2026"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert account_locked_until(provider_user.email) is None
    assert AuditEvent.objects.filter(action="user.unlock", object_id=str(provider_user.pk)).exists()
    response = client.post(reverse("accounts:sign-in"), {"email": provider_user.email, "password": new})
    assert response.url == reverse("core:dashboard")


@pytest.mark.django_db
def test_sign_in_inactive_user_refused(client):
    user = StaffFactory(is_active=False)
    response = client.post(reverse("accounts:sign-in"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "not right" in response.text


@pytest.mark.django_db
def test_sign_in_next_url_must_be_on_this_site(client, provider_user):
    response = client.post(
        reverse("accounts:sign-in"),
        {"email": provider_user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("core:dashboard")


@pytest.mark.django_db
def test_sign_out_needs_post_and_ends_session(client, inspector):
    client.force_login(inspector)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    response = client.post(reverse("accounts:sign-out"))
    assert response.url == reverse("core:home")
    assert client.get(reverse("core:dashboard")).status_code == 302


@pytest.mark.django_db
def test_password_reset_email_arrives_at_once_and_link_sets_password(client, inspector):
    response = client.post(reverse("accounts:password-reset"), {"email": inspector.email.upper()})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [inspector.email]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.body).group(1)
    response = client.get(link, follow=True)
    assert "Choose a new password" in response.text
    new = "a much longer new password 2026"
    response = client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    inspector.refresh_from_db()
    assert inspector.check_password(new)


@pytest.mark.django_db
def test_password_reset_unknown_email_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
