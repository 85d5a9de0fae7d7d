"""Signing in by e-mail address (lock-outs are django-axes's AxesStandaloneBackend, listed first)."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connections, router
from django.db.models import OuterRef

from cqcportal.accounts.models import User
from cqcportal.accounts.rules import remember_role_names
from cqcportal.core.compiled import CompiledRead


def _user(user_id):
    """The person with their membership and provider and, on PostgreSQL, their roles' names."""
    users = User._default_manager.select_related("membership__provider").filter(pk=user_id).order_by()
    if connections[router.db_for_read(User)].vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        names = Group.objects.filter(user=OuterRef("pk")).order_by().values("name")
        users = users.annotate(role_names_read=ArraySubquery(names))
    return users[:1]


# Every signed-in request loads its person; a provider's pages then read their membership and provider
# (permissions, the audit trail's description), and a member of staff's pages their roles (permissions, the audit
# trail's actor): one query with all of them, rather than four, compiled once.
_USER_READ = CompiledRead(_user, user_id=int)


class EmailBackend(ModelBackend):
    """Django's model backend with the e-mail address as the user name (matched case-insensitively)."""

    def get_user(self, user_id):
        try:
            user = _USER_READ.first(user_id=int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or not self.user_can_authenticate(user):
            return None
        names = user.__dict__.pop("role_names_read", None)
        if names is not None:
            remember_role_names(user, names)
        return user
