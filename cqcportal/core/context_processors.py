from django.conf import settings
from django.db.models import Count
from django.utils.functional import SimpleLazyObject

from cqcportal.core.compiled import CompiledRead, read_together


def _unread_count(recipient_id):
    from cqcportal.notifications.models import Notification

    # Grouped by the recipient so that the count is one row, or none when nothing is unread.
    return (
        Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True)
    )


_UNREAD = CompiledRead(_unread_count, recipient_id=int)


def read_with_navigation(request, *reads) -> list[list]:
    """``read_together(*reads)`` with the navigation's unread count in the same round trip: each read's rows.

    A page that reads several rows together spares the count a round trip of its own. The count is kept on the
    request for ``portal`` below; a view that marks notifications read must not use this before it does."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return read_together(*reads)
    *rows, unread = read_together(*reads, (_UNREAD, {"recipient_id": user.pk}))
    request.inbox_unread = unread[0] if unread else 0
    return rows


def portal(request) -> dict:
    """The regulator's name and service name for every page's header, and the signed-in user's unread count."""

    def unread() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        counted = getattr(request, "inbox_unread", None)  # read with the page's rows (read_with_navigation)
        return counted if counted is not None else _UNREAD.first(recipient_id=user.pk) or 0

    from cqcportal.accounts.session import session_seconds_left
    from cqcportal.accounts.two_factor import session_needs_second_factor

    user = getattr(request, "user", None)
    return {
        # The time-out warning's clock (signed-in pages only), and whether sign-in is still half done.
        "session_seconds_left": session_seconds_left(request),
        "session_warning_seconds": settings.SESSION_WARNING_MINUTES * 60,
        "session_idle_minutes": settings.SESSION_IDLE_MINUTES,
        "second_factor_pending": SimpleLazyObject(
            lambda: user is not None and hasattr(request, "session") and session_needs_second_factor(request)
        ),
        "regulator_name": settings.PORTAL_REGULATOR_NAME,
        "service_name": settings.PORTAL_SERVICE_NAME,
        "debug_mailbox": settings.DEBUG,
        # Lazy: counted only when a page shows the navigation (one indexed query).
        "inbox_unread": SimpleLazyObject(unread),
    }
