"""Hot reads whose SQL Django compiles once per connection, not on every request.

Turning a queryset into SQL costs Django about 0.3-0.5 ms a statement (choosing columns, joins, ordering,
quoting names), which on the national register was a quarter of a signed-in page and more than PostgreSQL
took to answer (docs/adr/0013-national-scale.md, "Compiled reads"). A ``CompiledRead`` builds its
queryset once with stand-in parameter values, keeps the SQL and where each stand-in went, and afterwards
only swaps the values in and turns the rows into objects the way Django's own iterables do.

It is for a fixed shape of read with scalar parameters (ids, strings, datetimes), or a list of ids matched with
``= ANY(%s)`` (``RawSQL``, one array parameter however many ids). The stand-ins must reach
the SQL unchanged: a parameter Django transforms (``__icontains`` wraps it in ``%``), or one whose value
changes the SQL's shape (``None``, a list for ``__in``), is refused when the read is first compiled, so a
misuse fails loudly in the first test that runs it rather than reading the wrong rows.

On SQLite (the embedded demo) the queryset is simply run: its parameters are adapted in Python, and the
demo has no national-scale traffic to save.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import BooleanField, ForeignKey, Model, Prefetch, Q, QuerySet, Value, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.db.models.fields.related_descriptors import ManyToManyDescriptor, ReverseManyToOneDescriptor
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.utils import create_namedtuple_class

# psycopg turns a statement's %s placeholders into PostgreSQL's $1, $2... on every execution, and keeps the result
# only for statements of up to 4,096 bytes and 50 parameters (so that ORM statements of varying length, such as
# multi-row INSERTs, do not fill its cache). A compiled read is one fixed text however often it runs, and a few are
# longer: the draft report's read of its report, with its joins and its reading's audit line (6.2 kB, 52-74
# parameters), was parsed again on every request, 0.17 ms of its 0.95 ms of reads (docs/benchmarks.md). The limits
# are raised to take them. Checked by cqcportal/core/tests/test_compiled.py against the pinned psycopg.
try:
    from psycopg import _queries as _psycopg_queries
except ImportError:  # pragma: no cover - psycopg is in requirements.txt; SQLite alone would not need it
    _psycopg_queries = None
else:
    _psycopg_queries.MAX_CACHED_STATEMENT_LENGTH = max(_psycopg_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
    _psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = max(_psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, 200)

# Stand-in values nobody's data holds, one per parameter, of the parameter's type.
_INT_BASE = 7_300_000_000_000_000
_DATETIME_BASE = dt.datetime(1903, 2, 5, 7, 11, 13, tzinfo=dt.UTC)
_DATE_BASE = dt.date(1903, 2, 5)


def _stand_in(kind: type, n: int) -> Any:
    if kind is int:
        return _INT_BASE + n
    if kind is str:
        return f"\x1fcompiled-read-parameter-{n}\x1f"
    if kind is dt.datetime:
        return _DATETIME_BASE + dt.timedelta(microseconds=n + 1)
    if kind is dt.date:
        return _DATE_BASE + dt.timedelta(days=n + 1)
    if kind is list:
        # For "= ANY(%s)" written with RawSQL: one array parameter, whatever the number of values.
        return [_INT_BASE + n, _INT_BASE - n - 1]
    raise ImproperlyConfigured(f"CompiledRead parameters may be int, str, datetime, date or list, not {kind!r}.")


def matches_any(model: type[Model], field: str, values) -> RawSQL | Q:
    """A condition for ``filter()``: the field's column is one of ``values``, sent as one array parameter.

    Django writes ``__in`` as ``IN (%s, %s, ...)``, a different statement for every number of values, which can be
    neither compiled once nor prepared; ``= ANY(%s)`` is one statement for any number. SQLite (the demo) has no
    arrays: there it is Django's ``__in``.
    """
    if connections[router.db_for_read(model)].vendor != "postgresql":
        return Q(**{f"{field}__in": list(values)})
    column = f'"{model._meta.db_table}"."{model._meta.get_field(field).column}"'
    return RawSQL(f"{column} = ANY(%s)", [list(values)], output_field=BooleanField())  # noqa: S611 - names from the model, values as a parameter


@dataclass(frozen=True)
class _CompiledPrefetch:
    """A one-level prefetch of a reverse foreign key (``location.published_ratings``), read by a compiled read of
    the related rows whose key is any of the objects' ids: what ``prefetch_related`` stores, without Django
    compiling its query on every request."""

    through: str
    to_attr: str | None
    queryset: QuerySet | None
    field: ForeignKey  # on the related model, to the prefetching model's primary key
    read: CompiledRead

    @classmethod
    def of(cls, model: type[Model], lookup: str | Prefetch) -> _CompiledPrefetch | None:
        """The compiled form of ``lookup`` on ``model``'s objects, or None where Django's prefetch must do it (a
        lookup through several relations, a forward or many-to-many relation, a key to another field than the
        primary key, a sliced queryset)."""
        if isinstance(lookup, Prefetch):
            through, queryset, to_attr = lookup.prefetch_through, lookup.queryset, lookup.to_attr
        else:
            through, queryset, to_attr = lookup, None, None
        descriptor = getattr(model, through, None) if "__" not in through else None
        if not isinstance(descriptor, ReverseManyToOneDescriptor) or isinstance(descriptor, ManyToManyDescriptor):
            return None
        field = descriptor.field
        if field.target_field != model._meta.pk or (queryset is not None and queryset.query.is_sliced):
            return None
        # As Django's reverse manager prefetches: the given queryset, else the related model's default manager's.
        base = queryset if queryset is not None else field.model._default_manager.get_queryset()
        related = field.model
        read = CompiledRead(lambda ids: base.filter(matches_any(related, field.name, ids)), ids=list)
        return cls(through=through, to_attr=to_attr, queryset=queryset, field=field, read=read)

    def values(self, objects: list[Model]) -> dict[str, Any]:
        """The related rows' read's parameters for ``objects``."""
        return {"ids": list({obj.pk for obj in objects})}

    def attach(self, objects: list[Model], rows: list[Model] | None = None) -> None:
        """Store each object's related rows as ``prefetch_related_objects`` would: ``rows`` if they have been read
        already (as ``self.read`` gives them for ``self.values(objects)``), else read now."""
        field, attname = self.field, self.field.attname
        if rows is None:
            rows = self.read.all(**self.values(objects))
        by_owner: dict[Any, list] = {}
        for row in rows:
            by_owner.setdefault(getattr(row, attname), []).append(row)
        cache_name = field.remote_field.cache_name
        for obj in objects:
            rows = by_owner.get(obj.pk, [])
            for row in rows:
                if not field.is_cached(row):
                    field.set_cached_value(row, obj)
            if self.to_attr:
                setattr(obj, self.to_attr, rows)
                continue
            manager = getattr(obj, self.through)
            queryset = manager.get_queryset() if self.queryset is None else manager._apply_rel_filters(self.queryset)
            queryset._result_cache = rows
            queryset._prefetch_done = True
            if not hasattr(obj, "_prefetched_objects_cache"):
                obj._prefetched_objects_cache = {}
            obj._prefetched_objects_cache[cache_name] = queryset


def keyed_through(read: CompiledRead, name: str, key: str, through: Callable[[Any], Any], kind: type = int):
    """``read`` with its parameter ``name`` found by the statement itself from a parameter ``key`` of type ``kind``:
    ``through(key)`` gives the expression (a ``Subquery``) the build is given for ``name``, e.g. a location's id from
    an assessment's. A read that needed another's row first can then go with it (``read_together``), one round trip.
    """
    others = {k: v for k, v in read.parameters.items() if k != name}
    if len(others) == len(read.parameters) or key in others:
        raise ImproperlyConfigured(f"{name!r} is not a parameter of the read, or {key!r} is one already.")

    def build(**values):
        return read.build(**{name: through(values.pop(key))}, **values)

    return CompiledRead(build, **{key: kind}, **others)


def attach_prefetched(objects: list[Model], lookup: str, rows: list[Model]) -> None:
    """Store ``rows`` (all the related rows of ``objects``, or more: the others are left out) as each object's
    ``prefetch_related(lookup)`` would, for a reverse foreign key read with other reads rather than after them.

    :raises ImproperlyConfigured: for a lookup ``prefetch_related`` must do itself (see ``_CompiledPrefetch.of``).
    """
    if not objects:
        return
    prefetch = _CompiledPrefetch.of(type(objects[0]), lookup)
    if prefetch is None:
        raise ImproperlyConfigured(f"{lookup!r} is not a reverse foreign key to attach rows to.")
    prefetch.attach(objects, rows)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple[tuple[str, int], ...]
    converters: dict
    compiler: Any
    shape: str  # "models", "values", "tuples", "flat" or "named"
    names: tuple[str, ...]
    model_start: int = 0
    model_end: int = 0
    init_list: tuple[str, ...] = ()
    populators: tuple = ()
    annotation_col_map: dict | None = None
    prefetch: tuple = ()  # the lookups Django prefetches (compiling their SQL each time)
    compiled_prefetch: tuple[_CompiledPrefetch, ...] = ()  # the lookups prefetched by compiled reads


def _positions(params: tuple, stand_ins: dict[str, Any], kind: str, advice: str = "") -> list[tuple[str, int]]:
    """Where each parameter's stand-in went among the compiled SQL's parameters, as (name, index) pairs.

    :raises ImproperlyConfigured: if a stand-in is not among them unchanged (Django transformed it, or the SQL does
        not use it).
    """
    positions = []
    for name, stand_in in stand_ins.items():
        found = [i for i, p in enumerate(params) if type(p) is type(stand_in) and p == stand_in]
        if not found:
            raise ImproperlyConfigured(f"{kind} parameter {name!r} does not reach the SQL unchanged{advice}.")
        positions.extend((name, i) for i in found)
    return positions


class CompiledRead:
    """One read, ``build(**parameters) -> QuerySet``, compiled to SQL once per database connection.

    ``parameters`` names each of ``build``'s keyword arguments with its type (int, str, datetime, date, or list for
    an array of ids).
    Call ``all(**values)`` for the rows as a list (model objects, dicts or tuples, as the queryset would give),
    or ``first(**values)`` for the first row or None.

    ``with_(connection, **parameters) -> (sql, params)``, on PostgreSQL only, gives a ``WITH`` clause's queries to
    put before the read's own, e.g. ``'"seen" AS (INSERT ... SELECT ... RETURNING 1)'``: a write made by the same
    statement, so from the same snapshot as the rows read. It is not run on SQLite, where the caller must make it.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *,
        with_: Callable[..., tuple[str, list]] | None = None,
        **parameters: type,
    ) -> None:
        self.build = build
        self.with_ = with_
        self.parameters = parameters
        # Keyed by the connection object, which is per thread: the compiler keeps its connection, and the
        # test server and Celery's threads each have their own.
        self._by_connection: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def all(self, **values: Any) -> list:
        """The rows for these parameter values, as the queryset would give them.

        :raises ImproperlyConfigured: on first use, if a parameter does not reach the SQL unchanged.
        """
        alias = self.alias(values)
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return list(self.build(**values))
        compiled, params = self._statement(alias, connection, values)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return self._finish(compiled, rows, alias)

    def alias(self, values: dict[str, Any]) -> str:
        """The database this read goes to (checking ``values`` names exactly its parameters)."""
        if set(values) != set(self.parameters):
            raise TypeError(f"CompiledRead expects {sorted(self.parameters)}, got {sorted(values)}.")
        return router.db_for_read(self._model_of_build())

    def _statement(self, alias: str, connection, values: dict[str, Any]) -> tuple[_Compiled, list]:
        compiled = self._by_connection.get(connection)
        if compiled is None:
            compiled = self._compile(alias, connection)
            self._by_connection[connection] = compiled
        params = list(compiled.params)
        for name, index in compiled.positions:
            params[index] = values[name]
        return compiled, params

    def _finish(self, compiled: _Compiled, rows: list, alias: str, pending: list | None = None) -> list:
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return self._shape(compiled, rows, alias, pending)

    def first(self, **values: Any) -> Any:
        """The first row for these values, or None."""
        rows = self.all(**values)
        return rows[0] if rows else None

    def _model_of_build(self) -> type[Model]:
        model = getattr(self, "_model", None)
        if model is None:
            model = self._model = self.build(**self._stand_ins()).model
        return model

    def _stand_ins(self) -> dict[str, Any]:
        return {name: _stand_in(kind, n) for n, (name, kind) in enumerate(self.parameters.items())}

    def _compile(self, alias: str, connection) -> _Compiled:
        stand_ins = self._stand_ins()
        queryset = self.build(**stand_ins)
        compiler = queryset.query.get_compiler(using=alias, connection=connection)
        sql, params = compiler.as_sql()
        if self.with_ is not None:
            with_sql, with_params = self.with_(connection, **stand_ins)
            sql, params = f"WITH {with_sql} {sql}", (*with_params, *params)
        params = tuple(params)
        positions = _positions(params, stand_ins, "CompiledRead", "; run the queryset instead")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = compiler.get_converters(fields)
        iterable = queryset._iterable_class
        common = {
            "sql": sql,
            "params": params,
            "positions": tuple(positions),
            "converters": converters,
            "compiler": compiler,
            "prefetch": tuple(queryset._prefetch_related_lookups),
        }
        if iterable is ModelIterable:
            model = queryset.model
            compiled_prefetch = []
            django_prefetch = []
            for lookup in common["prefetch"]:
                prefetch = _CompiledPrefetch.of(model, lookup)
                if prefetch is None:
                    django_prefetch.append(lookup)
                else:
                    compiled_prefetch.append(prefetch)
            common["prefetch"] = tuple(django_prefetch)
            common["compiled_prefetch"] = tuple(compiled_prefetch)
            if queryset._known_related_objects:
                raise ImproperlyConfigured("CompiledRead does not take querysets reached through a related object.")
            select, klass_info = compiler.select, compiler.klass_info
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            return _Compiled(
                **common,
                shape="models",
                names=(),
                model_start=start,
                model_end=end,
                init_list=tuple(f[0].target.attname for f in select[start:end]),
                populators=tuple(get_related_populators(klass_info, select, alias)),
                annotation_col_map=compiler.annotation_col_map,
            )
        query = queryset.query
        if query.selected:
            names = tuple(query.selected)
        else:
            names = (*query.extra_select, *query.values_select, *query.annotation_select)
        if iterable is NamedValuesListIterable and queryset._fields:
            names = tuple(queryset._fields)
        shapes = {
            ValuesIterable: "values",
            ValuesListIterable: "tuples",
            FlatValuesListIterable: "flat",
            NamedValuesListIterable: "named",
        }
        if iterable not in shapes or common["prefetch"]:
            raise ImproperlyConfigured(f"CompiledRead does not take {iterable.__name__} querysets.")
        return _Compiled(**common, shape=shapes[iterable], names=tuple(names))

    @staticmethod
    def _shape(compiled: _Compiled, rows: list, alias: str, pending: list | None = None) -> list:
        """The rows as the queryset gives them. Compiled prefetches are made now, or, given ``pending`` (and no
        prefetch of Django's that might go through them), listed there as ``(prefetch, objects)`` to be made
        together with other reads' (``read_together``)."""
        if compiled.shape == "models":
            model_cls = compiled.compiler.klass_info["model"]
            start, end, init_list = compiled.model_start, compiled.model_end, list(compiled.init_list)
            objects = []
            for row in rows:
                obj = model_cls.from_db(alias, init_list, row[start:end])
                for populator in compiled.populators:
                    populator.populate(row, obj)
                if compiled.annotation_col_map:
                    for attr_name, col_pos in compiled.annotation_col_map.items():
                        setattr(obj, attr_name, row[col_pos])
                objects.append(obj)
            if objects:
                if pending is not None and not compiled.prefetch:
                    pending.extend((prefetch, objects) for prefetch in compiled.compiled_prefetch)
                else:
                    for prefetch in compiled.compiled_prefetch:
                        prefetch.attach(objects)
                if compiled.prefetch:
                    prefetch_related_objects(objects, *compiled.prefetch)
            return objects
        if compiled.shape == "values":
            return [dict(zip(compiled.names, row, strict=True)) for row in rows]
        if compiled.shape == "flat":
            return [row[0] for row in rows]
        if compiled.shape == "named":
            row_type = create_namedtuple_class(*compiled.names)
            return [tuple.__new__(row_type, row) for row in rows]
        return [tuple(row) for row in rows]


class CompiledSQL(CompiledRead):
    """A read whose SQL a queryset cannot say (a page of a union, with the union's size counted by a window), made
    by ``build(connection, **parameters) -> (sql, params)`` from querysets' own SQL and compiled once per connection
    like a ``CompiledRead``. Its rows are tuples, one value a field of ``fields``, converted as Django converts those
    fields' values (SQLite's dates arrive as text, its booleans as integers).

    Unlike a ``CompiledRead`` it runs its SQL on SQLite too (the embedded demo), so ``build`` must write SQL both
    understand or ask ``connection.vendor``.
    """

    def __init__(self, build: Callable[..., tuple[str, list]], *, model: type[Model], fields: tuple, **parameters):
        super().__init__(build, **parameters)
        self._model = model
        self.fields = fields

    def all(self, **values: Any) -> list:
        alias = self.alias(values)
        connection = connections[alias]
        compiled, params = self._statement(alias, connection, values)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return self._finish(compiled, rows, alias)

    def _compile(self, alias: str, connection) -> _Compiled:
        stand_ins = self._stand_ins()
        sql, params = self.build(connection, **stand_ins)
        params = tuple(params)
        positions = _positions(params, stand_ins, "CompiledSQL")
        converters = {}
        for index, field in enumerate(self.fields):
            found = connection.ops.get_db_converters(Value(None, output_field=field)) + field.get_db_converters(
                connection
            )
            if found:
                converters[index] = (found, Value(None, output_field=field))
        return _Compiled(
            sql=sql,
            params=params,
            positions=tuple(positions),
            converters=converters,
            compiler=None,
            shape="tuples",
            names=(),
        )

    def _finish(self, compiled: _Compiled, rows: list, alias: str, pending: list | None = None) -> list:
        if not compiled.converters:
            return [tuple(row) for row in rows]
        connection = connections[alias]
        finished = []
        for row in rows:
            row = list(row)
            for index, (converters, expression) in compiled.converters.items():
                value = row[index]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[index] = value
            finished.append(tuple(row))
        return finished


def read_together(*reads: tuple[CompiledRead, dict[str, Any]]) -> list[list]:
    """Each ``(read, values)``'s rows, as ``read.all(**values)`` gives them, with the statements sent to PostgreSQL
    together: one round trip for all of them (psycopg's pipeline mode), not one each.

    A page's independent reads each cost a round trip: a wait, and on a busy machine a switch to PostgreSQL's
    process and back. Sent together they are still separate statements (each prepared, each counted by the
    query-count tests), answered in order. Prefetches a read makes after its rows arrive are made as ``all()``
    makes them. On SQLite, or for reads on different databases, each read is simply run in turn.

    :raises django.db.DatabaseError: if any statement fails (the others' rows are not returned).
    """
    if not reads:
        return []
    aliases = {read.alias(values) for read, values in reads}
    alias = aliases.pop()
    connection = connections[alias]
    if aliases or connection.vendor != "postgresql" or len(reads) == 1:
        return [read.all(**values) for read, values in reads]
    statements = [read._statement(alias, connection, values) for read, values in reads]
    cursors = []
    try:
        # Django's cursors, so that each statement is checked, wrapped and logged as any other.
        for _ in statements:
            cursors.append(connection.cursor())
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (compiled, params) in zip(cursors, statements, strict=True):
                cursor.execute(compiled.sql, params)
        rows = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    pending: list[tuple[_CompiledPrefetch, list[Model]]] = []
    results = [
        read._finish(compiled, these, alias, pending)
        for (read, _), (compiled, _), these in zip(reads, statements, rows, strict=True)
    ]
    # The rows' own compiled prefetches (a comment's files, a deadline's extensions), together too.
    if pending:
        related = read_together(*((prefetch.read, prefetch.values(objects)) for prefetch, objects in pending))
        for (prefetch, objects), rows_of in zip(pending, related, strict=True):
            prefetch.attach(objects, rows_of)
    return results
