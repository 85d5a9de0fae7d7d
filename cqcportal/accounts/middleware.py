"""Until a signed-in person has typed their second-factor code, they can only finish signing in or leave."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from cqcportal.accounts.two_factor import session_needs_second_factor

# Pages open to someone who has given their password but not yet their code.
_OPEN_PREFIXES = (
    "/accounts/two-factor/",
    "/accounts/sign-out/",
    "/accounts/locked/",
    "/accounts/password-reset/",
    "/accounts/reset/",
    "/accounts/session/",
    "/dev/codes/",  # the demo's codes (development only: a 404 on a live portal)
)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.open_prefixes = (*_OPEN_PREFIXES, settings.STATIC_URL)

    def __call__(self, request):
        if session_needs_second_factor(request) and not request.path.startswith(self.open_prefixes):
            target = reverse("accounts:two-factor")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)
