"""Moments (``timestamptz``) read from PostgreSQL by Python's own ISO parser, not psycopg's pure-Python one.

Django loads every ``timestamptz`` with its own loader (``psycopg_any.BaseTzLoader``), which, being a subclass of
psycopg's Python ``TimestamptzLoader``, cannot use psycopg's compiled one: about 4 microseconds a value, against
0.2 for ``datetime.fromisoformat``, which is written in C. A caseload orders 339 assessments by when they were
created, and read that way the moments alone cost 1.6 ms of the page's 4.4 (docs/adr/0013-national-scale.md).

:class:`IsoTzLoader` is Django's loader with a fast path. PostgreSQL writes a moment as ISO 8601 (``DateStyle``
ISO, which is what psycopg and Django assume) in the connection's time zone, which Django sets to its own (UTC):
``fromisoformat`` reads that exactly, to the microsecond, and the value is then put in Django's time zone as
Django's loader does. Anything else (``infinity``, a year before Christ or after 9999, another ``DateStyle``) is
left to Django's loader, so it is read, or refused, exactly as before.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.postgres import types
from psycopg.pq import Format

_TIMESTAMPTZ_OID = types["timestamptz"].oid


class IsoTzLoader(BaseTzLoader):
    """Django's ``timestamptz`` loader for one time zone (``timezone``), reading ISO 8601 text with
    ``datetime.fromisoformat``."""

    def load(self, data):
        timezone = self.timezone
        if timezone is None:  # USE_TZ = False: Django's loader drops the zone from the connection's local time
            return super().load(data)
        try:
            value = dt.datetime.fromisoformat(str(data, "ascii"))
        except ValueError:
            return super().load(data)
        if value.tzinfo is None:  # not a moment as PostgreSQL writes one
            return super().load(data)
        return value if value.tzinfo is timezone else value.astimezone(timezone)


@functools.lru_cache(maxsize=8)
def iso_loader_for(timezone: dt.tzinfo | None) -> type[IsoTzLoader]:
    """The loader class for moments in ``timezone`` (one class a zone, as Django makes one a connection)."""
    return type("IsoTzLoaderInZone", (IsoTzLoader,), {"timezone": timezone})


def use_iso_loader(sender, connection, **kwargs) -> None:
    """On each new PostgreSQL connection (``connection_created``): read its moments with :class:`IsoTzLoader`,
    in the time zone Django's own loader was given (which Django checks on every cursor, and finds unchanged)."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    current = adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
    if current is None or issubclass(current, IsoTzLoader) or not issubclass(current, BaseTzLoader):
        return
    adapters.register_loader("timestamptz", iso_loader_for(current.timezone))
