"""Signing in by e-mail address (lock-outs are django-axes's AxesStandaloneBackend, listed first)."""

from django.contrib.auth.backends import ModelBackend

from cqcportal.accounts.models import User
from cqcportal.core.compiled import CompiledRead

# Every signed-in request loads its person; a provider's pages then read their membership and provider
# (permissions, the audit trail's description): one query with both, rather than three, compiled once.
_USER_READ = CompiledRead(
    lambda user_id: User._default_manager.select_related("membership__provider").filter(pk=user_id).order_by()[:1],
    user_id=int,
)


class EmailBackend(ModelBackend):
    """Django's model backend with the e-mail address as the user name (matched case-insensitively)."""

    def get_user(self, user_id):
        try:
            user = _USER_READ.first(user_id=int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None
