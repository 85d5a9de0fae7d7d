from django.conf import settings
from django.utils.functional import SimpleLazyObject


def portal(request) -> dict:
    """The regulator's name and service name for every page's header, and the signed-in user's unread count."""

    def unread() -> int:
        from cqcportal.notifications.models import Notification

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    return {
        "regulator_name": settings.PORTAL_REGULATOR_NAME,
        "service_name": settings.PORTAL_SERVICE_NAME,
        "debug_mailbox": settings.DEBUG,
        # Lazy: counted only when a page shows the navigation (one indexed query).
        "inbox_unread": SimpleLazyObject(unread),
    }
