"""Reads for reports, scoped to who may see them."""

import datetime as dt

from django.db import connections, router
from django.db.models import Case, CharField, Count, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from cqcportal.accounts import rules as perms
from cqcportal.audit.models import AuditEvent
from cqcportal.audit.services import audit_access_insert_sql, audit_access_record, describe_actor
from cqcportal.core.compiled import CompiledRead, attach_prefetched, read_together
from factual_accuracy.models import (
    Comment,
    ExtensionRequest,
    InformationQuery,
    Report,
    ReportSection,
    ReportState,
    ReportVersion,
    SupportingFile,
)

# A provider sees its draft from the moment it is sent for the factual accuracy check.
PROVIDER_VISIBLE = [
    s
    for s in ReportState
    if s not in (ReportState.DRAFTING, ReportState.IN_QUALITY_REVIEW, ReportState.QUALITY_REVIEW_PASSED)
]


def reports_visible_to(user) -> QuerySet[Report]:
    """Every report for staff; for a provider user, their own organisation's reports once sent to them."""
    qs = Report.objects.select_related("location", "provider", "assessment")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(
        provider_id=membership.provider_id,
        location__in=perms.locations_visible_to(user),
        state__in=PROVIDER_VISIBLE,
    )


# --- the report page's reads, compiled once (cqcportal.core.compiled: the page is the factual accuracy check's
# busiest, and compiling its reads cost Django more than PostgreSQL took to answer them) ---------------------------


def _report_for_page():
    # The report with its sent comments' heading and how many versions it has, in the one read.
    versions = ReportVersion.objects.filter(report=OuterRef("pk")).order_by().values("report").annotate(n=Count("*"))
    return Report.objects.select_related(
        "location", "provider", "assessment", "submission__submitted_by", "submission__on_behalf_of"
    ).annotate(version_count=Coalesce(Subquery(versions.values("n")), 0))


def _shown(reports: QuerySet, pk: int, provider_id: int | None = None) -> QuerySet:
    """The report ``pk`` among ``reports`` as ``reports_visible_to`` would give it: to staff (``provider_id`` None),
    or to the people of the provider ``provider_id``."""
    if provider_id is None:
        return reports.filter(pk=pk)
    return reports.filter(pk=pk, provider_id=provider_id, location__provider_id=provider_id, state__in=PROVIDER_VISIBLE)


def _seen(connection, *, pk, occurred_at, actor_id, actor_description, provider_id=None) -> tuple[str, list]:
    """The ``WITH`` clause of the report page's read of its report: until the report is published, the reading
    recorded in the audit log (``audit_access_record``'s row, "draft report" and the report's state), by the same
    statement and so from the same snapshot as the report shown."""
    labels = Case(
        *(When(state=value, then=Value(label)) for value, label in ReportState.choices),
        default=F("state"),
        output_field=CharField(),
    )
    sql, params = audit_access_insert_sql(
        connection,
        _shown(Report.objects.all(), pk, provider_id).exclude(state=ReportState.PUBLISHED),
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_description=actor_description,
        description=Concat(
            Value("Report on "), F("location__name"), Value(" ("), labels, Value(")"), output_field=CharField()
        ),
        document=PAGE_DOCUMENT,
        state=F("state"),
    )
    return f'"seen" AS ({sql})', params


PAGE_DOCUMENT = "draft report"
_SEEN_BY_STAFF = CompiledRead(
    lambda pk, **_: _shown(_report_for_page(), pk)[:1],
    with_=_seen,
    pk=int,
    occurred_at=dt.datetime,
    actor_id=int,
    actor_description=str,
)
_SEEN_BY_PROVIDER = CompiledRead(
    lambda pk, provider_id, **_: _shown(_report_for_page(), pk, provider_id)[:1],
    with_=_seen,
    pk=int,
    provider_id=int,
    occurred_at=dt.datetime,
    actor_id=int,
    actor_description=str,
)


def _comments(report_id, *, sent_only: bool):
    qs = Comment.objects.filter(report_id=report_id).select_related("section", "created_by", "responded_by")
    return qs.filter(submission__isnull=False) if sent_only else qs


def _files(report_id, *, sent_only: bool):
    # The comments' files (``prefetch_related("files")``), read by the report with the comments, not after them.
    qs = SupportingFile._default_manager.filter(comment__report_id=report_id)
    return qs.filter(comment__submission__isnull=False) if sent_only else qs


_SENT_COMMENTS = CompiledRead(lambda report_id: _comments(report_id, sent_only=True), report_id=int)
_ALL_COMMENTS = CompiledRead(lambda report_id: _comments(report_id, sent_only=False), report_id=int)
_SENT_FILES = CompiledRead(lambda report_id: _files(report_id, sent_only=True), report_id=int)
_ALL_FILES = CompiledRead(lambda report_id: _files(report_id, sent_only=False), report_id=int)
_SECTIONS = CompiledRead(
    lambda report_id: ReportSection.objects.filter(report_id=report_id).order_by("order"), report_id=int
)
_EXTENSION_REQUESTS = CompiledRead(
    lambda report_id: ExtensionRequest.objects.filter(report_id=report_id).select_related("requested_by", "decided_by"),
    report_id=int,
)
_QUERIES = CompiledRead(
    lambda report_id: InformationQuery.objects.filter(report_id=report_id).select_related(
        "asked_by", "answered_by", "section"
    ),
    report_id=int,
)


def report_page_reads(user, pk: int, *, read=read_together) -> dict | None:
    """The report ``pk`` as ``reports_visible_to(user)`` would give it, with its submission and ``version_count``,
    and everything its page lists; or None if ``user`` may not see it. Until the report is published, its reading is
    recorded in the audit log (``audit_access_record``) by the statement that reads it.

    One round trip (``read_together``): the report; the comments ``user`` may see (as ``comments_visible_to``) with
    their files; the sections in order, the extension requests and the information queries, each with the people and
    sections they show; the check's deadline and the publication target (``report_deadlines``) with their
    extensions; and the one-off bank holidays, for counting working days. The lists are read by the report's id
    alongside the report and dropped if it is not shown. ``read``: read_together, or a view's that adds its own
    reads.
    """
    from cqcportal.deadlines.selectors import EXTRA_HOLIDAYS

    staff = perms.is_regulator_staff(user)
    seen = {
        "pk": pk,
        "occurred_at": timezone.now(),
        "actor_id": user.pk,
        "actor_description": describe_actor(user)[:300],
    }
    if staff:
        report_read = (_SEEN_BY_STAFF, seen)
    else:
        membership = perms.membership_of(user)
        if membership is None:
            return None
        report_read = (_SEEN_BY_PROVIDER, {**seen, "provider_id": membership.provider_id})
    of_report = {"report_id": pk}
    reports, comments, files, sections, extensions, queries, deadlines, deadline_extensions, holidays = read(
        report_read,
        (_SENT_COMMENTS if staff else _ALL_COMMENTS, of_report),
        (_SENT_FILES if staff else _ALL_FILES, of_report),
        (_SECTIONS, of_report),
        (_EXTENSION_REQUESTS, of_report),
        (_QUERIES, of_report),
        (_CHECK_AND_TARGET, {"object_id": str(pk)}),
        (_CHECK_AND_TARGET_EXTENSIONS, {"object_id": str(pk)}),
        (EXTRA_HOLIDAYS, {}),
    )
    if not reports:
        return None
    report = reports[0]
    if connections[router.db_for_write(AuditEvent)].vendor != "postgresql" and report.state != ReportState.PUBLISHED:
        # The compiled read's WITH clause runs on PostgreSQL only; the embedded demo records the reading here.
        audit_access_record(by=user, subject=report, document=PAGE_DOCUMENT, state=report.state)
    attach_prefetched(comments, "files", files)
    attach_prefetched(deadlines, "extensions", deadline_extensions)
    for row in (*comments, *sections, *extensions, *queries):
        row.report = report
    window, target = _window_and_target(deadlines)
    return {
        "report": report,
        "comments": comments,
        "sections": sections,
        "extensions": extensions,
        "queries": queries,
        "window": window,
        "target": target,
        "holidays": frozenset(holidays),
    }


def comments_visible_to(user, report: Report) -> QuerySet[Comment]:
    """The provider sees all its comments, drafts included; staff see only comments that were sent to them.

    Staff responses are on the rows; pages show them to the provider only once the report is published.
    """
    qs = Comment.objects.filter(report=report).select_related("section", "created_by", "responded_by")
    qs = qs.prefetch_related("files")
    if perms.is_regulator_staff(user):
        return qs.filter(submission__isnull=False)
    return qs


def _deadlines_of(report: Report | str, *kinds):
    from cqcportal.deadlines.models import Deadline

    return Deadline.objects.filter(
        content_type__model="report",
        content_type__app_label="factual_accuracy",
        object_id=report if isinstance(report, str) else str(report.pk),
        kind__in=kinds,
    ).order_by("-pk")


def _check_and_target(object_id):
    from cqcportal.deadlines.rules import Kind

    return _deadlines_of(object_id, Kind.FACTUAL_ACCURACY_CHECK, Kind.PUBLICATION_TARGET)


def _check_and_target_extensions(object_id):
    # Their extensions (``prefetch_related("extensions")``), read by the report with the deadlines, not after them.
    from cqcportal.deadlines.models import DeadlineExtension
    from cqcportal.deadlines.rules import Kind

    deadlines = _deadlines_of(object_id, Kind.FACTUAL_ACCURACY_CHECK, Kind.PUBLICATION_TARGET)
    return DeadlineExtension._default_manager.filter(deadline__in=deadlines.order_by().values("pk"))


_CHECK_AND_TARGET = CompiledRead(_check_and_target, object_id=str)
_CHECK_AND_TARGET_EXTENSIONS = CompiledRead(_check_and_target_extensions, object_id=str)


def report_window(report: Report):
    """The factual accuracy check's deadline of the report, with its extensions, or None before it is sent."""
    from cqcportal.deadlines.rules import Kind

    return (
        _deadlines_of(report, Kind.FACTUAL_ACCURACY_CHECK)
        .exclude(state="cancelled")
        .prefetch_related("extensions")
        .first()
    )


def report_deadlines(report: Report) -> tuple:
    """The report's factual accuracy check deadline (None before it is sent) and its publication target (None if it
    has none), each with its extensions (the page shows how the check's end moved): two queries, not four."""
    object_id = str(report.pk)
    deadlines, extensions = read_together(
        (_CHECK_AND_TARGET, {"object_id": object_id}), (_CHECK_AND_TARGET_EXTENSIONS, {"object_id": object_id})
    )
    attach_prefetched(deadlines, "extensions", extensions)
    return _window_and_target(deadlines)


def _window_and_target(deadlines) -> tuple:
    from cqcportal.deadlines.rules import Kind

    window = target = None
    for deadline in deadlines:
        if deadline.kind == Kind.FACTUAL_ACCURACY_CHECK and window is None and deadline.state != "cancelled":
            window = deadline
        elif deadline.kind == Kind.PUBLICATION_TARGET and target is None:
            target = deadline
    return window, target


def report_target(report: Report):
    """The report's publication target deadline, or None."""
    return report_deadlines(report)[1]


def reports_in_progress(*, show: str, today) -> QuerySet[Report]:
    """Reports not yet published or withdrawn, oldest target first, with their publication target; ``show``
    narrows to "at-risk" (10 working days or fewer left) or "late"."""
    from django.db.models import OuterRef, Subquery

    from cqcportal import workdays
    from cqcportal.deadlines import selectors as deadline_selectors
    from cqcportal.deadlines.models import Deadline
    from cqcportal.deadlines.rules import Kind

    targets = Deadline.objects.filter(
        content_type__app_label="factual_accuracy",
        content_type__model="report",
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        kind=Kind.PUBLICATION_TARGET,
    ).order_by("-pk")
    qs = (
        Report.objects.exclude(state__in=[ReportState.PUBLISHED, ReportState.WITHDRAWN])
        .select_related("location", "assessment", "assessment__lead")
        .annotate(target_due=Subquery(targets.values("due_date")[:1]))
        .order_by("target_due", "pk")
    )
    if show == "late":
        qs = qs.filter(target_due__lt=today)
    elif show == "at-risk":
        horizon = workdays.add_working_days(today, 10, extra_holidays=deadline_selectors.extra_holidays())
        qs = qs.filter(target_due__gte=today, target_due__lte=horizon)
    return qs


def published_reports(location) -> list[Report]:
    """The location's published reports, newest first: the profile lists them all."""
    return list(
        Report.objects.filter(location=location, state=ReportState.PUBLISHED)
        .select_related("assessment")
        .order_by("-published_at")
    )


def assessment_in_progress(location):
    """The assessment under way at the location (started, and its report not yet published), or None."""
    from assessments.models import Assessment, AssessmentState

    return (
        Assessment.objects.filter(location=location, state__in=[AssessmentState.IN_PROGRESS, AssessmentState.COMPLETED])
        .exclude(reports__state=ReportState.PUBLISHED)
        .order_by("-started_at")
        .only("pk", "started_at", "state")
        .first()
    )
