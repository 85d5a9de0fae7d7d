"""Every page has a query budget that does not grow with the data, proven.

Each GET page of the portal that shows records, and each back office model's list and record page, is opened as the
person it is for in the world of ``world.py`` (a record of every kind), once the world has grown once (the small
world) and again once it has grown four times more (the large world; ``world_grow`` adds locations, people, scores,
evidence, comments, files, versions, reviews, deadlines, notifications and rows of every table the back office lists).
Its number of queries must be no more in the large world than in the small, and within the page's budget in the tables
below; the page must show more in the large world (so the growth reached it) unless ``SHOWS_NO_MORE`` says why not.
Each query is counted from cold (no content types cached), so the numbers do not depend on which tests ran before.

A test checks the tables name exactly the URLs of the URL conf and the models of the back office, so a new page has a
budget or is exempt with the reason. A budget is the page's count today: a change that adds a query fails here, and the
number is raised only with the reason in the commit. Lists that grow with the country's data are paginated
(``PAGINATED``; every back office list is paginated by Django admin).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page as PaginatorPage
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cqcportal.audit.admin import AuditTrailMixin
from cqcportal.tests.second_factor import SignedInClient
from cqcportal.tests.urlconf import url_names
from cqcportal.tests.world import World, rolled_back, world_for_module, world_grow

pytestmark = pytest.mark.django_db

GROWTH = 4  # the large world has this many more of everything than the small one (which has 1 more than world_build)


@dataclasses.dataclass(frozen=True)
class Page:
    """A portal page, opened as ``role`` with the world's records; at most ``budget`` queries at any size."""

    name: str
    role: str
    budget: int
    kwargs: Callable[[World], dict] = lambda w: {}
    query: Callable[[World], str] = lambda w: ""
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    def url(self, world: World) -> str:
        query = self.query(world)
        return reverse(self.name, kwargs=self.kwargs(world)) + (f"?{query}" if query else "")


def _pk(attr: str, key: str = "pk") -> Callable[[World], dict]:
    return lambda w: {key: getattr(w, attr).pk}


def _cqc_id(attr: str) -> Callable[[World], dict]:
    return lambda w: {"cqc_id": getattr(w, attr).cqc_id}


def _section(attr: str) -> Callable[[World], dict]:
    def kwargs(w: World) -> dict:
        report = getattr(w, attr)
        return {"pk": report.pk, "section_pk": report.sections.get(kind="overall").pk}

    return kwargs


def _draft_comment(w: World) -> dict:
    return {"pk": w.report_check.pk, "comment_pk": w.report_check.comments.order_by("pk").first().pk}


def _sent_comment(w: World) -> dict:
    return {"pk": w.report_responding.pk, "comment_pk": w.report_responding.comments.order_by("pk").first().pk}


def _statement(w: World) -> dict:
    return {"pk": w.assessment_live.pk, "slug": w.assessment_live.statements.order_by("order").first().slug}


PAGES: list[Page] = [
    # core
    Page("core:home", "anonymous", 1),
    Page("core:dashboard", "inspector", 9, variant="staff"),
    Page("core:dashboard", "registered_manager", 6, variant="provider"),
    # accounts
    Page("accounts:two-factor-manage", "registered_manager", 4),
    # the public register
    Page("register:search", "anonymous", 5, query=lambda w: "text=Provider+A"),
    Page("register:location", "anonymous", 10, kwargs=_cqc_id("location")),
    Page("register:provider", "anonymous", 3, kwargs=_cqc_id("provider")),
    # the provider's private pages
    Page("register:organisation", "registered_manager", 10, kwargs=_pk("provider")),
    Page("register:organisation", "inspector", 10, kwargs=_pk("provider"), variant="staff"),
    Page(
        "register:organisation-location",
        "inspector",
        13,
        kwargs=lambda w: {"pk": w.provider.pk, "location_pk": w.location.pk},
    ),
    Page("register:team", "registered_manager", 7, kwargs=_pk("provider")),
    Page(
        "register:team-member",
        "registered_manager",
        6,
        kwargs=lambda w: {"pk": w.provider.pk, "user_pk": w.people["colleague"].pk},
    ),
    Page("register:delegation-new", "registered_manager", 5, kwargs=_pk("provider")),
    # alerts
    Page("alerts:subscribe", "anonymous", 1, query=lambda w: f"location={w.location.cqc_id}"),
    Page("alerts:check-email", "anonymous", 1, query=lambda w: f"location={w.location.cqc_id}"),
    Page("alerts:confirm", "anonymous", 1, kwargs=lambda w: {"token": w.subscription.confirm_token}),
    Page("alerts:unsubscribe", "anonymous", 2, kwargs=lambda w: {"token": w.subscription.unsubscribe_token}),
    Page("alerts:unsubscribe-digest", "anonymous", 2, kwargs=lambda w: {"token": w.digest_token}),
    # assessments and rating reviews
    # 4: the session, the person, the unread count and the page: its rows with the caseload's size, one statement
    # (an indexed union, ordered and counted, then cut; assessments.selectors._caseload_page_sql).
    Page("assessments:caseload", "inspector", 4),
    Page("assessments:rating-reviews", "inspector", 6),
    Page("assessments:rating-review-request", "registered_manager", 12, kwargs=_pk("report_published_2", "report_pk")),
    Page("assessments:rating-review", "inspector", 15, kwargs=_pk("review"), variant="staff"),
    Page("assessments:rating-review", "registered_manager", 13, kwargs=_pk("review"), variant="provider"),
    Page("assessments:assessment-new", "inspector", 4, kwargs=_pk("location", "location_pk")),
    Page("assessments:workspace", "inspector", 16, kwargs=_pk("assessment_live")),
    Page("assessments:depart", "inspector", 4, kwargs=_pk("assessment_live")),
    Page("assessments:scope", "inspector", 6, kwargs=_pk("assessment_live")),
    Page("assessments:statement", "inspector", 12, kwargs=_statement),
    Page("assessments:information-request-new", "inspector", 4, kwargs=_pk("location", "location_pk")),
    Page("assessments:information-request", "inspector", 8, kwargs=_pk("information_request"), variant="staff"),
    Page(
        "assessments:information-request",
        "registered_manager",
        8,
        kwargs=_pk("information_request"),
        variant="provider",
    ),
    # public pages of assessments and reports
    Page("public:how-rated", "anonymous", 10, kwargs=_cqc_id("location")),
    Page(
        "public:report",
        "anonymous",
        2,
        kwargs=lambda w: {"cqc_id": w.location.cqc_id, "pk": w.report_published.pk},
    ),
    # deadlines
    Page("deadlines:dashboard", "inspector", 10),
    # reports and the factual accuracy check
    Page("factual_accuracy:list", "inspector", 6),
    Page("factual_accuracy:report", "inspector", 13, kwargs=_pk("report_responding"), variant="staff"),
    Page("factual_accuracy:report", "inspector", 12, kwargs=_pk("report_check"), variant="staff, in the check"),
    Page("factual_accuracy:report", "registered_manager", 13, kwargs=_pk("report_check"), variant="provider"),
    Page("factual_accuracy:versions", "inspector", 7, kwargs=_pk("report_check")),
    Page("factual_accuracy:section", "inspector", 9, kwargs=_section("report_responding"), variant="staff"),
    Page("factual_accuracy:section", "registered_manager", 11, kwargs=_section("report_check"), variant="provider"),
    Page("factual_accuracy:comment-edit", "colleague", 10, kwargs=_draft_comment),
    Page("factual_accuracy:comment-respond", "inspector", 8, kwargs=_sent_comment),
    Page("factual_accuracy:submit", "registered_manager", 8, kwargs=_pk("report_check")),
    Page("factual_accuracy:extension", "registered_manager", 6, kwargs=_pk("report_check")),
    Page("factual_accuracy:question", "registered_manager", 7, kwargs=_pk("report_check")),
    # enforcement and fit and proper persons
    Page("enforcement:concerns", "inspector", 5),
    Page("enforcement:concern", "inspector", 4, kwargs=_pk("concern"), variant="staff"),
    Page("enforcement:concern", "registered_manager", 4, kwargs=_pk("concern"), variant="provider"),
    Page("enforcement:new", "inspector", 5, kwargs=_pk("location", "location_pk")),
    Page("enforcement:action", "inspector", 17, kwargs=_pk("action"), variant="staff"),
    Page("enforcement:action", "registered_manager", 18, kwargs=_pk("action"), variant="provider"),
    # special measures and escalation
    Page("special_measures:list", "inspector", 7),
    Page("special_measures:detail", "inspector", 8, kwargs=_pk("special_measures")),
    Page("special_measures:task", "inspector", 6, kwargs=_pk("task")),
    # complaints about the regulator
    Page("complaints:list", "inspector", 6),
    Page("complaints:detail", "inspector", 10, kwargs=_pk("complaint")),
    # the inbox
    Page("notifications:inbox", "registered_manager", 5),
    Page("notifications:inbox-item", "registered_manager", 5, kwargs=_pk("notification")),
]

# Pages about one record that shows nothing more as the data grows: their count is checked, not that they show more.
ONE_RECORD = "one record, with nothing that grows with the data"
SHOWS_NO_MORE: dict[str, str] = {
    "core:home": "the search form (its query is for choices the page does not show)",
    "accounts:two-factor-manage": "the person's own authenticator app",
    "alerts:subscribe": ONE_RECORD,
    "alerts:check-email": ONE_RECORD,
    "alerts:confirm": ONE_RECORD,
    "alerts:unsubscribe": ONE_RECORD,
    "assessments:rating-review-request": "one report's ratings, fixed when it was published",
    "assessments:assessment-new": ONE_RECORD,
    "assessments:depart": ONE_RECORD,
    "assessments:information-request-new": ONE_RECORD,
    "assessments:scope": "every statement of the framework, ticked when in scope",
    "public:how-rated": "every statement of the framework with its latest published score",
    "public:report": "one published report, its sections fixed when it was drafted",
    "factual_accuracy:extension": "one report's heading and deadline",
    "factual_accuracy:question": "one report's heading, deadline and sections (fixed when it was drafted)",
    "enforcement:concern[staff]": ONE_RECORD,
    "enforcement:concern[provider]": ONE_RECORD,
    "notifications:inbox-item": ONE_RECORD,
}

# List pages that grow with the country's data: each list is shown a page at a time (its context name).
PAGINATED: dict[str, list[str]] = {
    "register:search": ["page_obj"],  # the register: about 54,000 locations
    "assessments:caseload": ["page_obj"],  # about 150 locations an inspector, and every assessment they finished
    "assessments:rating-reviews": ["page_obj"],
    "factual_accuracy:list": ["page_obj"],
    "enforcement:concerns": ["page_obj"],
    "special_measures:list": ["records", "tasks"],
    "complaints:list": ["page_obj"],
    "notifications:inbox": ["page_obj"],
    # A chain or NHS trust has up to 544 locations at national size, and open windows for many of them.
    "core:dashboard[provider]": ["locations", "to_do"],
}
MAX_PAGE_SIZE = 100

POST_ONLY = "POST only: a GET is refused before any record is read"
DOWNLOAD = "a file download: one record and its file, no list"
DEV_ONLY = "development only (not found in production and in tests): reads files, not the database"
FORM = "a form that shows no record"
EXEMPT: dict[str, str] = {
    "core:mailbox": DEV_ONLY,
    "core:demo-codes": DEV_ONLY,
    "core:health": "the load balancer's probe: no record, no query (core/tests/test_health.py proves 0)",
    "accounts:sign-in": FORM,
    "accounts:sign-out": POST_ONLY,
    "accounts:locked": "a message that shows no record",
    "accounts:two-factor": "a form for the person's code (staff who have given it are sent on)",
    "accounts:session-keep-alive": POST_ONLY,
    "accounts:password-reset": FORM,
    "accounts:password-reset-done": "a message that shows no record",
    "accounts:password-reset-confirm": FORM,
    "accounts:password-reset-complete": "a message that shows no record",
    "register:delegation-withdraw": POST_ONLY,
    "assessments:rating-review-action": POST_ONLY,
    "assessments:rating-suspend": POST_ONLY,
    "assessments:team-add": POST_ONLY,
    "assessments:assessment-information-request": POST_ONLY,
    "assessments:assessment-transition": POST_ONLY,
    "assessments:evidence-download": DOWNLOAD,
    "assessments:information-request-review": POST_ONLY,
    "assessments:information-request-clock": POST_ONLY,
    "factual_accuracy:report-new": POST_ONLY,
    "factual_accuracy:comment-delete": POST_ONLY,
    "factual_accuracy:file-add": POST_ONLY,
    "factual_accuracy:file": DOWNLOAD,
    "factual_accuracy:file-remove": POST_ONLY,
    "factual_accuracy:extension-decide": POST_ONLY,
    "factual_accuracy:query-answer": POST_ONLY,
    "factual_accuracy:report-action": POST_ONLY,
    "enforcement:concern-new": FORM,
    "enforcement:concern-step": POST_ONLY,
    "enforcement:representation-add": POST_ONLY,
    "enforcement:file": DOWNLOAD,
    "enforcement:step": POST_ONLY,
    "special_measures:outcome": POST_ONLY,
    "special_measures:task-schedule": POST_ONLY,
    "special_measures:task-done": POST_ONLY,
    "complaints:new": FORM,
    "complaints:escalate": POST_ONLY,
    "complaints:close": POST_ONLY,
    "notifications:inbox-open": POST_ONLY,
}


# --- The back office ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AdminPage:
    """A model's list (``changelist``) or record page (``change``) in the back office, opened by admin staff."""

    model: str  # app_label.model_name
    view: str
    budget: int
    record: Callable[[World], object] | None = None

    @property
    def id(self) -> str:
        return f"admin:{self.model}:{self.view}"

    def url(self, world: World) -> str:
        app_label, model_name = self.model.split(".")
        if self.view == "changelist":
            return reverse(f"admin:{app_label}_{model_name}_changelist")
        return reverse(f"admin:{app_label}_{model_name}_change", args=[self.record_of(world).pk])

    def record_of(self, world: World):
        return self.record(world) if self.record else _first(self.model)


def _window(case):
    from cqcportal.deadlines.selectors import deadlines_for_case

    return deadlines_for_case(case).filter(kind=case.window_kind).last()


def _first(label: str):
    from django.apps import apps

    return apps.get_model(label)._default_manager.order_by("pk").first()


# Each model's record page opens the world's own record where the growth reaches it (its inlines and trail grow).
ADMIN_RECORDS: dict[str, Callable[[World], object]] = {
    "deadlines.deadline": lambda w: _window(w.information_request),
    "enforcement.representation": lambda w: w.action.representations.order_by("pk").first(),
    "register.provider": lambda w: w.provider,
    "register.location": lambda w: w.location,
    "accounts.user": lambda w: w.people["registered_manager"],
    "accounts.delegation": lambda w: w.delegation,
    "assessments.assessment": lambda w: w.assessment_live,
    "assessments.informationrequest": lambda w: w.information_request,
    "assessments.ratingreview": lambda w: w.review,
    "factual_accuracy.report": lambda w: w.report_check,
    "enforcement.enforcementaction": lambda w: w.action,
    "enforcement.fitandproperconcern": lambda w: w.concern,
    "enforcement.specialmeasures": lambda w: w.special_measures,
    "enforcement.escalationtask": lambda w: w.task,
    "complaints.complaint": lambda w: w.complaint,
    "notifications.notification": lambda w: w.notification,
    "alerts.subscription": lambda w: w.subscription,
}

# (list, record page) budgets of every model in the back office.
ADMIN_BUDGETS: dict[str, tuple[int, int]] = {
    "auth.group": (7, 16),
    "django_celery_beat.periodictask": (10, 11),
    "django_celery_beat.clockedschedule": (7, 7),
    "django_celery_beat.crontabschedule": (7, 7),
    "django_celery_beat.solarschedule": (7, 7),
    "django_celery_beat.intervalschedule": (7, 7),
    "otp_totp.totpdevice": (7, 6),
    "axes.accessattempt": (10, 7),
    "axes.accesslog": (10, 6),
    "axes.accessfailurelog": (10, 6),
    "audit.auditevent": (9, 9),
    "accounts.user": (9, 18),
    "accounts.team": (8, 8),
    "accounts.delegation": (10, 11),
    "register.servicetype": (7, 7),
    "register.regulatedactivity": (7, 6),
    "register.provider": (9, 8),
    "register.location": (9, 13),
    "notifications.notification": (10, 8),
    "alerts.subscription": (9, 7),
    "alerts.publicevent": (9, 7),
    "deadlines.deadline": (11, 14),
    "deadlines.extraholiday": (7, 7),
    "complaints.complaint": (9, 10),
    "assessments.informationrequest": (9, 11),
    "assessments.qualitystatement": (7, 8),
    "assessments.evidencecategory": (7, 6),
    "assessments.assessment": (10, 11),
    "assessments.enforcementlimit": (7, 9),
    "assessments.ratingdeparture": (10, 10),
    "assessments.ratingreview": (10, 17),
    "enforcement.enforcementaction": (9, 12),
    "enforcement.representation": (7, 9),
    "enforcement.appeal": (9, 9),
    "enforcement.fitandproperconcern": (9, 9),
    "enforcement.specialmeasures": (9, 11),
    "enforcement.escalationtask": (9, 11),
    "factual_accuracy.report": (9, 14),
    "factual_accuracy.comment": (9, 12),
    "factual_accuracy.supportingfile": (10, 9),
    "factual_accuracy.extensionrequest": (9, 11),
    "factual_accuracy.informationquery": (9, 11),
}
ADMIN_EXEMPT: dict[str, str] = {}

ADMIN_PAGES: list[AdminPage] = [
    AdminPage(model, view, budget, ADMIN_RECORDS.get(model))
    for model, budgets in ADMIN_BUDGETS.items()
    for view, budget in zip(("changelist", "change"), budgets, strict=True)
]


def _model_admin(label: str):
    return next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)


def _shows_related(label: str) -> bool:
    """Whether the model's record page lists related rows (inlines, or its audit trail), which grow with the data."""
    return bool(_model_admin(label).inlines) or isinstance(_model_admin(label), AuditTrailMixin)


def _trails_grow(world: World, times: int) -> None:
    """More audit events on each record the back office's record pages open (``world_grow`` adds them only to the
    world's named records)."""
    from cqcportal.audit.services import audit_event_record

    with transaction.atomic():
        for page in ADMIN_PAGES:
            if page.view == "change" and isinstance(_model_admin(page.model), AuditTrailMixin):
                for n in range(times):
                    audit_event_record(
                        by=world.people["admin_staff"],
                        subject=page.record_of(world),
                        action="world.note",
                        reason=f"{n}",
                    )


def _registered_models() -> set[str]:
    return {model._meta.label_lower for model in admin.site._registry}


# --- Measuring ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Measure:
    status: int
    queries: list[str]
    tags: int  # how many HTML tags the page has: more rows, more tags
    rows: int | None = None  # a back office list's rows
    per_page: dict[str, int] = dataclasses.field(default_factory=dict)  # each paginated list's page size

    @property
    def count(self) -> int:
        return len(self.queries)


def _sign_in(client, world: World, role: str) -> None:
    client.logout()
    if role != "anonymous":
        client.force_login(world.people[role])


def _measure(client, world: World, page) -> Measure:
    """One GET of the page as its person, counted from a cold start (no content types cached) and rolled back."""
    url = page.url(world)
    with rolled_back():
        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
    rows, per_page = None, {}
    if response.context is not None:
        for key in response.context.keys():  # noqa: SIM118 - a ContextList iterates over contexts, not names
            value = response.context[key]
            if isinstance(value, PaginatorPage):
                per_page[key] = value.paginator.per_page
            elif isinstance(value, ChangeList):
                rows, per_page[key] = value.result_count, value.list_per_page
    queries = [q["sql"] for q in captured.captured_queries]
    return Measure(response.status_code, queries, response.content.count(b"<"), rows, per_page)


def _measure_all(client, world: World, pages) -> dict[str, Measure | str]:
    measures: dict[str, Measure | str] = {}
    for page in pages:
        if isinstance(page, Page):
            _sign_in(client, world, page.role)
        try:
            measures[page.id] = _measure(client, world, page)
        except Exception as exc:
            measures[page.id] = f"{type(exc).__name__}: {exc}"
    return measures


@pytest.fixture(scope="module")
def sizes(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every page measured in the small world and again in the large one: ``{page id: (small, large)}``."""
    client = SignedInClient()
    with world_for_module(django_db_blocker, tmp_path_factory) as world:
        # Admin staff as the back office knows them: with access to it, not superusers.
        type(world.people["admin_staff"]).objects.filter(pk=world.people["admin_staff"].pk).update(is_staff=True)
        world.people["admin_staff"].refresh_from_db()
        sizes = []
        for times in (1, GROWTH):
            world_grow(world, times=times)
            _trails_grow(world, times)
            measured = _measure_all(client, world, PAGES)
            _sign_in(client, world, "admin_staff")
            sizes.append({**measured, **_measure_all(client, world, ADMIN_PAGES)})
        small, large = sizes
        yield {key: (small[key], large[key]) for key in small}


# --- The tables name every page ------------------------------------------------------------------------------------


def test_budgets_name_every_url_of_the_url_conf():
    budgeted = {page.name for page in PAGES}
    assert budgeted & set(EXEMPT) == set(), "a page is both budgeted and exempt"
    discovered = url_names()
    assert discovered - budgeted - set(EXEMPT) == set(), "pages with no budget: add them to PAGES (or EXEMPT, with why)"
    assert (budgeted | set(EXEMPT)) - discovered == set(), "budgets for pages that no longer exist"


def test_budgets_name_every_model_of_the_back_office():
    assert set(ADMIN_BUDGETS) & set(ADMIN_EXEMPT) == set()
    registered = _registered_models()
    assert registered - set(ADMIN_BUDGETS) - set(ADMIN_EXEMPT) == set(), "back office models with no budget"
    assert (set(ADMIN_BUDGETS) | set(ADMIN_EXEMPT)) - registered == set(), "budgets for models not in the back office"


# --- The budgets -------------------------------------------------------------------------------------------------


def _shape(sql: str) -> str:
    """The query with its numbers (ids, limits), names of savepoints and cursors and session keys taken out."""
    return re.sub(r"\b\d+\b|'[a-z0-9]{32}'|\"?_?[a-z]*_x[0-9a-f]+\"?|_django_curs_\w+", "#", sql)


def _grown(small: Measure, large: Measure) -> str:
    """The queries the large world makes more often than the small one: where the page does a query per row."""
    before, after = Counter(map(_shape, small.queries)), Counter(map(_shape, large.queries))
    return "\n".join(f"{before[q]} -> {n} times: {q[:400]}" for q, n in after.items() if n > before[q])


def _check(sizes, page) -> None:
    small, large = sizes[page.id]
    assert not isinstance(small, str), f"the small world's page failed: {small}"
    assert not isinstance(large, str), f"the large world's page failed: {large}"
    assert (small.status, large.status) == (200, 200)
    summary = f"{page.id}: {small.count} queries in the small world, {large.count} in the large, budget {page.budget}"
    assert large.count <= small.count, f"{summary}; made more often in the large world:\n{_grown(small, large)}"
    assert max(small.count, large.count) <= page.budget, summary


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_page_queries_do_not_grow_with_the_data_and_stay_within_budget(sizes, page):
    _check(sizes, page)
    small, large = sizes[page.id]
    if page.id not in SHOWS_NO_MORE:
        assert large.tags > small.tags, f"{page.id} shows no more in the large world: the growth did not reach it"


@pytest.mark.parametrize("page_id", PAGINATED)
def test_list_page_shows_its_lists_a_page_at_a_time(sizes, page_id):
    large = sizes[page_id][1]
    assert not isinstance(large, str), large
    shown = {name: large.per_page.get(name) for name in PAGINATED[page_id]}
    assert all(size is not None and size <= MAX_PAGE_SIZE for size in shown.values()), shown


def test_paginated_and_unchanging_pages_are_pages_of_the_table():
    ids = {page.id for page in PAGES}
    assert set(PAGINATED) - ids == set()
    assert set(SHOWS_NO_MORE) - ids == set()


@pytest.mark.parametrize("page", ADMIN_PAGES, ids=[p.id for p in ADMIN_PAGES])
def test_back_office_page_queries_do_not_grow_with_the_data_and_stay_within_budget(sizes, page):
    _check(sizes, page)
    small, large = sizes[page.id]
    if page.view == "changelist":
        assert large.rows > small.rows, f"{page.id} lists no more rows in the large world"
        assert large.per_page["cl"] <= MAX_PAGE_SIZE, f"{page.id} shows {large.per_page['cl']} rows a page"
    elif _shows_related(page.model):
        assert large.tags > small.tags, f"{page.id} shows no more in the large world: the growth did not reach it"
