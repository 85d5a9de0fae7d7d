"""Reads compiled once: the same rows as the queryset, for each set of values, with one query each."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.test.utils import CaptureQueriesContext

from cqcportal.accounts.models import User
from cqcportal.core.compiled import CompiledRead, CompiledSQL, keyed_through, matches_any, read_together
from cqcportal.register.models import Location, Provider, PublishedRating
from cqcportal.tests.factories import LocationFactory, ProviderFactory, ProviderUserFactory

pytestmark = pytest.mark.django_db


def _locations_of(provider_id):
    return (
        Location.objects.select_related("provider")
        .filter(provider_id=provider_id)
        .annotate(siblings=Subquery(Provider.objects.filter(pk=OuterRef("provider_id")).values("pk")[:1]))
        .order_by("name")
    )


def _snapshot(objects):
    return [(o.pk, o.name, o.provider.name, o.siblings) for o in objects]


def test_model_rows_with_their_related_objects_and_annotations_match_the_queryset_for_each_value():
    first, second = ProviderFactory(), ProviderFactory()
    LocationFactory.create_batch(3, provider=first)
    LocationFactory.create_batch(2, provider=second)
    read = CompiledRead(_locations_of, provider_id=int)
    for provider in (first, second, first):
        with CaptureQueriesContext(connection) as ctx:
            got = read.all(provider_id=provider.pk)
        assert len(ctx.captured_queries) == 1
        assert _snapshot(got) == _snapshot(_locations_of(provider.pk))
        assert {o.provider_id for o in got} == {provider.pk}
        assert all(o._state.db == "default" and not o._state.adding for o in got)
    assert read.all(provider_id=-1) == []


def test_the_sql_is_compiled_once_per_connection():
    provider = ProviderFactory()
    LocationFactory(provider=provider)
    read = CompiledRead(_locations_of, provider_id=int)
    read.all(provider_id=provider.pk)
    compiled = read._by_connection[connections["default"]]
    read.all(provider_id=provider.pk + 1)
    assert read._by_connection[connections["default"]] is compiled


def test_values_tuples_flat_and_named_rows_match_the_queryset():
    provider = ProviderFactory()
    LocationFactory.create_batch(2, provider=provider)

    def build(shape):
        def inner(provider_id):
            qs = Location.objects.filter(provider_id=provider_id).order_by("pk")
            if shape == "values":
                return qs.values("name", "pk", provider_name=F("provider__name"))
            if shape == "tuples":
                return qs.values_list("name", "pk")
            if shape == "flat":
                return qs.values_list("pk", flat=True)
            return qs.values_list("pk", "name", named=True)

        return inner

    for shape in ("values", "tuples", "flat", "named"):
        got = CompiledRead(build(shape), provider_id=int).all(provider_id=provider.pk)
        assert got == list(build(shape)(provider.pk)), shape
    named = CompiledRead(build("named"), provider_id=int).first(provider_id=provider.pk)
    assert named.name == Location.objects.filter(provider=provider).order_by("pk")[0].name


def test_strings_and_datetimes_are_parameters_too():
    user = ProviderUserFactory(email="compiled@example.org")
    read = CompiledRead(
        lambda email, joined_before: User.objects.filter(email=email, date_joined__lt=joined_before),
        email=str,
        joined_before=dt.datetime,
    )
    later = user.date_joined + dt.timedelta(seconds=1)
    assert [u.pk for u in read.all(email="compiled@example.org", joined_before=later)] == [user.pk]
    assert read.all(email="compiled@example.org", joined_before=user.date_joined) == []
    assert read.first(email="someone@example.org", joined_before=later) is None


def test_prefetched_relations_come_with_the_rows():
    provider = ProviderFactory()
    LocationFactory.create_batch(2, provider=provider)
    read = CompiledRead(
        lambda provider_id: Provider.objects.filter(pk=provider_id).prefetch_related("locations"), provider_id=int
    )
    expected = set(provider.locations.values_list("pk", flat=True))
    got = read.first(provider_id=provider.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert {loc.pk for loc in got.locations.all()} == expected
    assert len(ctx.captured_queries) == 0


def test_a_parameter_django_transforms_is_refused_when_first_compiled():
    read = CompiledRead(lambda name: Location.objects.filter(name__icontains=name), name=str)
    with pytest.raises(ImproperlyConfigured, match="does not reach the SQL unchanged"):
        read.all(name="care")


def test_wrong_parameter_names_and_types_are_refused():
    with pytest.raises(ImproperlyConfigured):
        CompiledRead(lambda flag: Location.objects.filter(is_active=flag), flag=bool).all(flag=True)
    read = CompiledRead(lambda provider_id: Location.objects.filter(provider_id=provider_id), provider_id=int)
    with pytest.raises(TypeError):
        read.all(provider=1)


def test_aggregates_in_values_compile_too():
    provider = ProviderFactory()
    LocationFactory.create_batch(3, provider=provider)
    read = CompiledRead(
        lambda provider_id: Provider.objects.filter(pk=provider_id)
        .annotate(n=Count("locations"))
        .values_list("n", flat=True),
        provider_id=int,
    )
    assert read.first(provider_id=provider.pk) == 3


def test_a_list_of_ids_is_one_array_parameter_whatever_its_length():
    provider = ProviderFactory()
    locations = LocationFactory.create_batch(4, provider=provider)
    read = CompiledRead(
        lambda ids: Location.objects.filter(matches_any(Location, "id", ids))
        .order_by("pk")
        .values_list("pk", flat=True),
        ids=list,
    )
    for chosen in (locations[:1], locations[1:], locations[::2]):
        ids = [loc.pk for loc in chosen]
        with CaptureQueriesContext(connection) as ctx:
            assert read.all(ids=ids) == sorted(ids)
        assert ctx.captured_queries[0]["sql"].count("ANY(") == 1
    assert read.all(ids=[]) == []


def _rate(location, key_question, rating, *, is_current=True):
    return PublishedRating.objects.create(
        location=location, key_question=key_question, rating=rating, source="assessment", is_current=is_current
    )


def _compilations(read, **values):
    """How many statements Django compiled while ``read`` ran (its own and its prefetches')."""
    from django.db.models.sql.compiler import SQLCompiler

    calls = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    SQLCompiler.as_sql = counting
    try:
        rows = read.all(**values)
    finally:
        SQLCompiler.as_sql = original
    return rows, calls


def test_a_reverse_foreign_key_prefetch_is_a_compiled_read_too():
    provider = ProviderFactory()
    first, second, unrated = LocationFactory.create_batch(3, provider=provider)
    _rate(first, "safe", "good")
    _rate(first, "overall", "good")
    _rate(second, "overall", "inadequate")
    _rate(second, "caring", "good", is_current=False)

    def build(provider_id):
        return (
            Location.objects.filter(provider_id=provider_id)
            .order_by("pk")
            .prefetch_related(
                "published_ratings",
                Prefetch(
                    "published_ratings",
                    queryset=PublishedRating.objects.filter(is_current=True, key_question="overall").only(
                        "pk", "location_id", "rating"
                    ),
                    to_attr="current_overall",
                ),
            )
        )

    read = CompiledRead(build, provider_id=int)
    read.all(provider_id=provider.pk)  # compiled here, once
    with CaptureQueriesContext(connection) as ctx:
        got, compiled = _compilations(read, provider_id=provider.pk)
    assert compiled == []  # neither the read nor its two prefetches was compiled again
    assert len(ctx.captured_queries) == 3
    assert all("ANY(" in q["sql"] for q in ctx.captured_queries[1:])

    expected = list(build(provider.pk))
    with CaptureQueriesContext(connection) as ctx:
        for mine, django_s in zip(got, expected, strict=True):
            # The same rows as Django's prefetch, in its order (the related model's default ordering) ...
            assert [(r.pk, r.key_question, r.rating) for r in mine.published_ratings.all()] == [
                (r.pk, r.key_question, r.rating) for r in django_s.published_ratings.all()
            ]
            assert [r.pk for r in mine.current_overall] == [r.pk for r in django_s.current_overall]
            # ... each pointing back at its location, which is the object itself.
            assert all(r.location is mine for r in (*mine.published_ratings.all(), *mine.current_overall))
    assert len(ctx.captured_queries) == 0
    by_pk = {loc.pk: loc for loc in got}
    assert [r.rating for r in by_pk[second.pk].current_overall] == ["inadequate"]
    assert by_pk[unrated.pk].current_overall == [] and list(by_pk[unrated.pk].published_ratings.all()) == []
    # The prefetched manager is still a manager: a filter on it reads the database, as Django's would.
    assert by_pk[first.pk].published_ratings.filter(key_question="safe").count() == 1


def test_prefetches_compiled_reads_cannot_do_are_left_to_django():
    provider = ProviderFactory()
    location = LocationFactory(provider=provider)
    _rate(location, "overall", "good")
    read = CompiledRead(
        lambda location_id: Location.objects.filter(pk=location_id).prefetch_related(
            "provider__locations",  # through two relations
            Prefetch("published_ratings", queryset=PublishedRating.objects.order_by("pk")[:1], to_attr="first"),
        ),
        location_id=int,
    )
    got = read.first(location_id=location.pk)
    compiled = read._by_connection[connections["default"]]
    assert compiled.compiled_prefetch == () and len(compiled.prefetch) == 2
    with CaptureQueriesContext(connection) as ctx:
        assert [loc.pk for loc in got.provider.locations.all()] == [location.pk]
        assert [r.rating for r in got.first] == ["good"]
    assert len(ctx.captured_queries) == 0


# --- read_together: several reads, one round trip ---------------------------------------------------------------


def _ratings_of(provider_id):
    return (
        Location.objects.filter(provider_id=provider_id)
        .order_by("pk")
        .prefetch_related(
            Prefetch(
                "published_ratings",
                queryset=PublishedRating.objects.filter(is_current=True).order_by("key_question"),
                to_attr="current",
            )
        )
    )


def _pipeline_states(during):
    """The connection's pipeline status at each statement Django's cursors ran while ``during()`` ran."""
    states = []

    def record(execute, sql, params, many, context):
        states.append(context["connection"].connection.info.pipeline_status.name)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = during()
    return result, states


def test_reads_sent_together_give_each_read_s_rows_with_every_statement_in_one_pipeline():
    provider, other = ProviderFactory(), ProviderFactory()
    first, second = LocationFactory.create_batch(2, provider=provider)
    LocationFactory(provider=other, name="Zeta House")
    _rate(first, "safe", "good")
    _rate(first, "overall", "good")
    _rate(second, "overall", "inadequate")
    _rate(second, "caring", "good", is_current=False)
    locations = CompiledRead(_locations_of, provider_id=int)
    ratings = CompiledRead(_ratings_of, provider_id=int)  # with a compiled prefetch
    names = CompiledRead(
        lambda provider_id: Location.objects.filter(provider_id=provider_id).values_list("name", flat=True),
        provider_id=int,
    )
    counts = CompiledRead(
        lambda: Provider.objects.order_by("pk").annotate(n=Count("locations")).values("pk", "n"),
    )
    reads = [
        (locations, {"provider_id": provider.pk}),
        (ratings, {"provider_id": provider.pk}),
        (names, {"provider_id": other.pk}),
        (counts, {}),
        (locations, {"provider_id": other.pk}),
    ]
    from cqcportal.core.compiled import read_together

    with CaptureQueriesContext(connection) as ctx:
        together, states = _pipeline_states(lambda: read_together(*reads))
    # Each read is its own statement, counted as any other, all five in one pipeline; the prefetch follows in a
    # second round trip (alone, so simply run).
    assert len(ctx.captured_queries) == 6
    assert states == ["ON"] * 5 + ["OFF"]
    # The same rows as each read alone gives, in the order asked.
    alone = [read.all(**values) for read, values in reads]
    assert _snapshot(together[0]) == _snapshot(alone[0]) == _snapshot(_locations_of(provider.pk))
    assert _snapshot(together[4]) == _snapshot(alone[4])
    assert [o.name for o in together[4]] == ["Zeta House"]
    assert together[2] == alone[2] == ["Zeta House"]
    assert together[3] == alone[3] and {"pk": provider.pk, "n": 2} in together[3]
    # The prefetched rows are attached as all() attaches them, each pointing back at its location.
    with CaptureQueriesContext(connection) as ctx:
        got = {loc.pk: [(r.key_question, r.rating) for r in loc.current] for loc in together[1]}
        assert all(r.location is loc for loc in together[1] for r in loc.current)
    assert len(ctx.captured_queries) == 0
    assert got == {first.pk: [("overall", "good"), ("safe", "good")], second.pk: [("overall", "inadequate")]}
    assert got == {loc.pk: [(r.key_question, r.rating) for r in loc.current] for loc in alone[1]}
    # Read one by one, nothing is in a pipeline.
    _, states = _pipeline_states(lambda: [read.all(**values) for read, values in reads])
    assert states and set(states) == {"OFF"}


def test_reads_sent_together_that_fail_raise_django_s_error_and_leave_the_connection_usable():
    from django.db import DatabaseError, transaction
    from django.db.models.expressions import RawSQL

    from cqcportal.core.compiled import read_together

    provider = ProviderFactory()
    LocationFactory(provider=provider)
    locations = CompiledRead(_locations_of, provider_id=int)
    # PostgreSQL, not Python, refuses the value: the error arrives with the pipeline's results.
    as_number = CompiledRead(
        lambda text: Provider.objects.annotate(n=RawSQL("(%s)::int", [text])).values_list("n", flat=True),
        text=str,
    )
    assert read_together((as_number, {"text": "7"}), (locations, {"provider_id": provider.pk}))[0] == [7]
    with pytest.raises(DatabaseError, match="invalid input syntax"), transaction.atomic():
        read_together((locations, {"provider_id": provider.pk}), (as_number, {"text": "seven"}))
    assert connection.connection.info.pipeline_status.name == "OFF"
    assert [o.provider_id for o in read_together((locations, {"provider_id": provider.pk}))[0]] == [provider.pk]
    assert User.objects.filter(pk=-1).count() == 0


def test_reads_sent_together_take_none_one_or_a_read_whose_rows_are_empty():
    from cqcportal.core.compiled import read_together

    provider = ProviderFactory()
    LocationFactory(provider=provider)
    locations = CompiledRead(_locations_of, provider_id=int)
    ratings = CompiledRead(_ratings_of, provider_id=int)
    assert read_together() == []
    assert [o.pk for o in read_together((locations, {"provider_id": provider.pk}))[0]] == [
        o.pk for o in _locations_of(provider.pk)
    ]
    with CaptureQueriesContext(connection) as ctx:
        empty, rated = read_together((ratings, {"provider_id": -1}), (ratings, {"provider_id": provider.pk}))
    assert empty == [] and [loc.current for loc in rated] == [[]]
    assert len(ctx.captured_queries) == 3  # the two reads, then the prefetch of the one with rows
    with pytest.raises(TypeError):
        read_together((locations, {"provider": provider.pk}))


def _named_locations_sql(conn, *, provider_id, name):
    """Hand-written SQL over a queryset's own: the provider's locations but one, each with the provider's size."""
    located = Location.objects.filter(provider_id=provider_id).values_list("pk", "name", "registration_date")
    inner, params = located.query.sql_with_params()
    sql = f"SELECT l.*, COUNT(*) OVER () FROM ({inner}) l (id, name, since) WHERE l.name <> %s ORDER BY l.name"  # noqa: S608
    return sql, [*params, name]


def test_hand_written_sql_is_compiled_once_and_its_values_converted_as_the_fields_say():
    provider, other = ProviderFactory(), ProviderFactory()
    made = LocationFactory.create_batch(3, provider=provider, registration_date=dt.date(2019, 4, 1))
    LocationFactory(provider=other)
    fields = (Location._meta.pk, Location._meta.get_field("name"), Location._meta.get_field("registration_date"))
    read = CompiledSQL(_named_locations_sql, model=Location, fields=fields, provider_id=int, name=str)
    left_out = made[0].name
    with CaptureQueriesContext(connection) as ctx:
        got = read.all(provider_id=provider.pk, name=left_out)
    assert len(ctx.captured_queries) == 1
    expected = sorted((m.pk, m.name, m.registration_date) for m in made if m.name != left_out)
    assert sorted(row[:3] for row in got) == expected
    assert [row[3] for row in got] == [2, 2]
    assert all(type(row[2]) is dt.date for row in got)
    compiled = read._by_connection[connections["default"]]
    assert read.all(provider_id=other.pk, name="") and read._by_connection[connections["default"]] is compiled
    # Sent with other reads (read_together), as a CompiledRead is.
    count = CompiledRead(lambda provider_id: Location.objects.filter(provider_id=provider_id), provider_id=int)
    together, alone = read_together(
        (read, {"provider_id": provider.pk, "name": left_out}), (count, {"provider_id": other.pk})
    )
    assert sorted(row[:3] for row in together) == expected and len(alone) == 1


def test_hand_written_sql_whose_parameter_does_not_reach_it_is_refused():
    read = CompiledSQL(lambda conn, provider_id: ("SELECT 1", []), model=Location, fields=(), provider_id=int)
    with pytest.raises(ImproperlyConfigured, match="provider_id"):
        read.all(provider_id=1)


def test_a_read_keyed_through_another_row_gives_that_row_s_read_in_one_statement():
    # A provider's locations, found from one of its locations: the statement looks the provider up itself.
    first, second = ProviderFactory(), ProviderFactory()
    firsts = LocationFactory.create_batch(3, provider=first)
    seconds = LocationFactory.create_batch(2, provider=second)
    read = CompiledRead(_locations_of, provider_id=int)
    through = keyed_through(
        read,
        "provider_id",
        "location_id",
        lambda location_id: Subquery(Location.objects.filter(pk=location_id).values("provider_id")[:1]),
    )
    for location, provider in ((firsts[1], first), (seconds[0], second), (firsts[0], first)):
        with CaptureQueriesContext(connection) as ctx:
            got = through.all(location_id=location.pk)
        assert len(ctx.captured_queries) == 1
        assert _snapshot(got) == _snapshot(_locations_of(provider.pk))
    assert through.all(location_id=-1) == []
    with pytest.raises(ImproperlyConfigured):
        keyed_through(read, "location_id", "provider_id", lambda v: v)


def test_a_with_clause_s_write_is_made_by_the_read_s_own_statement():
    # The WITH clause names the provider's people as having been read, from the rows the read itself sees.
    provider = ProviderFactory(name="Before")
    LocationFactory.create_batch(2, provider=provider)

    def renamed(connection, *, provider_id, name):
        sql, params = (
            Provider.objects.filter(pk=provider_id).values_list("pk").query.get_compiler(connection=connection).as_sql()
        )
        update = f'UPDATE "register_provider" SET "name" = %s WHERE "id" IN ({sql}) RETURNING 1'  # noqa: S608 - the ORM's SQL
        return f'"renamed" AS ({update})', [name, *params]

    read = CompiledRead(lambda provider_id, name: _locations_of(provider_id), with_=renamed, provider_id=int, name=str)
    with CaptureQueriesContext(connection) as ctx:
        got = read.all(provider_id=provider.pk, name="After")
    assert len(ctx.captured_queries) == 1 and ctx.captured_queries[0]["sql"].startswith('WITH "renamed" AS (UPDATE')
    # The read's rows are from the statement's snapshot, before its own write; the write is made.
    assert {o.provider.name for o in got} == {"Before"} and len(got) == 2
    provider.refresh_from_db()
    assert provider.name == "After"


def test_a_long_compiled_statement_is_converted_for_psycopg_once_not_on_every_execution():
    # Over psycopg's own limits (4,096 bytes, 50 parameters), which cqcportal.core.compiled raises: a long compiled
    # read (here 60 names matched, and padded past 4,096 bytes) is parsed once, then taken from psycopg's cache.
    from psycopg import _queries

    provider = ProviderFactory()
    LocationFactory.create_batch(2, provider=provider)
    names = [f"name-{n}" for n in range(60)]

    def build(provider_id):
        padded = Location.objects.annotate(**{f"pad_{n:03}_{'x' * 40}": F("name") for n in range(40)})
        return padded.filter(provider_id=provider_id).exclude(name__in=names).order_by("pk")

    read = CompiledRead(build, provider_id=int)
    compiled, params = read._statement("default", connections["default"], {"provider_id": provider.pk})
    assert len(compiled.sql.encode()) > 4096 and len(params) > 50
    read.all(provider_id=provider.pk)
    parsed = []
    original = _queries._query2pg_nocache
    _queries._query2pg_nocache = lambda *args: parsed.append(args) or original(*args)
    try:
        before = _queries._query2pg.cache_info().hits
        assert [o.pk for o in read.all(provider_id=provider.pk)] == [o.pk for o in build(provider.pk)]
        assert _queries._query2pg.cache_info().hits > before
    finally:
        _queries._query2pg_nocache = original
    assert parsed == [], "the long statement was parsed again"
