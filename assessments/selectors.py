"""Reads for assessment cases, scoped to what the user may see."""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db import connections, router
from django.db.models import (
    BooleanField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL

from assessments.models import (
    Assessment,
    AssessmentState,
    AssessmentTeamMember,
    InformationRequest,
    StatementScore,
)
from cqcportal.accounts import rules as perms
from cqcportal.core.compiled import CompiledRead, CompiledSQL, read_together
from cqcportal.core.links import link_maker
from cqcportal.register.models import Location, Provider, ServiceType

if TYPE_CHECKING:
    from cqcportal.accounts.models import User


def information_requests_visible_to(user) -> QuerySet[InformationRequest]:
    """All requests for staff; a provider user's own organisation's requests only."""
    qs = InformationRequest.objects.select_related("location", "provider", "requested_by", "submitted_by")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id)


def rating_status_for(location):
    """The location's overall calculated rating row when it is suspended or inspected but not rated, else None."""
    from assessments.models import LocationRating

    return (
        LocationRating.objects.filter(location=location, key_question="overall")
        .exclude(status=LocationRating.Status.RATED)
        .first()
    )


def rating_review_under_way(location):
    """The review of the location's ratings taking place now (requested, outcome not yet published), or None."""
    from assessments.models import REVIEW_UNDER_WAY, RatingReview

    return (
        RatingReview.objects.filter(location=location, state__in=REVIEW_UNDER_WAY)
        .only("pk", "submitted_at")
        .order_by("-submitted_at")
        .first()
    )


CASELOAD_ORDER = ("state", "onsite_start_date", "-created_at", "pk")


def _caseload_of(user: User | int) -> RawSQL | Q:
    """A condition: the assessment is one the member of staff leads or is on the team of.

    The two indexed look-ups are worked out once, as an array the primary key is matched against: written as
    ``IN (subquery)`` the planner scans every assessment in the country to join them (15 ms at national size), and
    written as a list of ids fetched first it costs a round trip and a statement with hundreds of parameters.
    SQLite (the demo) has no arrays, and no country of assessments: there it is ``IN (subquery)``.
    """
    user_id = user if isinstance(user, int) else user.pk
    # Neither half needs its model's default order (a sort each, of hundreds of rows, before the union).
    ids = (
        Assessment.objects.filter(lead_id=user_id)
        .order_by()
        .values_list("pk", flat=True)
        .union(AssessmentTeamMember.objects.filter(user_id=user_id).order_by().values_list("assessment_id", flat=True))
    )
    if connections[router.db_for_read(Assessment)].vendor != "postgresql":
        return Q(pk__in=ids)
    sql, params = ids.query.sql_with_params()
    table = Assessment._meta.db_table
    return RawSQL(f'"{table}"."id" = ANY(ARRAY({sql}))', params, output_field=BooleanField())  # noqa: S611 - ORM-built SQL, values passed as parameters


def caseload_for(user: User | int) -> QuerySet[Assessment]:
    """The assessments a member of staff leads or is on the team of, in caseload order (no counts: see
    :func:`caseload_page`, which is what the caseload page shows)."""
    return Assessment.objects.filter(_caseload_of(user)).order_by(*CASELOAD_ORDER)


@dataclasses.dataclass(frozen=True, slots=True)
class CaseloadRow:
    """One line of the caseload: what the page shows of an assessment, read as values (no model instances)."""

    pk: int
    url: str
    location_name: str
    provider_name: str
    kind: str
    kind_label: str
    announced: bool
    state: str
    state_label: str
    onsite_start_date: datetime.date | None
    scored: int
    in_scope: int


def _caseload_keys(user_id: int, state: str | None = None) -> QuerySet:
    """The caseload's assessments as (id, and what they are ordered by), in caseload order: those the member of
    staff leads, from the index alone, then those they are only on the team of, the only ones read from the table.

    Matching every id against the table instead (:func:`caseload_for`) read each assessment's row to order them: for
    a caseload of 339, 860 pages and 0.7-0.9 ms of PostgreSQL's time, against 30 pages and 0.4 ms this way. When an
    assessment was created is sent as seconds (a float, to the microsecond), which costs nothing to read, not as a
    moment, which costs a microsecond (cqcportal/core/pg_types.py).
    """
    led = Assessment.objects.filter(lead_id=user_id).order_by()
    teamed = (
        AssessmentTeamMember.objects.filter(user_id=user_id)
        .order_by()
        .values_list("assessment_id", flat=True)
        .difference(led.values_list("pk", flat=True))
    )
    if connections[router.db_for_read(Assessment)].vendor == "postgresql":
        sql, params = teamed.query.sql_with_params()
        table = Assessment._meta.db_table
        only_teamed = RawSQL(f'"{table}"."id" = ANY(ARRAY({sql}))', params, output_field=BooleanField())  # noqa: S611 - ORM-built SQL, values passed as parameters
        created = Func(Value("epoch"), F("created_at"), function="date_part", output_field=FloatField())
    else:
        only_teamed = Q(pk__in=teamed)
        created = F("created_at")
    others = Assessment.objects.filter(only_teamed).order_by()
    if state is not None:
        led, others = led.filter(state=state), others.filter(state=state)
    key = ("pk", "state", "onsite_start_date", "created_key")
    return (
        led.annotate(created_key=created)
        .values_list(*key)
        .union(others.annotate(created_key=created).values_list(*key), all=True)
        .order_by("state", "onsite_start_date", "-created_key", "pk")
    )


def _caseload_page_sql(connection, *, user_id: int, limit: int, offset: int, state: str | None = None):
    """One page of the caseload in one statement: the keys of :func:`_caseload_keys`, ordered and counted (a window
    over all of them, before the page is cut), then the page's assessments with their location and provider and
    their statements in scope and scored counted, each count its own subquery (counting both in one join would
    multiply the statements by the scores)."""
    keys_sql, keys_params = _caseload_keys(user_id, state).order_by().query.sql_with_params()
    q = connection.ops.quote_name
    assessment, location, provider = Assessment._meta, Location._meta, Provider._meta
    in_scope, scores = Assessment.statements.through._meta, StatementScore._meta
    order = "{0}.state, {0}.onsite, {0}.created_key DESC, {0}.id"
    sql = (
        f"WITH keys (id, state, onsite, created_key) AS ({keys_sql}), "  # noqa: S608 - names from the models
        "page AS (SELECT id, state, onsite, created_key, COUNT(*) OVER () AS total "
        f"FROM keys ORDER BY {order.format('keys')} LIMIT %s OFFSET %s) "
        f"SELECT page.total, a.{q('id')}, a.{q('kind')}, a.{q('announced')}, a.{q('state')}, "
        f"a.{q('onsite_start_date')}, l.{q('name')}, p.{q('name')}, "
        f"(SELECT COUNT(*) FROM {q(in_scope.db_table)} s WHERE s.{q('assessment_id')} = a.{q('id')}), "
        f"(SELECT COUNT(*) FROM {q(scores.db_table)} c WHERE c.{q('assessment_id')} = a.{q('id')}) "
        f"FROM page JOIN {q(assessment.db_table)} a ON a.{q('id')} = page.id "
        f"JOIN {q(location.db_table)} l ON l.{q('id')} = a.{q('location_id')} "
        f"JOIN {q(provider.db_table)} p ON p.{q('id')} = a.{q('provider_id')} "
        f"ORDER BY {order.format('page')}"
    )
    return sql, [*keys_params, limit, offset]


def _caseload_page_fields() -> tuple:
    field = Assessment._meta.get_field
    return (
        IntegerField(),
        field("id"),
        field("kind"),
        field("announced"),
        field("state"),
        field("onsite_start_date"),
        Location._meta.get_field("name"),
        Provider._meta.get_field("name"),
        IntegerField(),
        IntegerField(),
    )


_CASELOAD_PAGE = CompiledSQL(
    _caseload_page_sql, model=Assessment, fields=_caseload_page_fields(), user_id=int, limit=int, offset=int
)
_CASELOAD_PAGE_IN_STATE = CompiledSQL(
    _caseload_page_sql,
    model=Assessment,
    fields=_caseload_page_fields(),
    user_id=int,
    limit=int,
    offset=int,
    state=str,
)


def _page_number(value) -> int | None:
    """The page asked for, as Django's ``Paginator.get_page`` reads it: 1 for anything not a whole number, None (the
    last page) for a number below 1."""
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else None


def caseload_page(user, *, state: str = "", page_number=None, per_page: int, read=read_together) -> Page:
    """One page of a member of staff's caseload, each assessment with its location and provider and its statements
    in scope and scored counted (a :class:`CaseloadRow` each), as ``Paginator.get_page`` would give it (a page
    beyond the last, or below the first, is the last; anything else not a number is the first).

    One statement whatever the caseload's size (:func:`_caseload_page_sql`): the page's rows, each with the size of
    the whole caseload. Reading every key to count and cut the page in Python (339 for a busy inspector) cost more
    than the page's own rows. Only a page asked for past the end costs two more: its count, then the last page.
    ``read`` reads the page: read_together, or a view's that sends its own reads with it.
    """
    page_read, values = _CASELOAD_PAGE, {"user_id": user.pk, "limit": per_page}
    if state:
        page_read, values = _CASELOAD_PAGE_IN_STATE, {**values, "state": state}
    number = _page_number(page_number)
    read_page = number or 1
    (rows,) = read((page_read, {**values, "offset": (read_page - 1) * per_page}))
    total = rows[0][0] if rows else None
    if number is None or (total is None and number > 1):  # the last page, counting them first if need be
        if total is None:
            first = page_read.all(**{**values, "limit": 1, "offset": 0})
            total = first[0][0] if first else 0
        number = max(1, -(-total // per_page))
        if number != read_page:
            rows = page_read.all(**values, offset=(number - 1) * per_page)
    total = total or 0
    kinds, states = dict(Assessment.Kind.choices), dict(AssessmentState.choices)
    workspace_link = link_maker("assessments:workspace")
    object_list = [
        CaseloadRow(
            pk=pk,
            url=workspace_link(pk),
            location_name=location_name,
            provider_name=provider_name,
            kind=kind,
            kind_label=kinds.get(kind, kind),
            announced=announced,
            state=state_,
            state_label=states.get(state_, state_),
            onsite_start_date=onsite,
            scored=scored_n,
            in_scope=in_scope_n,
        )
        for _, pk, kind, announced, state_, onsite, location_name, provider_name, in_scope_n, scored_n in rows
    ]
    return Page(object_list, number, Paginator(range(total), per_page))


def independent_reviewer_candidates(report, *, query: str, limit: int) -> tuple[list, bool]:
    """Active staff who may be named a rating review's independent reviewer (anyone not on the assessment's team),
    by name, found by part of a name or e-mail address; at most ``limit`` of them, and whether there were more."""
    from cqcportal.accounts.models import User

    team = set(report.assessment.team.exclude(user__isnull=True).values_list("user_id", flat=True))
    team.add(report.assessment.lead_id)
    candidates = User.objects.filter(kind=User.Kind.STAFF, is_active=True).exclude(pk__in=team)
    if query:
        candidates = candidates.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    found = list(candidates.order_by("full_name", "pk").only("pk", "full_name", "email")[: limit + 1])
    return found[:limit], len(found) > limit


# --- the assessment workspace's reads, compiled once (cqcportal.core.compiled) ---------------------------------------

_ASSESSMENT_FOR_STAFF = CompiledRead(
    lambda pk: Assessment.objects.select_related("location__provider", "lead").filter(pk=pk)[:1], pk=int
)
_IN_SCOPE = CompiledRead(
    lambda assessment_id: Assessment.statements.through.objects.filter(assessment_id=assessment_id)
    .order_by()
    .values_list("qualitystatement_id", flat=True),
    assessment_id=int,
)
# The working needs each score's statement and value, not the findings written with it: read as named pairs, which
# cost a tenth of a model instance each (an assessment has up to 34).
_SCORES = CompiledRead(
    lambda assessment_id: StatementScore.objects.filter(assessment_id=assessment_id).values_list(
        "statement_id", "score", named=True
    ),
    assessment_id=int,
)
_SERVICE_TYPES = CompiledRead(lambda location_id: ServiceType.objects.filter(locations=location_id), location_id=int)
_TEAM = CompiledRead(
    lambda assessment_id: AssessmentTeamMember.objects.filter(assessment_id=assessment_id), assessment_id=int
)
_REQUESTS = CompiledRead(
    lambda assessment_id: InformationRequest.objects.filter(assessment_id=assessment_id), assessment_id=int
)


def assessment_for_staff(pk: int) -> Assessment | None:
    """The assessment with its location, provider and lead (staff pages: staff may open any assessment); or None."""
    return _ASSESSMENT_FOR_STAFF.first(pk=pk)


@dataclasses.dataclass(frozen=True)
class WorkspaceRows:
    assessment: Assessment
    in_scope: set[int]
    scores: dict[int, tuple]  # statement id -> (statement_id, score), named
    service_types: list
    team: list[AssessmentTeamMember]
    information_requests: list[InformationRequest]
    flags: list[str]  # the location's (assessments.working.location_flags)
    also: list[list]  # the rows of the reads asked for with these


def workspace_rows(pk: int, *, read=read_together) -> WorkspaceRows | None:
    """The assessment ``pk`` with its location, provider and lead (as ``assessment_for_staff``), and the rows its
    workspace shows: its scope, scores, team, requests, the location's service types and flags, and the rows its
    working is worked out from (``assessments.working.assessment_working_reads``, in ``also``); or None if there is no
    such assessment.

    One round trip (``read``: read_together, or a view's that adds its own reads): the location's reads find the
    location from the assessment in their own statements, so they need not wait for the assessment's row.
    """
    from assessments.working import (
        assessment_working_reads,
        location_flags,
        location_flags_read,
        of_assessments_location,
    )

    of_assessment = {"assessment_id": pk}
    flags_read, _ = location_flags_read(None)
    found, in_scope, scores, service_types, team, requests, recent, *also_rows = read(
        (_ASSESSMENT_FOR_STAFF, {"pk": pk}),
        (_IN_SCOPE, of_assessment),
        (_SCORES, of_assessment),
        (of_assessments_location(_SERVICE_TYPES), of_assessment),
        (_TEAM, of_assessment),
        (_REQUESTS, of_assessment),
        (of_assessments_location(flags_read), of_assessment),
        *assessment_working_reads(pk),
    )
    if not found:
        return None
    assessment = found[0]
    return WorkspaceRows(
        assessment=assessment,
        also=also_rows,
        in_scope=set(in_scope),
        scores={s.statement_id: s for s in scores},
        service_types=service_types,
        team=team,
        information_requests=requests,
        flags=location_flags(assessment.location, recent=recent),
    )
