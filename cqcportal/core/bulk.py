"""Inserting many rows fast: PostgreSQL's COPY, with bulk_create as the portable fallback (the SQLite demo).

For set-based work that writes thousands of rows in one transaction (the deadline sweep's ledger, notifications and
audit events). Rows are plain tuples in the order of ``fields``: building a model instance per row costs more than
PostgreSQL spends storing it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: list[tuple], *, with_ids: bool = False):
    """Insert ``rows`` (tuples of the values of ``fields``) into ``model``'s table; returns the new ids in row order
    when ``with_ids``, else None.

    Every column without a database default must be among ``fields`` (COPY does not apply Django's defaults). Runs
    in the caller's transaction; a constraint that a row breaks fails the whole insert.
    """
    if not rows:
        return [] if with_ids else None
    if connection.vendor != "postgresql":
        objects = model._default_manager.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows])
        return [obj.pk for obj in objects] if with_ids else None
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    is_json = [isinstance(meta.get_field(name), models.JSONField) for name in fields]
    ids = None
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = [meta.pk.column, *columns]
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        # The psycopg cursor under Django's wrapper: COPY is not part of the DB-API.
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(meta.db_table)} ({quoted}) FROM STDIN") as copy:
            needs_json = any(is_json)
            for i, row in enumerate(rows):
                if needs_json:
                    row = tuple(_json(v) if j else v for v, j in zip(row, is_json, strict=True))
                copy.write_row((ids[i], *row) if ids is not None else row)
    return ids


def _json(value) -> str:
    # Most rows' JSON is empty (no extra headers, no audit data): write it without the encoder.
    return "{}" if type(value) is dict and not value else json.dumps(value)
