"""Helpers for the test client's responses."""

from django.core import signals
from django.db import close_old_connections


def close_streamed(response) -> None:
    """Close a streamed response's file, as the test client does: without ending the test's database connection
    (``response.close()`` sends ``request_finished``, on which Django closes old connections)."""
    signals.request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        signals.request_finished.connect(close_old_connections)
