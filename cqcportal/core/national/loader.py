"""Writing rows fast: ids handed out here, rows buffered per table and streamed with PostgreSQL's COPY.

Rows are plain tuples in the order of the columns named when the table is opened, so no model instance is built
for the millions of rows of a national register. On PostgreSQL full buffers go in with ``COPY ... FROM STDIN``
(psycopg 3's ``cursor.copy()``) on a writer thread, so the server stores one chunk while Python makes the next; it
uses the run's own connection, in its transaction, and the main thread waits for it (``drain``) before it queries
the database itself. Elsewhere (SQLite, for tiny runs) rows go in with ``bulk_create``.

The foreign keys of the tables being loaded are dropped before the load and added again afterwards, in the same
transaction: PostgreSQL then checks each constraint once, with one join over the table, instead of one lookup (and
one row lock on the referenced row) per inserted row. DDL is transactional, so a failed run leaves every
constraint, and no row, behind.

JSON columns take Python values, or a ``str`` that is already JSON text (``"{}"``: cheaper than encoding an empty
dict a million times).
"""

from __future__ import annotations

import json
import queue
import threading

from django.db import connection, models

CHUNK = 20_000


class Table:
    """One table being loaded: its columns, the next free id and the rows waiting to be written.

    ``add`` is the buffer's own ``append``, for speed; ``Loader.flush_full`` hands full buffers to the writer.
    """

    def __init__(self, loader: Loader, model: type[models.Model], fields: list[str]):
        self.loader = loader
        self.model = model
        self.fields = fields
        meta = model._meta
        self.db_table = meta.db_table
        by_attname = {f.attname: f for f in meta.concrete_fields}
        self.columns = [by_attname[name].column for name in fields]
        self.json_positions = [i for i, name in enumerate(fields) if isinstance(by_attname[name], models.JSONField)]
        self.has_id = meta.pk.attname == "id" and isinstance(meta.pk, models.AutoField | models.BigAutoField)
        self.next_id = loader.first_free_id(self.db_table) if self.has_id else 0
        self.written = 0
        self._new_buffer()

    def _new_buffer(self) -> None:
        self.rows: list[tuple] = []
        self.add = self.rows.append

    def new_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    @property
    def count(self) -> int:
        return self.written + len(self.rows)

    def flush(self) -> None:
        if not self.rows:
            return
        rows = self.rows
        self._new_buffer()
        self.written += len(rows)
        self.loader.write(self, rows)

    def copy(self, raw, rows: list[tuple]) -> None:
        """COPY the rows in over ``raw``, the run's psycopg connection (in its transaction)."""
        columns = ", ".join(f'"{c}"' for c in self.columns)
        json_positions = self.json_positions
        with raw.cursor() as cursor, cursor.copy(f'COPY "{self.db_table}" ({columns}) FROM STDIN') as copy:
            write = copy.write_row
            if json_positions:
                for row in rows:
                    row = list(row)
                    for i in json_positions:
                        if not isinstance(row[i], str):
                            row[i] = json.dumps(row[i])
                    write(row)
            else:
                for row in rows:
                    write(row)

    def bulk_create(self, rows: list[tuple]) -> None:
        model, fields = self.model, self.fields
        objects = []
        for row in rows:
            values = dict(zip(fields, row, strict=True))
            for i in self.json_positions:
                if isinstance(row[i], str):
                    values[fields[i]] = json.loads(row[i])
            objects.append(model(**values))  # FSM fields are protected only after construction
        model.objects.bulk_create(objects, batch_size=500)


class Loader:
    """The tables of one run, opened by model; ``finish`` writes what is left and resets the id sequences."""

    def __init__(self):
        self.postgresql = connection.vendor == "postgresql"
        self.tables: dict[type[models.Model], Table] = {}
        self._dropped: list[tuple[str, str, str]] = []
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self._abort = False
        self._raw = None
        self._writer: threading.Thread | None = None

    def table(self, model: type[models.Model], fields: list[str]) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(self, model, fields)
        elif self.tables[model].fields != fields:
            raise ValueError(f"{model.__name__} was opened with other columns")
        return self.tables[model]

    # --- writing ------------------------------------------------------------------------------------------------

    def write(self, table: Table, rows: list[tuple]) -> None:
        if not self.postgresql:
            table.bulk_create(rows)
            return
        self._check()
        if self._writer is None:
            # Django's connection is per thread: the writer is given this thread's psycopg connection itself.
            connection.ensure_connection()
            self._raw = connection.connection
            self._writer = threading.Thread(target=self._write_chunks, name="seed-national-copy", daemon=True)
            self._writer.start()
        self._queue.put((table, rows))

    def _write_chunks(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None and not self._abort:
                    table, rows = item
                    table.copy(self._raw, rows)
            except BaseException as exc:  # handed to the main thread, which raises it
                self._error = exc
            finally:
                self._queue.task_done()

    def _check(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def drain(self) -> None:
        """Wait until every chunk handed over is in the database (before the main thread queries it)."""
        if self._writer is not None:
            self._queue.join()
        self._check()

    def flush_full(self) -> None:
        """Hand every full buffer to the writer."""
        for table in self.tables.values():
            if len(table.rows) >= CHUNK:
                table.flush()

    def close(self, *, abort: bool = False) -> None:
        """Stop the writer once it has written what it was given (or, with ``abort``, skipping it)."""
        self._abort = self._abort or abort
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None

    # --- the database ---------------------------------------------------------------------------------------------

    def first_free_id(self, db_table: str) -> int:
        self.drain()
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{db_table}"')  # noqa: S608 - a model's table name
            highest = cursor.fetchone()[0]
            if self.postgresql:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [db_table])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - from the catalogue
                    last_value, is_called = cursor.fetchone()
                    highest = max(highest, last_value if is_called else last_value - 1)
        return highest + 1

    def drop_foreign_keys(self, models_to_load: list[type[models.Model]]) -> None:
        """Drop the foreign keys of the tables about to be loaded, remembering them to add again (PostgreSQL)."""
        if not self.postgresql:
            return
        tables = sorted({m._meta.db_table for m in models_to_load})
        with connection.cursor() as cursor:
            # Deferred checks queued earlier in this transaction would forbid altering their tables.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                [tables],
            )
            self._dropped = cursor.fetchall()
            for table, name, _ in self._dropped:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def finish(self) -> None:
        """Write every buffer, add the foreign keys back (each checked once over its table), fix the sequences."""
        try:
            for table in self.tables.values():
                table.flush()
            self.drain()
        finally:
            self.close()
        with connection.cursor() as cursor:
            for table, name, definition in self._dropped:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            self._dropped = []
            if self.postgresql:
                for table in self.tables.values():
                    if table.has_id:
                        sql = (
                            "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL)"
                        )
                        cursor.execute(f'{sql} FROM "{table.db_table}"', [table.db_table])

    def analyze(self) -> None:
        if self.postgresql:
            with connection.cursor() as cursor:
                for table in self.tables.values():
                    cursor.execute(f'ANALYZE "{table.db_table}"')
