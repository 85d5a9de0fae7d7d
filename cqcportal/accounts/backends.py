"""Signing in by e-mail address, refusing locked and inactive accounts."""

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone


class EmailBackend(ModelBackend):
    """Django's model backend with e-mail as the user name and the lock-out respected everywhere (admin too)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not user.is_locked(now=timezone.now())
