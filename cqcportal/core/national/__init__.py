"""A register the size of England's, with five years of cases, for benchmarks (``manage.py seed_national``).

``national_seed`` builds everything in memory with one seeded random generator per part (same seed and day, same
data), writes it with PostgreSQL's COPY inside one transaction, and analyses the tables. Records are made as the
services would leave them, not through the services: those lock, audit and e-mail one record at a time, and a
national register has millions of rows. Ratings come from the pure ratings engine, deadlines from the clock's own
rules, so the portal's working, the sweep and every page agree with what is stored.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse

from assessments import framework
from assessments.models import EvidenceCategory, QualityStatement
from cqcportal.core.national import extras
from cqcportal.core.national.cases import REPORT_STATES, CaseBuilder
from cqcportal.core.national.clock import Clock
from cqcportal.core.national.documents import shared_documents
from cqcportal.core.national.engine import Engine, Statement
from cqcportal.core.national.loader import Loader
from cqcportal.core.national.people import BENCH_ACCOUNTS, PeopleBuilder
from cqcportal.core.national.register import RegisterBuilder
from cqcportal.core.national.world import Settings
from cqcportal.deadlines.selectors import extra_holidays
from cqcportal.register.models import Location, RegulatedActivity, ServiceType

NATIONAL_LOCATIONS = 54_000
# The demo's published authenticator key (RFC 4226's test key): every generated member of staff has it, so a
# benchmark can work out their codes.
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
TOTP_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SHOWCASE_PER_STATE = 2


class NationalSeedCannotRun(Exception):
    """The database already holds a register and neither appending nor a smaller run was asked for."""


@dataclass
class SeedResult:
    """What one run made: rows per table, cases per state, the time each part took and whom to sign in as."""

    rows: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    accounts: list[tuple[str, int, str]] = field(default_factory=list)
    password: str = ""
    totp_key_base32: str = TOTP_KEY_BASE32


def national_seed(
    *,
    locations: int = NATIONAL_LOCATIONS,
    seed: int = 1,
    today: datetime.date,
    append: bool = False,
    password: str = "bench-password-2026",  # noqa: S107 - a benchmark's shared password, printed on purpose
) -> SeedResult:
    """Build a national register of ``locations`` locations with five years of cases up to 07:00 on ``today``.

    :raises NationalSeedCannotRun: when the database already has locations and ``append`` is not set.
    """
    if not append and Location.objects.exists():
        raise NationalSeedCannotRun(
            f"The database already holds {Location.objects.count():,} locations. Use an empty database, or --append "
            "to add another register beside them (new ids, register ids, team names and e-mail addresses)."
        )
    result = SeedResult(password=password)
    clock_started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock_started
        now = time.perf_counter()
        result.timings.append((name, now - clock_started))
        clock_started = now

    settings = Settings(
        locations=locations, seed=seed, today=today, password_hash=make_password(password), totp_key_hex=TOTP_KEY_HEX
    )
    loader = Loader()
    with transaction.atomic():
        try:
            cases = _load(settings, loader, lap)
        except BaseException:
            loader.close(abort=True)  # before the rollback: the writer thread uses this transaction
            raise
    loader.analyze()
    lap("tables analysed")
    result.rows = {table.db_table: table.count for table in loader.tables.values()}
    result.states = dict(sorted(cases.stats.items()))
    result.accounts = [
        (BENCH_ACCOUNTS[key], person.id, _who(key, person)) for key, person in sorted(cases.people.bench.items())
    ]
    return result


def _load(settings: Settings, loader: Loader, lap) -> CaseBuilder:
    """Build and write everything, in the caller's transaction; returns the builder of the cases (its counts)."""
    loader.drop_foreign_keys(_models_loaded())
    register = RegisterBuilder(
        settings,
        loader,
        dict(ServiceType.objects.values_list("name", "id")),
        dict(RegulatedActivity.objects.values_list("code", "id")),
    )
    register.build()
    lap("register built")
    people = PeopleBuilder(settings, loader)
    people.build_staff(register.locations)
    people.build_provider_people(register.providers)
    people.build_delegations(register.providers)
    _choose_showcase(settings, register.locations)
    group_ids = dict(Group.objects.values_list("name", "id"))
    register.write(settings.now)
    people.write(now=settings.now, group_ids=group_ids)
    delegations = people.write_delegations(register.providers, now=settings.now)
    lap("register and people written")
    loader.drain()  # the main thread queries the database below: the writer finishes first
    clock = Clock(loader, now=settings.now, holidays=extra_holidays())
    statements = [
        Statement(s.id, s.key_question, s.slug, s.name, s.order)
        for s in QualityStatement.objects.filter(retired_at__isnull=True).order_by("order")
    ]
    priority = sorted(
        QualityStatement.objects.filter(retired_at__isnull=True, priority_for__is_rated=True)
        .distinct()
        .values_list("id", flat=True)
    ) or [s.id for s in statements if s.slug in framework.PRIORITY]
    cases = CaseBuilder(
        settings,
        loader,
        clock,
        people,
        Engine(statements),
        priority=priority,
        categories=list(EvidenceCategory.objects.order_by("order").values_list("id", flat=True)),
        content_types=_content_types(),
        urls=_urls(),
        documents=shared_documents(),
    )
    cases.tell(register.locations)
    lap("assessments, reports, enforcement and reviews")
    extras.information_requests(cases, register.locations)
    extras.complaints(cases, register.locations)
    extras.fit_and_proper(cases, register.providers)
    extras.subscriptions(cases, register.locations, register.providers)
    extras.clock_trail(cases, register.locations)
    extras.delegation_trail(cases, delegations)
    lap("information requests, complaints, alerts, audit and inbox")
    loader.finish()
    lap("rows written and foreign keys checked")
    return cases


def _who(key: str, person) -> str:
    if person.staff:
        return f"{person.full_name}, {', '.join(person.roles)}"
    where = ", ".join(loc.name for loc in person.locations[:2])
    return f"{person.full_name}, {key.replace('ni', 'nominated individual')} at {person.provider.name}" + (
        f" ({where})" if where else ""
    )


def _choose_showcase(settings: Settings, locations) -> None:
    """A few locations whose latest report is put in each state, so a small run still has every state."""
    rng = random.Random(f"{settings.seed}:showcase")  # noqa: S311 - made-up data
    window_start = settings.today.replace(year=settings.today.year - 5)
    candidates = [
        loc
        for loc in locations
        if loc.sector == "asc"
        and loc.registered
        and loc.manager is not None
        and loc.registration_date < window_start - datetime.timedelta(days=200)
    ]
    chosen = rng.sample(candidates, min(len(candidates), SHOWCASE_PER_STATE * len(REPORT_STATES)))
    for i, loc in enumerate(chosen):
        loc.showcase = REPORT_STATES[i % len(REPORT_STATES)]


def _content_types() -> dict[str, int]:
    from assessments.models import Assessment, InformationRequest, RatingReview
    from cqcportal.accounts.models import Delegation
    from cqcportal.complaints.models import Complaint
    from cqcportal.deadlines.models import Deadline
    from enforcement.models import EnforcementAction, EscalationTask, SpecialMeasures
    from factual_accuracy.models import Report

    models = [Assessment, InformationRequest, RatingReview, Delegation, Complaint, Deadline, EnforcementAction]
    models += [EscalationTask, SpecialMeasures, Report]
    return {m._meta.model_name: ContentType.objects.get_for_model(m).id for m in models}


def _urls() -> dict[str, str]:
    """The paths of the portal's pages, as templates: reversed once, with the ids put in per record."""
    pk, cqc = 987654321, "CQCIDSENTINEL"

    def template(name: str, *args) -> str:
        return reverse(name, args=args).replace(cqc, "{0}").replace(str(pk), "{1}" if cqc in args else "{}")

    return {
        "information_request": template("assessments:information-request", pk),
        "report": template("factual_accuracy:report", pk),
        "review_request": template("assessments:rating-review-request", pk),
        "review": template("assessments:rating-review", pk),
        "action": template("enforcement:action", pk),
        "special_measures": template("special_measures:detail", pk),
        "complaint": template("complaints:detail", pk),
        "location": template("register:location", cqc).replace("{0}", "{}"),
        "public_report": template("public:report", cqc, pk),
        "base": django_settings.PORTAL_BASE_URL,
    }


def _models_loaded() -> list:
    """Every model whose table the run writes to (their foreign keys are checked once, at the end)."""
    from django.apps import apps

    labels = [
        "register.Provider",
        "register.Location",
        "register.PublishedRating",
        "accounts.Team",
        "accounts.User",
        "accounts.ProviderMembership",
        "accounts.Delegation",
        "otp_totp.TOTPDevice",
        "assessments.Assessment",
        "assessments.AssessmentTeamMember",
        "assessments.StatementScore",
        "assessments.StatementScoreChange",
        "assessments.EvidenceItem",
        "assessments.RegulationsJudgement",
        "assessments.AssessmentOutcome",
        "assessments.LocationRating",
        "assessments.RatingDeparture",
        "assessments.InformationRequest",
        "assessments.EnforcementLimit",
        "assessments.RatingReview",
        "assessments.RatingChallenge",
        "assessments.RatingReviewChange",
        "factual_accuracy.Report",
        "factual_accuracy.ReportSection",
        "factual_accuracy.ReportVersion",
        "factual_accuracy.Submission",
        "factual_accuracy.Comment",
        "factual_accuracy.SupportingFile",
        "factual_accuracy.ExtensionRequest",
        "factual_accuracy.InformationQuery",
        "enforcement.EnforcementAction",
        "enforcement.Breach",
        "enforcement.Representation",
        "enforcement.RepresentationFile",
        "enforcement.Appeal",
        "enforcement.SpecialMeasures",
        "enforcement.EscalationTask",
        "enforcement.FitAndProperConcern",
        "deadlines.Deadline",
        "deadlines.DeadlineStep",
        "deadlines.DeadlinePause",
        "deadlines.DeadlineExtension",
        "complaints.Complaint",
        "alerts.PublicEvent",
        "alerts.Subscription",
        "audit.AuditEvent",
        "notifications.Notification",
    ]
    models = [apps.get_model(label) for label in labels]
    from assessments.models import Assessment
    from cqcportal.accounts.models import ProviderMembership, User
    from cqcportal.register.models import Location as LocationModel

    models += [
        LocationModel.service_types.through,
        LocationModel.regulated_activities.through,
        User.groups.through,
        ProviderMembership.locations.through,
        Assessment.statements.through,
    ]
    return models


__all__ = ["NATIONAL_LOCATIONS", "NationalSeedCannotRun", "SeedResult", "national_seed"]
