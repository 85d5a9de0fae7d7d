"""seed_national at a small size: the register's shape, and that what it stored is what the portal's own rules,
working, sweep and pages make of it."""

import datetime
import hashlib
import itertools
import logging
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test import override_settings
from django.urls import reverse

from assessments.models import EvidenceItem, StatementScore, StatementScoreChange
from assessments.working import location_working
from cqcportal import workdays
from cqcportal.accounts.models import User
from cqcportal.core.national import TOTP_KEY_HEX, national_seed
from cqcportal.core.national.cases import html_body
from cqcportal.core.national.world import LONDON
from cqcportal.deadlines.models import Deadline, DeadlineExtension, DeadlineStep
from cqcportal.deadlines.rules import RULES, Kind, due_date_for, explain, planned_steps
from cqcportal.deadlines.selectors import extra_holidays
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import text_to_html
from cqcportal.register.models import KeyQuestion, Location, Provider, PublishedRating
from cqcportal.tests.responses import close_streamed
from enforcement.models import RepresentationFile
from factual_accuracy.models import Comment, ExtensionRequest, Report, ReportSection, ReportState, SupportingFile

TODAY = datetime.date(2026, 11, 18)  # a Wednesday
NOW = datetime.datetime.combine(TODAY, datetime.time(7), LONDON)
SIZE = 600
SHARES = {"asc": 0.54, "dental": 0.21, "gp": 0.12, "ind": 0.09, "nhs": 0.03, "amb": 0.01}
TYPES = {
    "Social Care Org": "asc",
    "Primary Dental Care": "dental",
    "Primary Medical Services": "gp",
    "Independent Healthcare Org": "ind",
    "NHS Healthcare Organisation": "nhs",
    "Independent Ambulance": "amb",
}


def _sector(location: Location) -> str:
    if any(t.name == "Ambulances" for t in location.service_types.all()):
        return "amb"
    return TYPES[location.location_type]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """One run for the module's tests (each test's own changes, such as the sweep's, are rolled back after it); the
    shared uploaded files go to a storage of the module's own."""
    out = StringIO()
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        with django_db_blocker.unblock():
            call_command("seed_national", locations=SIZE, seed=7, today=TODAY, stdout=out)
        yield out.getvalue()
        with django_db_blocker.unblock():
            _empty_the_register()


@pytest.mark.django_db
def test_seed_national_builds_a_register_in_national_shapes(seeded):
    assert "bench-inspector@regulator.example" in seeded and "bench-manager@provider.example" in seeded
    locations = list(Location.objects.prefetch_related("service_types"))
    assert len(locations) == SIZE
    shares = Counter(_sector(loc) for loc in locations)
    for sector, share in SHARES.items():
        assert abs(shares[sector] / SIZE - share) < 0.02, (sector, shares[sector])
    deregistered = sum(loc.registration_status == "deregistered" for loc in locations) / SIZE
    assert 0.005 < deregistered < 0.08
    # Most providers run one location; some run several; NHS trusts run many.
    per_provider = Counter(Location.objects.values_list("provider_id", flat=True))
    singles = sum(1 for n in per_provider.values() if n == 1) / len(per_provider)
    assert singles > 0.6 and max(per_provider.values()) >= 5
    assert Provider.objects.filter(type="nhs_trust").exists()
    # Every registered location has an inspector holding it; the benchmark's inspector holds the fullest caseload.
    assert not Location.objects.filter(registration_status="registered", relationship_holder__isnull=True).exists()
    inspector = User.objects.get(email="bench-inspector@regulator.example")
    caseloads = Counter(
        Location.objects.filter(registration_status="registered").values_list("relationship_holder_id", flat=True)
    )
    assert caseloads[inspector.pk] == max(caseloads.values())
    assert inspector.check_password("bench-password-2026")
    assert inspector.totpdevice_set.get().key == TOTP_KEY_HEX
    manager = User.objects.get(email="bench-manager@provider.example")
    assert manager.membership.role == "registered_manager" and manager.membership.locations.exists()
    # Every state of a report's journey is there, published reports have a frozen version, and scores are
    # mostly 3s.
    assert set(Report.objects.values_list("state", flat=True)) == set(ReportState.values)
    assert not Report.objects.filter(state="published", versions__isnull=True).exists()
    scores = Counter(StatementScore.objects.values_list("score", flat=True))
    assert scores[3] > scores[2] > scores[1] > 0 and scores[3] > scores[4] > 0
    # A second run on a full database is refused.
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_national", locations=SIZE, today=TODAY, stdout=StringIO())


@pytest.mark.django_db
def test_seed_national_deadlines_are_what_the_rules_compute_and_the_sweep_runs_them(seeded, caplog):
    holidays = extra_holidays()
    deadlines = list(Deadline.objects.all())
    assert len([d for d in deadlines if d.state in ("open", "paused")]) > 100
    done = {}  # the ledger is kept per due date: an extension starts the new date's steps afresh
    for deadline_id, step, due_date in DeadlineStep.objects.values_list("deadline_id", "step", "due_date"):
        done.setdefault((deadline_id, due_date), set()).add(step)
    extensions = {}
    for extension in DeadlineExtension.objects.all():
        extensions.setdefault(extension.deadline_id, []).append(extension)
    assert len(extensions) > 3  # some requests for more time were granted
    for d in deadlines:
        rule = RULES[Kind(d.kind)]
        extra = d.paused_days + d.extension_days
        assert d.due_date == due_date_for(rule, d.start_date, extra_days=extra, extra_holidays=holidays), d.pk
        assert d.due_at == workdays.deadline_end_of_day(d.due_date)
        assert d.explanation == explain(rule, d.start_date, extension_days=d.extension_days, extra_holidays=holidays)
        moved = extensions.get(d.pk, [])
        # Both dates are kept: the extensions lead from the original due date to the current one.
        dates = [d.original_due_date, *(e.to_due_date for e in moved)]
        assert [(e.from_due_date, e.to_due_date) for e in moved] == list(itertools.pairwise(dates))
        assert d.extension_days == sum(e.days for e in moved)
        assert (moved[-1].to_due_date if moved else d.original_due_date) == d.due_date
        assert (d.binds, d.unit, d.rule_days) == (rule.binds.value, rule.unit.value, rule.days)
        if d.state == "open":
            assert d.due_at >= NOW
            pending = [
                at
                for name, at in planned_steps(rule, d.due_date, extra_holidays=holidays)
                if name not in done.get((d.pk, d.due_date), ())
            ]
            assert d.next_action_at == min(pending)
        else:
            assert d.next_action_at is None
    # The real sweep over three days: reminders, closes with each flow's own transition, escalations.
    with caplog.at_level(logging.WARNING, logger="cqcportal.deadlines"):
        result = deadlines_sweep(now=NOW + datetime.timedelta(days=3, hours=2))
    assert result.failed == []
    assert not caplog.records, [r.getMessage() for r in caplog.records]  # no batch fell back to one at a time
    assert result.processed > 50 and result.reminders > 0 and result.closed > 0


@pytest.mark.django_db
def test_seed_national_ratings_are_the_engines_working(seeded):
    rated = list(
        Location.objects.filter(calculated_ratings__key_question="overall").prefetch_related("calculated_ratings")
    )
    assert len(rated) > 200
    for location in random.Random(3).sample(rated, 40):
        working = location_working(location)
        stored = {r.key_question: r for r in location.calculated_ratings.all()}
        for kq in working.key_questions:
            row = stored[kq.key_question]
            assert row.rating == (kq.rating.slug if kq.rating else ""), location.pk
            assert row.calculated_rating == (kq.result.rating.slug if kq.result else "")
            assert row.published_score == (kq.result.published_score if kq.result else None)
            assert row.explanation == kq.explanation
            assert row.enforcement_limit == kq.enforcement_limit
        assert stored["overall"].rating == (working.overall.slug if working.overall else "")
        assert stored["overall"].explanation == working.overall_explanation
    # The published ratings are those of the latest published report (unless published enforcement limited them).
    checked = 0
    for location in Location.objects.filter(enforcement_actions__isnull=True, reports__state="published").distinct()[
        :60
    ]:
        report = location.reports.filter(state="published").order_by("-published_at").first()
        sections = {
            ("overall" if s.kind == "overall" else s.key_question): s.rating
            for s in report.sections.filter(kind__in=[ReportSection.Kind.OVERALL, ReportSection.Kind.KEY_QUESTION])
            if s.rating
        }
        current = {
            r.key_question: r.rating
            for r in PublishedRating.objects.filter(location=location, is_current=True, source="assessment")
        }
        if sections:
            assert current == {(KeyQuestion.OVERALL if k == "overall" else k): v for k, v in sections.items()}
            checked += 1
    assert checked > 20
    # Inbox items are written as the services write them (the sweep leaves the HTML to the sending worker).
    for notification in Notification.objects.exclude(kind__startswith="deadline.").order_by("pk")[:50]:
        assert notification.html_body == text_to_html(notification.body) == html_body(notification.body)
    assert not Notification.objects.filter(kind__startswith="deadline.").exclude(html_body="").exists()


@pytest.mark.django_db
def test_seed_national_pages_render_for_the_public_staff_and_providers(seeded, client):
    locations = list(Location.objects.filter(reports__state="published").distinct().order_by("pk")[:4])
    locations += list(Location.objects.filter(location_type="Primary Dental Care").order_by("pk")[:1])
    locations += list(Location.objects.filter(special_measures__state="in_special_measures").order_by("pk")[:1])
    for location in locations:
        assert client.get(reverse("register:location", args=[location.cqc_id])).status_code == 200
        assert client.get(reverse("public:how-rated", args=[location.cqc_id])).status_code == 200
        assert client.get(reverse("register:provider", args=[location.provider.cqc_id])).status_code == 200
    report = Report.objects.filter(state="published").order_by("pk").first()
    assert client.get(reverse("public:report", args=[report.location.cqc_id, report.pk])).status_code == 200
    client.force_login(User.objects.get(email="bench-inspector@regulator.example"))
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200 and response.context["held_count"] > 20
    assert client.get(reverse("assessments:caseload")).status_code == 200
    assert client.get(reverse("factual_accuracy:list")).status_code == 200
    client.force_login(User.objects.get(email="bench-opsmanager@regulator.example"))
    assert client.get(reverse("deadlines:dashboard")).status_code == 200
    client.force_login(User.objects.get(email="bench-manager@provider.example"))
    assert client.get(reverse("core:dashboard")).status_code == 200


@pytest.mark.django_db
def test_seed_national_has_evidence_uploaded_files_amended_scores_and_granted_extensions(seeded, client):
    # Every score and every regulations judgement has evidence behind it; some evidence has a document.
    assert not StatementScore.objects.exclude(
        Exists(EvidenceItem.objects.filter(assessment=OuterRef("assessment"), statement=OuterRef("statement")))
    ).exists()
    assert EvidenceItem.objects.count() > StatementScore.objects.count()
    with_documents = EvidenceItem.objects.exclude(document="")
    assert 0.05 < with_documents.count() / EvidenceItem.objects.count() < 0.2
    # The uploaded files are real files in the storage, and their recorded size and digest are theirs.
    for item in SupportingFile.objects.order_by("pk")[:20]:
        with item.file.open("rb") as stored:
            content = stored.read()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (item.size, item.sha256)
        assert content.startswith(b"%PDF-" if item.file_type == "pdf" else b"\x89PNG")
    assert RepresentationFile.objects.exists()
    # Each is served by the portal's own download pages.
    item = with_documents.select_related("assessment").order_by("pk").first()
    client.force_login(item.assessment.lead)
    response = client.get(reverse("assessments:evidence-download", args=[item.assessment_id, item.pk]))
    with item.document.open("rb") as stored:
        assert response.status_code == 200 and b"".join(response.streaming_content) == stored.read()
    close_streamed(response)
    supporting = SupportingFile.objects.select_related("comment__report").order_by("pk").first()
    client.force_login(supporting.comment.report.assessment.lead)
    response = client.get(reverse("factual_accuracy:file", args=[supporting.comment.report_id, supporting.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(
        b"%PDF-" if supporting.file_type == "pdf" else b"\x89PNG"
    )
    close_streamed(response)
    # Scores raised after the provider's comments: the score is the last change's, its version counts the
    # changes, and an accepted comment on that statement's section stands behind each.
    changes = list(StatementScoreChange.objects.order_by("changed_at", "pk"))
    assert len(changes) > 3
    for change in changes:
        score = StatementScore.objects.get(assessment=change.assessment_id, statement=change.statement_id)
        mine = [c for c in changes if (c.assessment_id, c.statement_id) == (change.assessment_id, change.statement_id)]
        assert (score.score, score.version, score.scored_at) == (mine[-1].to_score, 1 + len(mine), mine[-1].changed_at)
        assert change.to_score == change.from_score + 1 and change.context == "factual_accuracy"
        assert change.changed_at < NOW
        assert Comment.objects.filter(
            report__assessment=change.assessment_id, section__statement=change.statement_id, outcome="accepted"
        ).exists()
    # Granted requests for more time moved their check's window to the date granted, and said so.
    granted = list(ExtensionRequest.objects.filter(state="granted").select_related("report"))
    assert granted
    for request in granted:
        window = Deadline.objects.get(kind=Kind.FACTUAL_ACCURACY_CHECK, object_id=str(request.report_id))
        assert window.due_date == request.new_due_date and window.original_due_date == request.due_date_when_asked
        assert window.extensions.get().to_due_date == request.new_due_date


def _digest() -> dict[str, str]:
    """A fingerprint of every table the seed fills, row by row in id order (passwords aside: salted per run)."""
    tables = [
        "register_provider",
        "register_location",
        "register_publishedrating",
        "accounts_team",
        "accounts_providermembership",
        "assessments_assessment",
        "assessments_statementscore",
        "assessments_locationrating",
        "factual_accuracy_report",
        "factual_accuracy_reportsection",
        "factual_accuracy_reportversion",
        "enforcement_enforcementaction",
        "deadlines_deadline",
        "deadlines_deadlinestep",
        "deadlines_deadlineextension",
        "assessments_evidenceitem",
        "assessments_statementscorechange",
        "factual_accuracy_supportingfile",
        "enforcement_representationfile",
        "alerts_subscription",
        "audit_auditevent",
        "notifications_notification",
    ]
    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t")  # noqa: S608
            out[table] = cursor.fetchone()[0]
        cursor.execute("SELECT md5(string_agg(email || full_name || kind, '|' ORDER BY id)) FROM accounts_user")
        out["accounts_user"] = cursor.fetchone()[0]
    return out


def _empty_the_register() -> None:
    tables = [m._meta.db_table for m in _loaded_models()]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _loaded_models():
    from cqcportal.core.national import _models_loaded

    return _models_loaded()


@pytest.mark.django_db
def test_seed_national_same_seed_same_data():
    _empty_the_register()  # of the module's run, if it is loaded: rolled back after this test
    national_seed(locations=300, seed=11, today=TODAY)
    first = _digest()
    _empty_the_register()
    national_seed(locations=300, seed=11, today=TODAY)
    assert _digest() == first
    _empty_the_register()
    national_seed(locations=300, seed=12, today=TODAY)
    assert _digest()["register_location"] != first["register_location"]
