"""The named URLs of the URL conf, found by walking it, for the tests that must name every page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every named URL of the URL conf, with its namespace; the back office (Django admin) is left out, for its
    pages come from its registry of models."""
    names: set[str] = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"{entry.pattern} has no name, so no table of pages can name it"
            names.add(f"{namespace}{entry.name}")
    return names
