"""Moments read from PostgreSQL with ``datetime.fromisoformat`` (cqcportal/core/pg_types.py): the same values,
in the same time zone object, as Django's own loader reads, or the same refusal."""

import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.postgres import types
from psycopg.pq import Format

from cqcportal.core.pg_types import IsoTzLoader

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's loader")

MOMENTS = [
    "2026-12-05 11:28:00+00",
    "2026-12-05 11:28:00.5+00",
    "2026-12-05 11:28:00.123456+00",
    "2026-12-05 11:28:00.000001+00",
    "2026-03-29 00:59:59.999999+00",  # the last moment of GMT before the clocks go forward
    "2026-03-29 02:30:00+01",  # written with an offset: the same instant as 01:30 UTC
    "2026-10-25 01:30:00+05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def _read(sql: str, *, django_loader: bool):
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if django_loader:  # Django's own, on this cursor only
            register_tzloader(connection.timezone, raw)
        raw.execute(sql)
        return raw.fetchone()[0]


@pytest.mark.django_db
def test_every_connection_reads_moments_with_the_iso_loader_in_djangos_time_zone():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)

    assert issubclass(loader, IsoTzLoader)
    assert loader.timezone is connection.timezone is dt.UTC


@pytest.mark.django_db
@pytest.mark.parametrize("moment", MOMENTS)
def test_a_moment_is_read_as_djangos_loader_reads_it(moment):
    sql = f"SELECT '{moment}'::timestamptz"

    ours, djangos = _read(sql, django_loader=False), _read(sql, django_loader=True)

    assert ours == djangos
    assert ours.tzinfo is djangos.tzinfo is dt.UTC
    assert ours == dt.datetime.fromisoformat(moment)


@pytest.mark.django_db
def test_moments_in_another_session_time_zone_are_the_same_instants_in_utc():
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/London'")
        try:
            value = _read("SELECT '2026-07-01 12:00:00.25+00'::timestamptz", django_loader=False)
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")

    assert value == dt.datetime(2026, 7, 1, 12, 0, 0, 250000, tzinfo=dt.UTC)
    assert value.tzinfo is dt.UTC


@pytest.mark.django_db
@pytest.mark.parametrize("literal", ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC"])
def test_what_python_cannot_hold_is_refused_as_djangos_loader_refuses_it(literal):
    sql = f"SELECT '{literal}'::timestamptz"

    with pytest.raises(psycopg.DataError) as djangos:
        _read(sql, django_loader=True)
    with pytest.raises(psycopg.DataError) as ours:
        _read(sql, django_loader=False)

    assert str(ours.value) == str(djangos.value)


@pytest.mark.django_db
def test_rows_read_through_the_orm_keep_their_moments():
    from cqcportal.accounts.models import User

    user = User.objects.create_user(email="moments@example.org", password="a long enough password", full_name="M")
    stamp = dt.datetime(2026, 12, 5, 11, 28, 0, 123456, tzinfo=dt.UTC)
    User.objects.filter(pk=user.pk).update(last_login=stamp)

    assert User.objects.get(pk=user.pk).last_login == stamp
