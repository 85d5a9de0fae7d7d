from django.conf import settings


def portal(request) -> dict:
    """The regulator's name and service name, shown in every page's header."""
    return {
        "regulator_name": settings.PORTAL_REGULATOR_NAME,
        "service_name": settings.PORTAL_SERVICE_NAME,
        "debug_mailbox": settings.DEBUG,
    }
