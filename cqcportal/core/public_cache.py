"""Public pages served from the shared cache to anonymous visitors (docs/adr/0013-national-scale.md).

The register's public pages (a location's profile and its rating working, a provider's profile, a published report,
the search) show the same thing to every anonymous visitor until something is published, so their HTML is kept
for ``PUBLIC_PAGE_CACHE_SECONDS`` (ten minutes, give or take a tenth). Whatever changes what the public sees (a
report or an enforcement action published, an assessment started or finished, a rating review under way or
decided, special measures, a rating suspended, an edit to the register) calls ``public_pages_changed()``: after its
transaction commits, every cached public page is out of date at once (the pages' keys carry a generation number,
which it moves on). The time limit is only the safety net for a change that forgets to say so.

A visitor with a session or a message waiting (signed in, or part way through something) is never served from the
cache and never fills it, and neither is a page that sets a cookie, so nothing personal is shared.
"""

from __future__ import annotations

import functools
import hashlib
import random

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

GENERATION_KEY = "public-pages:generation"
_PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def public_pages_changed() -> None:
    """What the public pages show has changed: once the current transaction commits, no cached page is served."""
    transaction.on_commit(_next_generation)


def _next_generation() -> None:
    cache.add(GENERATION_KEY, 0, timeout=None)
    cache.incr(GENERATION_KEY)


def cached_for_the_public(view):
    """Serve the view's 200 answers to anonymous visitors from the shared cache (see the module's docstring)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        if not seconds or request.method != "GET" or any(name in request.COOKIES for name in _PERSONAL_COOKIES):
            return view(request, *args, **kwargs)
        path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"public-page:{cache.get(GENERATION_KEY, 0)}:{path}"
        body = cache.get(key)
        if body is not None:
            response = HttpResponse(body)
            response["X-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            # ±10%, so pages cached together (after a change, or a restart) are not all rendered again together.
            cache.set(key, response.content, round(seconds * random.uniform(0.9, 1.1)))  # noqa: S311 - not a secret
            response["X-Cache"] = "miss"
        return response

    return wrapped
