"""Sessions that end after a spell of inactivity, with the time left known to the page (for its warning).

The session's expiry moves on with activity, but the session row is saved at most once a minute
(``TOUCH_EVERY_SECONDS``) rather than on every request, so a page costs no extra query for it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

ACTIVITY_SESSION_KEY = "activity_at"
TOUCH_EVERY_SECONDS = 60


def idle_seconds() -> int:
    return settings.SESSION_IDLE_MINUTES * 60


def session_touch(request, *, force: bool = False) -> None:
    """Record activity now (which saves the session and so moves its expiry on) if the last was a while ago."""
    now = int(time.time())
    last = request.session.get(ACTIVITY_SESSION_KEY)
    if force or last is None or now - last >= TOUCH_EVERY_SECONDS:
        request.session[ACTIVITY_SESSION_KEY] = now
        request.session.set_expiry(idle_seconds())


def session_seconds_left(request) -> int | None:
    """Seconds until a signed-in session ends for inactivity (None for anonymous visitors)."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    last = session.get(ACTIVITY_SESSION_KEY) or int(time.time())
    return max(0, idle_seconds() - (int(time.time()) - last))


class SessionActivityMiddleware:
    """Each signed-in request is activity (the session is saved at most once a minute)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            session_touch(request)
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="accounts.session_activity_on_sign_in")
def _activity_on_sign_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        session_touch(request, force=True)
