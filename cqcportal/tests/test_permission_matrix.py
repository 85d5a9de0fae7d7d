"""Who can open and post to every page of the portal, proven: each URL of the URL conf against every role.

The table below is the specification. A provider user gets "not found" (404) for another provider's record, never
"forbidden" (403), so a guessed id does not tell them the record exists; anonymous people are sent to sign in on
private pages; staff-only pages refuse provider users; a member of staff without the role for a step is refused (403).
A POST from anyone the table does not let act changes nothing: the test compares every case record's state, the
audit trail and the row counts before and after. A test checks the table names exactly the URLs of the URL conf,
so a new page cannot escape it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_fsm import FSMField

from cqcportal.tests.responses import close_streamed
from cqcportal.tests.world import ROLES, STAFF_ROLES, World, rolled_back, world_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_for_module(django_db_blocker, tmp_path_factory) as built:
        yield built


SIGN_IN = "sign in"  # 302 to the sign-in page
REDIRECT = "redirect"  # 302 elsewhere, nothing changed (refused with a message, or nothing to do)
ACTS = "acts"  # 302 elsewhere, and the role may change things
REFUSED = frozenset({403, 404})  # a staff-only page or step, or a provider-only one, refused either way


@dataclasses.dataclass(frozen=True)
class Acts:
    """The answer when the role may change things with this request (POST only)."""

    status: int


def _expand(spec: dict) -> dict[str, object]:
    """Role groups to roles: "*" for everyone, "staff", "provider" (provider A's people), then single roles."""
    groups = {
        "*": ROLES,
        "staff": list(STAFF_ROLES),
        "provider": ["registered_manager", "nominated_individual", "chief_executive", "colleague", "delegate"],
        "registered": ["registered_manager", "nominated_individual", "chief_executive", "delegate"],
        "conduct": ["inspector", "assessor", "ops_manager", "deputy", "chief"],  # lead, team, senior managers
        "senior": ["ops_manager", "deputy", "chief"],
        "signed_in": [r for r in ROLES if r != "anonymous"],
    }
    out: dict[str, object] = {}
    for key in ("*", "signed_in", "staff", "provider", "registered", "conduct", "senior"):
        if key in spec:
            out.update(dict.fromkeys(groups[key], spec[key]))
    out.update({role: value for role, value in spec.items() if role in ROLES})
    missing = set(ROLES) - set(out)
    assert not missing, f"no expectation for {sorted(missing)}"
    return out


@dataclasses.dataclass
class Page:
    name: str
    kwargs: Callable[[World], dict] = lambda w: {}
    get: dict = dataclasses.field(default_factory=dict)
    post: dict | None = None  # None: the same answers as GET, and nobody acts
    variant: str = ""
    query: Callable[[World], dict] = lambda w: {}

    @property
    def id(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name


# --- The expectations -------------------------------------------------------------------------------------------

PUBLIC = {"*": 200}
SIGNED_IN = {"anonymous": SIGN_IN, "signed_in": 200}
# A provider A record: its people and staff see it; provider B's user must not learn it exists.
PRIVATE_RECORD = {"anonymous": SIGN_IN, "staff": 200, "provider": 200, "other_provider": 404}
# A staff-only list or form with no provider's record in it.
STAFF_LIST = {"anonymous": SIGN_IN, "staff": 200, "provider": REFUSED, "other_provider": REFUSED}
# A staff-only page about provider A's record.
STAFF_RECORD = {"anonymous": SIGN_IN, "staff": 200, "provider": REFUSED, "other_provider": 404}
# A provider-only page about provider A's record (staff have their own pages).
PROVIDER_RECORD = {"anonymous": SIGN_IN, "staff": REFUSED, "provider": 200, "other_provider": 404}
# A POST-only URL: GET is refused before any record is looked up, so the answer tells nobody anything.
POST_ONLY = {
    "anonymous": SIGN_IN,
    "staff": 405,
    "provider": frozenset({404, 405}),
    "other_provider": frozenset({404, 405}),
}


def _post(**spec) -> dict:
    return {"anonymous": SIGN_IN, "other_provider": 404, **spec}


def _staff_step(staff=REDIRECT, **spec) -> dict:
    """A POST-only step that staff take on provider A's record."""
    return _post(staff=staff, provider=REFUSED, **spec)


def _w(attr: str, key: str = "pk") -> Callable[[World], dict]:
    return lambda w: {key: getattr(w, attr).pk}


def _report(attr: str, **more: Callable[[World], int]) -> Callable[[World], dict]:
    return lambda w: {"pk": getattr(w, attr).pk, **{k: f(w) for k, f in more.items()}}


def _overall_section(w: World) -> int:
    return w.report_check.sections.get(kind="overall").pk


def _draft_comment(w: World) -> int:
    return w.report_check.comments.get().pk


def _draft_file(w: World) -> int:
    return w.report_check.comments.get().files.get().pk


def _sent_comment(w: World) -> int:
    return w.report_responding.comments.get().pk


def _sent_file(w: World) -> int:
    return w.report_responding.comments.get().files.get().pk


def _first_statement(w: World) -> str:
    return w.assessment_live.statements.order_by("order").first().slug


PAGES: list[Page] = [
    # core
    Page("core:home", get=PUBLIC),
    Page("core:health", get=PUBLIC),
    Page("core:dashboard", get=SIGNED_IN),
    Page("core:mailbox", get={"*": 404}),  # development only
    Page("core:demo-codes", get={"*": 404}),  # development only
    # accounts
    Page("accounts:sign-in", get={"anonymous": 200, "signed_in": REDIRECT}),
    Page("accounts:sign-out", get={"*": 405}, post={"anonymous": REDIRECT, "signed_in": ACTS}),
    Page("accounts:locked", get={"*": 403}),
    # Staff have given their code already, so the page sends them on; providers may set one up.
    Page("accounts:two-factor", get={"anonymous": SIGN_IN, "staff": REDIRECT, "provider": 200, "other_provider": 200}),
    Page("accounts:two-factor-manage", get=SIGNED_IN),
    Page("accounts:session-keep-alive", get={"*": 405}, post={"anonymous": 401, "signed_in": Acts(200)}),
    Page("accounts:password-reset", get=PUBLIC),
    Page("accounts:password-reset-done", get=PUBLIC, post={"*": 405}),
    Page(
        "accounts:password-reset-confirm",
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-real-token"},
        get=PUBLIC,  # says the link is not valid
    ),
    Page("accounts:password-reset-complete", get=PUBLIC, post={"*": 405}),
    # register: public
    Page("register:search", get=PUBLIC),
    Page("register:location", kwargs=lambda w: {"cqc_id": w.location.cqc_id}, get=PUBLIC),
    Page("register:provider", kwargs=lambda w: {"cqc_id": w.provider.cqc_id}, get=PUBLIC),
    # register: the provider's private pages
    Page("register:organisation", kwargs=_w("provider"), get=PRIVATE_RECORD),
    Page(
        "register:organisation-location",
        kwargs=lambda w: {"pk": w.provider.pk, "location_pk": w.location.pk},
        get=PRIVATE_RECORD,
    ),
    Page("register:team", kwargs=_w("provider"), get=PRIVATE_RECORD),
    Page(
        "register:team-member",
        kwargs=lambda w: {"pk": w.provider.pk, "user_pk": w.people["colleague"].pk},
        get=PRIVATE_RECORD,
    ),
    Page(
        "register:delegation-new",
        kwargs=_w("provider"),
        # Only a registered person names a delegate; a delegate cannot pass the authority on.
        get={
            "anonymous": SIGN_IN,
            "staff": 403,
            "registered": 200,
            "delegate": 403,
            "colleague": 403,
            "other_provider": 404,
        },
    ),
    Page(
        "register:delegation-withdraw",
        kwargs=lambda w: {"pk": w.provider.pk, "delegation_pk": w.delegation.pk},
        get=POST_ONLY,
        # The person who named the delegate, or admin staff; nobody else.
        post=_post(staff=403, provider=403, registered_manager=ACTS, admin_staff=ACTS),
    ),
    # alerts: public, and the token in the link is the permission
    Page("alerts:subscribe", query=lambda w: {"location": w.location.cqc_id}, get=PUBLIC),
    Page("alerts:check-email", get=PUBLIC, post={"*": 405}),
    Page(
        "alerts:confirm",
        kwargs=lambda w: {"token": w.subscription.confirm_token},
        get=PUBLIC,
        post={"*": Acts(200)},
    ),
    Page(
        "alerts:unsubscribe",
        kwargs=lambda w: {"token": w.subscription.unsubscribe_token},
        get=PUBLIC,
        post={"*": Acts(200)},
    ),
    Page(
        "alerts:unsubscribe-digest",
        kwargs=lambda w: {"token": w.digest_token},
        get=PUBLIC,
        post={"*": Acts(200)},
    ),
    # assessments
    Page("assessments:caseload", get=STAFF_LIST),
    Page("assessments:rating-reviews", get=STAFF_LIST),
    Page(
        "assessments:rating-review-request",
        kwargs=_w("report_published_2", "report_pk"),
        get=PROVIDER_RECORD,
        post=_post(staff=REFUSED, provider=ACTS),  # anyone at the provider saves a draft
    ),
    Page(
        "assessments:rating-review-request",
        variant="already sent",
        kwargs=_w("report_published", "report_pk"),
        get={"anonymous": SIGN_IN, "staff": REFUSED, "provider": REDIRECT, "other_provider": 404},
    ),
    Page("assessments:rating-review", kwargs=_w("review"), get=PRIVATE_RECORD),
    *[
        Page(
            "assessments:rating-review-action",
            variant=action,
            kwargs=lambda w, action=action: {"pk": w.review.pk, "action": action},
            get=POST_ONLY,
            post=_staff_step(**spec),
        )
        for action, spec in {
            "check": {"staff": ACTS},  # the review is submitted: any staff member starts the grounds check
            "refuse": {},
            "accept": {},
            "reviewer": {},
            "recommend": {},  # no reviewer is named yet (an external one's is recorded by staff): refused for its state
            "decide": {"staff": 403, "deputy": REDIRECT, "chief": REDIRECT},
            "publish": {},
            "close": {},
            "no-such-step": {"staff": 404},
        }.items()
    ],
    Page("assessments:assessment-new", kwargs=_w("location", "location_pk"), get=STAFF_RECORD),
    Page(
        "assessments:rating-suspend",
        kwargs=_w("location", "location_pk"),
        get=POST_ONLY,
        post=_staff_step(),
    ),
    Page("assessments:workspace", kwargs=_w("assessment_live"), get=STAFF_RECORD),
    Page(
        "assessments:depart",
        kwargs=_w("assessment_live"),
        # Departing from a calculated rating: the lead or a senior manager only.
        get={
            "anonymous": SIGN_IN,
            "staff": 403,
            "inspector": 200,
            "senior": 200,
            "provider": REFUSED,
            "other_provider": 404,
        },
    ),
    Page(
        "assessments:scope",
        kwargs=_w("assessment_live"),
        get=STAFF_RECORD,
        post=_post(staff=403, conduct=200, provider=REFUSED),  # nothing chosen: the page says so
    ),
    Page(
        "assessments:team-add",
        kwargs=_w("assessment_live"),
        get=POST_ONLY,
        post=_staff_step(staff=403, conduct=REDIRECT),
    ),
    Page(
        "assessments:assessment-information-request",
        kwargs=_w("assessment_live"),
        get=POST_ONLY,
        post=_staff_step(staff=403, conduct=ACTS),  # sends the standard questions
    ),
    *[
        Page(
            "assessments:assessment-transition",
            variant=action,
            kwargs=lambda w, action=action: {"pk": w.assessment_live.pk, "action": action},
            get=POST_ONLY,
            post=_staff_step(**spec),
        )
        for action, spec in {
            "start": {"staff": 403, "conduct": REDIRECT},  # already started
            "complete": {"staff": 403, "conduct": REDIRECT},  # statements are unscored
            "no-such-step": {"staff": 403, "conduct": 404},
        }.items()
    ],
    Page(
        "assessments:statement",
        kwargs=lambda w: {"pk": w.assessment_live.pk, "slug": _first_statement(w)},
        get=STAFF_RECORD,
    ),
    Page(
        "assessments:evidence-download",
        kwargs=lambda w: {"pk": w.assessment_live.pk, "item_pk": w.evidence.pk},
        get=STAFF_RECORD,
    ),
    Page(
        "assessments:information-request-new",
        kwargs=_w("location", "location_pk"),
        get=STAFF_RECORD,
    ),
    Page(
        "assessments:information-request",
        kwargs=_w("information_request"),
        get=PRIVATE_RECORD,  # a POST with no response re-shows the form and says so
    ),
    Page(
        "assessments:information-request-review",
        kwargs=_w("information_request"),
        get=POST_ONLY,
        post=_staff_step(),  # not yet answered: nothing to review
    ),
    *[
        Page(
            "assessments:information-request-clock",
            variant=action,
            kwargs=lambda w, action=action: {"pk": w.information_request.pk, "action": action},
            get=POST_ONLY,
            post=_staff_step(**spec),
        )
        for action, spec in {"pause": {}, "resume": {}, "extend": {}, "no-such-step": {"staff": 404}}.items()
    ],
    # public pages of assessments and reports
    Page("public:how-rated", kwargs=lambda w: {"cqc_id": w.location.cqc_id}, get=PUBLIC),
    Page(
        "public:report",
        kwargs=lambda w: {"cqc_id": w.location.cqc_id, "pk": w.report_published.pk},
        get=PUBLIC,
    ),
    Page(
        "public:report",
        variant="unpublished",
        kwargs=lambda w: {"cqc_id": w.location.cqc_id, "pk": w.report_check.pk},
        get={"*": 404},
    ),
    # deadlines
    Page("deadlines:dashboard", get=STAFF_LIST, post={"anonymous": SIGN_IN, "signed_in": 405}),
    # reports and the factual accuracy check
    Page("factual_accuracy:list", get=STAFF_LIST),
    Page(
        "factual_accuracy:report-new",
        kwargs=_w("assessment_done", "assessment_pk"),
        get=POST_ONLY,
        post=_staff_step(staff=ACTS),
    ),
    Page("factual_accuracy:report", kwargs=_w("report_check"), get=PRIVATE_RECORD),
    Page("factual_accuracy:versions", kwargs=_w("report_check"), get=PRIVATE_RECORD),
    Page(
        "factual_accuracy:section",
        kwargs=_report("report_check", section_pk=_overall_section),
        get=PRIVATE_RECORD,  # staff edit the section; the provider comments on it
        post=_post(staff=200, provider=200),
    ),
    Page(
        "factual_accuracy:comment-edit",
        kwargs=_report("report_check", comment_pk=_draft_comment),
        get=PROVIDER_RECORD,
        post=_post(staff=REFUSED, provider=200),
    ),
    Page(
        "factual_accuracy:comment-delete",
        kwargs=_report("report_check", comment_pk=_draft_comment),
        get=POST_ONLY,
        post=_post(staff=REFUSED, provider=ACTS),  # anyone at the provider drafts, and deletes a draft
    ),
    Page(
        "factual_accuracy:file-add",
        kwargs=_report("report_check", comment_pk=_draft_comment),
        get=POST_ONLY,
        post=_post(staff=REFUSED, provider=REDIRECT),  # no file chosen
    ),
    Page(
        "factual_accuracy:comment-respond",
        kwargs=_report("report_responding", comment_pk=_sent_comment),
        get=STAFF_RECORD,
        post=_post(staff=200, provider=REFUSED),
    ),
    Page(
        "factual_accuracy:file",
        variant="draft",
        kwargs=_report("report_check", file_pk=_draft_file),
        get={"anonymous": SIGN_IN, "staff": 404, "provider": 200, "other_provider": 404},  # drafts are the provider's
    ),
    Page(
        "factual_accuracy:file",
        variant="sent",
        kwargs=_report("report_responding", file_pk=_sent_file),
        get=PRIVATE_RECORD,
    ),
    Page(
        "factual_accuracy:file-remove",
        kwargs=_report("report_check", file_pk=_draft_file),
        get=POST_ONLY,
        post=_post(staff=REFUSED, provider=ACTS),
    ),
    Page(
        "factual_accuracy:submit",
        kwargs=_w("report_check"),
        get=PROVIDER_RECORD,
        # Sending the comments closes the check: a registered person or their delegate only.
        post=_post(staff=REFUSED, registered=ACTS, colleague=403),
    ),
    Page(
        "factual_accuracy:extension",
        kwargs=_w("report_check"),
        get=PROVIDER_RECORD,
        post=_post(staff=REFUSED, provider=200),
    ),
    Page(
        "factual_accuracy:extension-decide",
        kwargs=lambda w: {"pk": w.report_check.pk, "request_pk": w.report_check.extension_requests.get().pk},
        get=POST_ONLY,
        post=_staff_step(),
    ),
    Page(
        "factual_accuracy:question",
        kwargs=_w("report_check"),
        get=PROVIDER_RECORD,
        post=_post(staff=REFUSED, provider=200),
    ),
    Page(
        "factual_accuracy:query-answer",
        kwargs=lambda w: {"pk": w.report_check.pk, "query_pk": w.report_check.queries.get().pk},
        get=POST_ONLY,
        post=_staff_step(),
    ),
    *[
        Page(
            "factual_accuracy:report-action",
            variant=action,
            kwargs=lambda w, action=action: {"pk": w.report_check.pk, "action": action},
            get=POST_ONLY,
            post=_post(**spec),
        )
        for action, spec in {
            # Staff steps: the report is out for the check, so each is refused for its state, and the provider
            # cannot take any of them.
            **{
                step: {"staff": REDIRECT, "provider": REFUSED}
                for step in ["submit", "pass", "ready", "publish", "respond", "check", "send", "return"]
            },
            # The independent check: never someone from the assessment team (the inspector led it).
            "check-pass": {"staff": REDIRECT, "inspector": 403, "provider": REFUSED},
            "check-return": {"staff": REDIRECT, "inspector": 403, "provider": REFUSED},
            # Withdrawing a report: an operations manager or more senior.
            "withdraw": {"staff": 403, "senior": REDIRECT, "provider": REFUSED},
            # Closing the check with "no factual inaccuracies": a registered person or their delegate.
            "no-inaccuracies": {"staff": REFUSED, "registered": ACTS, "colleague": 403},
            "no-such-step": {"staff": 404, "provider": 404},
        }.items()
    ],
    # enforcement and fit and proper persons
    Page("enforcement:concerns", get=STAFF_LIST),
    Page("enforcement:concern-new", get=STAFF_LIST, post=_post(staff=400, provider=REFUSED, other_provider=REFUSED)),
    Page("enforcement:concern", kwargs=_w("concern"), get=PRIVATE_RECORD),
    *[
        Page(
            "enforcement:concern-step",
            variant=step,
            kwargs=lambda w, step=step: {"pk": w.concern.pk, "step": step},
            get=POST_ONLY,
            post=_post(**spec),
        )
        for step, spec in {
            # The provider's response: a registered person or their delegate (no text: refused with a message).
            "respond": {"staff": REFUSED, "registered": REDIRECT, "colleague": 403},
            "pass": {"staff": REDIRECT, "provider": REFUSED},
            "review": {"staff": REDIRECT, "provider": REFUSED},
            "close": {"staff": REDIRECT, "provider": REFUSED},
            "no-such-step": {"staff": 404, "provider": 404},
        }.items()
    ],
    Page("enforcement:new", kwargs=_w("location", "location_pk"), get=STAFF_RECORD, post=_staff_step(staff=200)),
    Page("enforcement:action", kwargs=_w("action"), get=PRIVATE_RECORD),
    Page(
        "enforcement:action",
        variant="not served",
        kwargs=_w("action_draft"),
        get={"anonymous": SIGN_IN, "staff": 200, "provider": 404, "other_provider": 404},
    ),
    Page(
        "enforcement:representation-add",
        kwargs=_w("action"),
        get=POST_ONLY,
        post=_post(staff=REFUSED, provider=REDIRECT),  # nothing written: refused with a message
    ),
    Page(
        "enforcement:file",
        kwargs=lambda w: {"pk": w.action.pk, "file_pk": w.action.representations.get().files.get().pk},
        get={"anonymous": SIGN_IN, "staff": 404, "provider": 200, "other_provider": 404},  # a draft: not yet sent
    ),
    *[
        Page(
            "enforcement:step",
            variant=step,
            kwargs=lambda w, step=step: {"pk": w.action.pk, "step": step},
            get=POST_ONLY,
            post=_post(**spec),
        )
        for step, spec in {
            # Sending representations: a registered person or their delegate.
            "send": {"staff": REFUSED, "registered": ACTS, "colleague": 403},
            **{
                step: {"staff": REDIRECT, "provider": REFUSED}
                for step in ["serve", "decide", "appeal", "appeal-outcome"]
            },
            "respond": {"staff": 404, "provider": REFUSED},  # no representation named
            "no-such-step": {"staff": 404, "provider": REFUSED},
        }.items()
    ],
    # special measures and escalation
    Page("special_measures:list", get=STAFF_LIST),
    Page("special_measures:detail", kwargs=_w("special_measures"), get=STAFF_RECORD),
    Page(
        "special_measures:outcome",
        kwargs=_w("special_measures"),
        get=POST_ONLY,
        post=_staff_step(staff=200),  # the form says what is missing
    ),
    Page("special_measures:task", kwargs=_w("task"), get=STAFF_RECORD),
    Page("special_measures:task-schedule", kwargs=_w("task"), get=POST_ONLY, post=_staff_step(staff=200)),
    Page("special_measures:task-done", kwargs=_w("task"), get=POST_ONLY, post=_staff_step(staff=200)),
    # complaints about the regulator
    Page("complaints:list", get=STAFF_LIST),
    Page("complaints:new", get=STAFF_LIST, post=_post(staff=200, provider=REFUSED, other_provider=REFUSED)),
    Page("complaints:detail", kwargs=_w("complaint"), get=STAFF_RECORD),
    Page("complaints:escalate", kwargs=_w("complaint"), get=POST_ONLY, post=_staff_step(staff=ACTS)),
    Page("complaints:close", kwargs=_w("complaint"), get=POST_ONLY, post=_staff_step(staff=200)),
    # the inbox: one's own notifications only
    Page("notifications:inbox", get=SIGNED_IN),
    Page(
        "notifications:inbox-item",
        kwargs=_w("notification"),
        get={"anonymous": SIGN_IN, "signed_in": 404, "registered_manager": 200},
        post={"anonymous": SIGN_IN, "signed_in": 404, "registered_manager": Acts(200)},  # opening it marks it read
    ),
    Page(
        "notifications:inbox-open",
        kwargs=_w("notification"),
        get=POST_ONLY,
        post={"anonymous": SIGN_IN, "signed_in": 404, "registered_manager": ACTS},
    ),
]


# --- Discovery ---------------------------------------------------------------------------------------------------


def _url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every named URL of the URL conf, with its namespace; the back office (Django admin) is tested on its own."""
    names: set[str] = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"{entry.pattern} has no name, so it cannot be in the permission matrix"
            names.add(f"{namespace}{entry.name}")
    return names


def test_matrix_names_every_url_of_the_url_conf():
    table = {page.name for page in PAGES}
    discovered = _url_names()
    assert discovered - table == set(), "pages with no expectations: add them to PAGES"
    assert table - discovered == set(), "expectations for pages that no longer exist"


def test_matrix_names_every_role_for_every_page():
    for page in PAGES:
        _expand(page.get)
        if page.post is not None:
            _expand(page.post)


# --- What changed ------------------------------------------------------------------------------------------------

_SKIP_APPS = {"sessions", "admin", "axes", "contenttypes", "auth", "otp_totp", "otp_static", "django_celery_beat"}


@functools.cache
def _snapshot_sql() -> str:
    """One query: the row count of every model of the portal, the state of every case record, the audit trail
    (without its records of who read what, which a read may add) and the few fields a step changes in place."""
    from cqcportal.audit.models import AuditEvent
    from cqcportal.audit.services import ACCESS_ACTIONS

    parts = []
    for model in apps.get_models():
        if model._meta.app_label in _SKIP_APPS or model._meta.proxy or model is AuditEvent:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        label = model._meta.label
        # The SQL is built from the models' own table and column names only.
        parts.append(f"SELECT '{label}', count(*)::text FROM {table}")  # noqa: S608
        for field in model._meta.get_fields():
            if isinstance(field, FSMField):
                column = connection.ops.quote_name(field.column)
                pk = connection.ops.quote_name(model._meta.pk.column)
                states = f"string_agg({pk}::text || '=' || {column}, ',' ORDER BY {pk})"
                parts.append(f"SELECT '{label}.{field.name}', {states} FROM {table}")  # noqa: S608
    actions = ", ".join(f"'{a}'" for a in ACCESS_ACTIONS)
    audit = AuditEvent._meta.db_table
    parts.append(f"SELECT 'audit', count(*)::text FROM {audit} WHERE action NOT IN ({actions})")  # noqa: S608
    for model, fields in (
        ("accounts.Delegation", ["revoked_at"]),
        ("notifications.Notification", ["read_at"]),
        ("alerts.Subscription", ["confirmed_at", "unsubscribed_at"]),
    ):
        table = apps.get_model(model)._meta.db_table
        for name in fields:
            parts.append(f"SELECT '{model}.{name}', count({name})::text FROM {table}")  # noqa: S608
    return " UNION ALL ".join(parts)


def _snapshot() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql())
        return dict(cursor.fetchall())


def _changes(before: dict, after: dict) -> list[str]:
    return [key for key in before if before[key] != after.get(key)]


# --- The matrix --------------------------------------------------------------------------------------------------


def sign_in(client, user) -> None:
    """Sign the person in (the suite's client gives staff their second factor too), or sign out for anonymous."""
    client.logout()
    if user.is_authenticated:
        client.force_login(user)


def _answer(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        return SIGN_IN if location.startswith(resolve_url(settings.LOGIN_URL)) else REDIRECT
    return response.status_code


def _matches(expected, got, *, changed: bool) -> bool:
    if isinstance(expected, Acts):
        return got == expected.status
    if expected == ACTS:
        return got == REDIRECT
    if changed:
        return False
    if isinstance(expected, frozenset):
        return got in expected
    return got == expected


def _check(client, world: World, page: Page, method: str) -> list[str]:
    url = reverse(page.name, kwargs=page.kwargs(world))
    query = page.query(world)
    spec = page.get if method == "get" or page.post is None else page.post
    mismatches = []
    for role, expected in _expand(spec).items():
        sign_in(client, world.user(role))
        with rolled_back():
            before = _snapshot() if method == "post" else None
            response = getattr(client, method)(
                url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
            )
            changed = method == "post" and _changes(before, _snapshot())
            got = _answer(response)
            if response.streaming:  # a file download: read it, and let go of the file
                b"".join(response.streaming_content)
                close_streamed(response)
        if not _matches(expected, got, changed=bool(changed)):
            what = f"changed {', '.join(changed)}" if changed else ""
            mismatches.append(f"{method.upper()} {page.id} as {role}: expected {_show(expected)}, got {got} {what}")
    return mismatches


def _show(expected) -> str:
    if isinstance(expected, frozenset):
        return " or ".join(str(c) for c in sorted(expected))
    if isinstance(expected, Acts):
        return f"{expected.status} (may act)"
    return str(expected)


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_get_answers_every_role_as_the_table_says(client, world, page):
    mismatches = _check(client, world, page, "get")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_post_answers_every_role_as_the_table_says_and_changes_nothing_it_may_not(client, world, page):
    mismatches = _check(client, world, page, "post")
    assert not mismatches, "\n".join(mismatches)


# --- The back office ---------------------------------------------------------------------------------------------


def _admin_urls() -> list[str]:
    """The back office's home, and the list and add pages of every model in it."""
    from django.contrib import admin

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return urls


def test_back_office_sends_everyone_but_staff_with_admin_access_to_sign_in(client, world):
    sign_ins = (resolve_url(settings.LOGIN_URL), reverse("admin:login"))
    wrong = []
    for role in ["anonymous", "registered_manager", "colleague", "other_provider", "inspector", "deputy"]:
        sign_in(client, world.user(role))  # provider users, and staff without admin site access
        for url in _admin_urls():
            response = client.get(url)
            if response.status_code != 302 or not response["Location"].startswith(sign_ins):
                wrong.append(f"{role} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_back_office_refuses_staff_without_the_permission_on_case_lists(client, world):
    """Admin site access alone shows no case: the lists of reports, reviews, enforcement and complaints need the
    model's permission, which only admin staff hold for the records they run."""
    inspector = world.people["inspector"]
    type(inspector).objects.filter(pk=inspector.pk).update(is_staff=True)
    inspector.refresh_from_db()
    sign_in(client, inspector)
    cases = [
        "factual_accuracy_report",
        "assessments_assessment",
        "assessments_ratingreview",
        "enforcement_enforcementaction",
        "enforcement_fitandproperconcern",
        "complaints_complaint",
    ]
    answers = {name: client.get(reverse(f"admin:{name}_changelist")).status_code for name in cases}
    assert answers == dict.fromkeys(cases, 403)


# --- A manual try, as a new user would -----------------------------------------------------------------------------


def _all_ids(world: World) -> set[int]:
    """Every id of every record in the world, and a few beyond: what someone editing a URL would try."""
    ids = {1, 2, 3, 9999}
    for value in vars(world).values():
        if hasattr(value, "pk"):
            ids.add(value.pk)
    ids |= {person.pk for person in world.people.values()}
    return ids


def test_provider_user_editing_ids_in_urls_finds_nothing_of_another_provider(client, world):
    """Provider B's manager puts every id there is into every URL that takes one: nothing but their own
    organisation's pages answers, and everything else is "not found", never "forbidden"."""
    stranger = world.people["other_provider"]
    own = {("register:organisation", world.other_provider.pk), ("register:team", world.other_provider.pk)}
    own.add(("register:delegation-new", world.other_provider.pk))
    sign_in(client, stranger)
    seen, wrong = 0, []
    for page in PAGES:
        if page.name.startswith("public:") or _expand(page.get)["anonymous"] == 200:
            continue  # a public page: any id of a published record is meant to answer
        kwargs = page.kwargs(world)
        for key, value in kwargs.items():
            if not isinstance(value, int):
                continue
            for pk in _all_ids(world):
                url = reverse(page.name, kwargs={**kwargs, key: pk})
                for method in ("get", "post"):
                    with rolled_back():
                        status = getattr(client, method)(url).status_code
                    seen += 1
                    if (page.name, pk) in own and status in (200, 403):
                        continue
                    if status not in (404, 405):
                        wrong.append(f"{method.upper()} {url} ({page.id}): {status}")
    assert seen > 1000
    assert not wrong, "\n".join(wrong)


def _post_as(client, name: str, data: dict | None = None, **kwargs) -> int:
    return client.post(reverse(name, kwargs=kwargs), data or {}).status_code


def _review_with_named_reviewer(world):
    from assessments import review_services

    inspector = world.people["inspector"]
    review = review_services.rating_review_start_grounds_check(by=inspector, review=world.review)
    review = review_services.rating_review_accept(by=inspector, review=review)
    return review_services.rating_review_assign_reviewer(
        by=inspector, review=review, reviewer=world.people["coordinator"]
    )


def _review_recommended(world):
    from assessments import review_services

    review = _review_with_named_reviewer(world)
    return review_services.rating_review_recommend(by=world.people["coordinator"], review=review, text="Keep them.")


def _scored(world):
    from assessments import services

    for statement in world.assessment_live.statements.all():
        services.statement_score_set(
            by=world.people["inspector"],
            assessment=world.assessment_live,
            statement=statement,
            score=3,
            summary="",
            judgement="",
            expected_version=0,
        )


# Each transition URL with real data: (wrong person, right person, URL name, its kwargs, the form, setup).
TRIES = [
    ("inspector", "ops_manager", "factual_accuracy:report-action", ("report_check", "withdraw"), {"reason": "Wrong."}),
    ("colleague", "delegate", "factual_accuracy:report-action", ("report_check", "no-inaccuracies"), {}),
    ("colleague", "registered_manager", "factual_accuracy:submit", ("report_check", None), {}),
    ("ops_manager", "chief", "assessments:rating-review-action", ("review", "decide"), {"reason": "They stand."}),
    (
        "inspector",
        "coordinator",
        "assessments:rating-review-action",
        ("review", "recommend"),
        {"recommendation": "Keep."},
    ),
    ("coordinator", "assessor", "assessments:assessment-transition", ("assessment_live", "complete"), {}),
    (
        "admin_staff",
        "inspector",
        "assessments:team-add",
        ("assessment_live", None),
        {"name": "Eve", "role": "assessor"},
    ),
    ("colleague", "nominated_individual", "enforcement:step", ("action", "send"), {}),
    ("colleague", "chief_executive", "enforcement:concern-step", ("concern", "respond"), {"response": "Declared."}),
    ("colleague", "registered_manager", "register:delegation-withdraw", ("delegation", None), {"reason": "Back."}),
]
SETUP = {"recommend": _review_with_named_reviewer, "decide": _review_recommended, "complete": _scored}


@pytest.mark.parametrize(("wrong", "right", "name", "target", "data"), TRIES, ids=[f"{t[2]}[{t[3][1]}]" for t in TRIES])
def test_a_transition_url_posted_with_real_data_refuses_who_may_not_and_acts_for_who_may(
    client, world, wrong, right, name, target, data
):
    attr, step = target
    record = getattr(world, attr)
    kwargs = {"pk": record.pk} if name != "register:delegation-withdraw" else {"pk": world.provider.pk}
    if name == "register:delegation-withdraw":
        kwargs["delegation_pk"] = record.pk
    if step is not None:
        kwargs["step" if name.startswith("enforcement:") else "action"] = step
    if step == "decide":
        data = {**data, **{f"rating-{key}": "" for key in ("overall", "safe")}}
    for role, expected in ((wrong, 403), (right, None)):
        sign_in(client, world.user(role))
        with rolled_back():
            if step in SETUP:
                SETUP[step](world)
            before = _snapshot()
            status = _post_as(client, name, data, **kwargs)
            changed = _changes(before, _snapshot())
        if expected == 403:
            assert (status, changed) == (403, []), f"{role} was not refused"
        else:
            assert status == 302 and changed, f"{role} could not act ({status})"
