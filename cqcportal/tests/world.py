"""One world for the permission tests: a provider with people in every role, another provider, staff in every role,
and one record of every kind the portal's URLs name, each in a state where its pages mean something.

Everything is made through the services (and the flow helpers the apps' own tests use), so the records are the ones
real people would meet. ``world_build`` runs once per test module inside a transaction that is rolled back at the
end; ``rolled_back`` lets a single request change the world and puts it back. ``world_grow`` adds more of every kind of
record, hung on the same records, for the tests that compare a page at two sizes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import itertools

from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cqcportal.accounts.models import ProviderRole, StaffRole
from cqcportal.tests.factories import LocationFactory, ProviderFactory, ProviderUserFactory, StaffFactory

PDF = b"%PDF-1.4\n%%EOF\n"

STAFF_ROLES = {
    "inspector": StaffRole.INSPECTOR,
    "assessor": StaffRole.ASSESSOR,
    "coordinator": StaffRole.REGULATORY_COORDINATOR,
    "ops_manager": StaffRole.OPERATIONS_MANAGER,
    "deputy": StaffRole.DEPUTY_DIRECTOR,
    "chief": StaffRole.CHIEF_INSPECTOR,
    "admin_staff": StaffRole.ADMIN_STAFF,
}
PROVIDER_ROLES = {
    "registered_manager": ProviderRole.REGISTERED_MANAGER,
    "nominated_individual": ProviderRole.NOMINATED_INDIVIDUAL,
    "chief_executive": ProviderRole.CHIEF_EXECUTIVE,
    "colleague": ProviderRole.COLLEAGUE,
    "delegate": ProviderRole.COLLEAGUE,  # a colleague the registered manager has named as their delegate
}
# Every role the matrices check, in the order failures are listed.
ROLES = ["anonymous", *STAFF_ROLES, *PROVIDER_ROLES, "other_provider"]


@dataclasses.dataclass
class World:
    people: dict
    provider: object
    location: object
    location_2: object
    other_provider: object
    other_location: object
    delegation: object
    assessment_live: object  # in progress, led by the inspector; the assessor is on its team
    assessment_done: object  # completed, no report yet
    evidence: object
    report_published: object  # with a rating review submitted by the registered manager
    report_published_2: object  # at the second location, no review: the request page is open
    report_check: object  # out for the factual accuracy check: a draft comment with a file, a question, more time
    report_responding: object  # comments sent and being answered
    review: object
    information_request: object
    action: object  # a warning notice served, with a draft representation and its file
    action_draft: object  # recorded, not yet served: the provider must not see it
    concern: object  # fit and proper person concern passed to the provider
    special_measures: object
    task: object
    complaint: object
    notification: object
    subscription: object
    digest_token: str

    def user(self, role: str):
        return AnonymousUser() if role == "anonymous" else self.people[role]


@contextlib.contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back, so one request cannot change the world."""

    class _Undo(Exception):
        pass

    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass


@contextlib.contextmanager
def world_for_module(django_db_blocker, tmp_path_factory):
    """The world, built once for a test module and rolled back after it; uploaded files go to a temporary folder.

    A module's ``world`` fixture (scope "module", asking for ``django_db_setup``) yields from this.
    """
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock(), transaction.atomic():
        built = world_build()
        yield built
        transaction.set_rollback(True)


def _upload(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


def _people(provider, other_provider, location) -> dict:
    people = {
        role: StaffFactory(full_name=f"{group.label} Staff", email=f"{role}@regulator.example", roles=[group])
        for role, group in STAFF_ROLES.items()
    }
    for role, provider_role in PROVIDER_ROLES.items():
        people[role] = ProviderUserFactory(
            full_name=f"{role.replace('_', ' ').title()} A",
            email=f"{role}@provider-a.example",
            membership__provider=provider,
            membership__role=provider_role,
            membership__locations=[location] if role == "registered_manager" else [],
        )
    people["other_provider"] = ProviderUserFactory(
        full_name="Other Manager B",
        email="manager@provider-b.example",
        membership__provider=other_provider,
        membership__role=ProviderRole.REGISTERED_MANAGER,
    )
    return people


def _report_sent(assessment, *, by):
    """A completed assessment's report, through quality review and sent to the provider for the check."""
    from factual_accuracy import services

    with transaction.atomic():
        report = services.report_create(by=by, assessment=assessment)
    services.report_submit_for_quality_review(by=by, report=report)
    services.report_quality_review_pass(by=StaffFactory(), report=report)
    return services.report_send_for_factual_accuracy(by=by, report=report, today=timezone.localdate())


def world_build() -> World:
    """Make the world; call inside a transaction that the caller rolls back."""
    from assessments import review_services
    from assessments import services as assessment_services
    from assessments.models import EvidenceCategory, QualityStatement
    from assessments.tests.test_rating_reviews import _assessed
    from cqcportal.accounts.services import delegation_create
    from cqcportal.alerts.models import Subscription
    from cqcportal.alerts.services import DIGEST_UNSUBSCRIBE_SALT
    from cqcportal.complaints.services import complaint_record
    from cqcportal.notifications.services import notification_queue
    from cqcportal.register.models import PublishedRating, RegulatedActivity
    from cqcportal.tests.flows import report_published
    from enforcement import fit_and_proper
    from enforcement import services as enforcement_services
    from enforcement.models import EscalationTask, EscalationTaskKind, SpecialMeasures
    from factual_accuracy import services as report_services
    from factual_accuracy.models import ReportSection

    today = timezone.localdate()
    provider = ProviderFactory(name="Provider A Care Ltd")
    location = LocationFactory(provider=provider, name="A House")
    location_2 = LocationFactory(provider=provider, name="A Lodge")
    other_provider = ProviderFactory(name="Provider B Care Ltd")
    other_location = LocationFactory(provider=other_provider, name="B House")
    activity = RegulatedActivity.objects.get_or_create(
        code="RA1", defaults={"name": "Accommodation for persons who require nursing or personal care"}
    )[0]
    location.regulated_activities.add(activity)
    people = _people(provider, other_provider, location)
    inspector, manager, colleague = people["inspector"], people["registered_manager"], people["colleague"]
    delegation = delegation_create(
        by=manager,
        delegator=manager,
        delegate=people["delegate"],
        start_date=today,
        end_date=today + datetime.timedelta(days=30),
        reason="Annual leave",
        today=today,
    )

    # Published reports: one with a rating review sent, one with its review window open.
    published = report_published(_assessed(inspector, location), by=inspector)
    published_2 = report_published(_assessed(inspector, location_2), by=inspector)
    review = review_services.rating_review_draft_save(
        by=colleague, report=published, challenges={"safe": "You did not speak to any night staff."}
    )
    review = review_services.rating_review_submit(by=manager, review=review, today=today)

    # A report out for its factual accuracy check, with a draft comment and file, a request for time and a question.
    check = _report_sent(_assessed(inspector, location), by=inspector)
    section = check.sections.filter(kind=ReportSection.Kind.OVERALL).get()
    draft = report_services.comment_save(
        by=colleague, report=check, section=section, kind="inaccurate", text="We have 40 beds, not 30."
    )
    report_services.supporting_file_add(by=colleague, comment=draft, upload=_upload("beds.pdf"))
    report_services.extension_request(by=manager, report=check, reason="Our manager is on leave.", today=today)
    report_services.query_ask(by=colleague, report=check, question="Which visit is this from?", section=section)

    # A report whose comments were sent and are being answered.
    responding = _report_sent(_assessed(inspector, location), by=inspector)
    sent = report_services.comment_save(
        by=manager,
        report=responding,
        section=responding.sections.filter(kind=ReportSection.Kind.OVERALL).get(),
        kind="typographical",
        text="The manager's name is misspelt.",
    )
    report_services.supporting_file_add(by=manager, comment=sent, upload=_upload("name.pdf"))
    report_services.factual_accuracy_submit(by=manager, report=responding, today=today)
    responding = report_services.report_start_responding(by=inspector, report=responding)

    done = _assessed(inspector, location)
    statements = list(QualityStatement.objects.filter(retired_at__isnull=True).order_by("order")[:3])
    with transaction.atomic():
        live = assessment_services.assessment_create(
            by=inspector, location=location, kind="planned", announced=True, statements=statements
        )
        assessment_services.assessment_team_add(
            by=inspector, assessment=live, name=people["assessor"].full_name, role="assessor", user=people["assessor"]
        )
    live = assessment_services.assessment_start(by=inspector, assessment=live)
    evidence = assessment_services.evidence_add(
        by=inspector,
        assessment=live,
        statement=statements[0],
        category=EvidenceCategory.objects.first(),
        note="Staff rota",
        document=_upload("rota.pdf"),
    )

    information_request = assessment_services.information_request_send(
        by=inspector, location=location, questions="Tell us about your staffing.", today=today
    )

    def _warning(*, serve: bool):
        action = enforcement_services.action_record(
            by=inspector,
            kind="warning_notice",
            provider=provider,
            location=location,
            summary="Medicines are not managed safely.",
            reason="Repeated medicines errors.",
            breaches=[("12", "safe")],
        )
        return enforcement_services.action_serve(by=inspector, action=action, today=today) if serve else action

    action = _warning(serve=True)
    representation = enforcement_services.representation_save(
        by=colleague, action=action, regulated_activity=activity, text="Our audit shows no errors since October."
    )
    enforcement_services.representation_file_add(by=colleague, representation=representation, upload=_upload())
    action_draft = _warning(serve=False)

    concern = fit_and_proper.concern_record(
        by=inspector,
        provider=provider,
        director_name="Dan Director",
        concern="A past conviction was not declared.",
        received_on=today,
        referrer_name="Rita Referrer",
    )
    concern = fit_and_proper.concern_pass_to_provider(by=inspector, concern=concern, today=today)

    # Special measures and an escalation task need an inadequate or repeated rating; made directly, in their
    # opening state, from ratings kept out of the current ones.
    def _old_rating(value: str) -> PublishedRating:
        return PublishedRating.objects.create(
            location=location,
            key_question="overall",
            rating=value,
            report_date=today,
            source=PublishedRating.Source.ASSESSMENT,
            is_current=False,
        )

    special_measures = SpecialMeasures.objects.create(
        location=location,
        provider=provider,
        published_rating=_old_rating("inadequate"),
        reason="Rated inadequate overall.",
        entered_date=today,
        review_by_date=today + datetime.timedelta(days=182),
    )
    task = EscalationTask.objects.create(
        location=location,
        provider=provider,
        kind=EscalationTaskKind.MANAGEMENT_REVIEW_MEETING,
        published_rating=_old_rating("requires_improvement"),
        reason="Requires improvement three times running.",
    )

    complaint = complaint_record(
        by=inspector,
        location=location,
        complainant="Mr Smith",
        about="The inspector was late.",
        received_date=today,
        today=today,
    )
    notification = notification_queue(
        recipient=manager,
        subject="Draft report ready",
        body="Please check it.",
        dedupe_key="world:notification",
        link_url=f"/reports/{check.pk}/",
    )
    subscription = Subscription.objects.create(email="follower@example.org", location=location)
    digest_token = signing.dumps([subscription.pk], salt=DIGEST_UNSUBSCRIBE_SALT)

    return World(
        people=people,
        provider=provider,
        location=location,
        location_2=location_2,
        other_provider=other_provider,
        other_location=other_location,
        delegation=delegation,
        assessment_live=live,
        assessment_done=done,
        evidence=evidence,
        report_published=published,
        report_published_2=published_2,
        report_check=check,
        report_responding=responding,
        review=review,
        information_request=information_request,
        action=action,
        action_draft=action_draft,
        concern=concern,
        special_measures=special_measures,
        task=task,
        complaint=complaint,
        notification=notification,
        subscription=subscription,
        digest_token=digest_token,
    )


def world_grow(world: World, *, times: int) -> None:
    """Add ``times`` more of every kind of record the portal's pages and the back office's lists show, hung on the
    world's own records: locations, people and delegations of provider A; assessments in the inspector's caseload, and
    statements, scores, evidence and team on the live one; reports on their way and published, comments, files,
    questions and versions on the reports in the check; rating reviews, challenges and clock pauses; information
    requests; enforcement actions, breaches and representations; concerns, special measures, tasks and complaints;
    notifications, subscriptions and audit events; and rows of every table the back office lists.

    Call it inside the world's transaction, as often as wanted: each call adds as much again. Flows go through their
    services, as in ``world_build``; rows no service writes yet (versions, challenges, sent comments, breaches, the
    sign-in logs, the periodic schedules) are made directly.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.core.files.base import ContentFile
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from assessments import review_services
    from assessments import services as assessment_services
    from assessments.models import (
        Assessment,
        EnforcementLimit,
        EvidenceCategory,
        QualityStatement,
        RatingChallenge,
        RatingDeparture,
    )
    from assessments.tests.test_rating_reviews import _assessed
    from cqcportal.accounts.models import Team
    from cqcportal.accounts.services import delegation_create
    from cqcportal.alerts.models import Subscription
    from cqcportal.alerts.services import DIGEST_UNSUBSCRIBE_SALT
    from cqcportal.audit.services import audit_event_record
    from cqcportal.complaints.services import complaint_close, complaint_escalate, complaint_record
    from cqcportal.deadlines import selectors as deadline_selectors
    from cqcportal.deadlines.services import deadline_extend, extra_holiday_add
    from cqcportal.notifications.services import notification_queue
    from cqcportal.register.models import PublishedRating, RegulatedActivity, ServiceType
    from cqcportal.tests.flows import report_published
    from enforcement import fit_and_proper
    from enforcement import services as enforcement_services
    from enforcement.models import (
        Appeal,
        Breach,
        EscalationTask,
        EscalationTaskKind,
        Regulation,
        Representation,
        RepresentationFile,
        SpecialMeasures,
    )
    from factual_accuracy import services as report_services
    from factual_accuracy.models import Comment, ReportVersion

    today = timezone.localdate()
    now = timezone.now()
    people = world.people
    inspector, manager, colleague = people["inspector"], people["registered_manager"], people["colleague"]
    nominated = people["nominated_individual"]
    provider, location = world.provider, world.location
    serial = next(_growths)  # each call's rows get their own names

    def name(thing: str, n: int) -> str:
        return f"{thing} {serial}.{n}"

    # The register: provider A's locations (each with a current rating) and other providers; the catalogues.
    activities = [  # half for representations still being drafted, half for ones sent
        RegulatedActivity.objects.create(code=f"G{serial}.{n}", name=name("Regulated activity", n))
        for n in range(2 * times)
    ]
    ServiceType.objects.bulk_create(ServiceType(name=name("Service type", n)) for n in range(times))
    locations = []
    for n in range(times):
        grown = LocationFactory(provider=provider, name=name("A Grange", n), relationship_holder=inspector)
        grown.regulated_activities.add(*activities)
        PublishedRating.objects.create(
            location=grown,
            key_question="overall",
            rating="good",
            report_date=today,
            source=PublishedRating.Source.ASSESSMENT,
            is_current=True,
        )
        locations.append(grown)
    for n in range(times):
        ProviderFactory(name=name("Provider C Care Ltd", n))
    manager.membership.locations.add(*locations)

    # People: colleagues at provider A (each at several locations), each named a delegate by the registered manager;
    # staff in teams, with an authenticator app.
    colleagues = [
        ProviderUserFactory(
            full_name=name("Colleague", n),
            email=f"colleague{serial}.{n}@provider-a.example",
            membership__provider=provider,
            membership__role=ProviderRole.COLLEAGUE,
            membership__locations=[location, *locations],
        )
        for n in range(times)
    ]
    people["colleague"].membership.locations.add(location, *locations)
    for grown in colleagues:
        delegation_create(
            by=manager,
            delegator=manager,
            delegate=grown,
            start_date=today,
            end_date=today + datetime.timedelta(days=30),
            reason="Cover",
            today=today,
        )
    for n in range(times):
        team = Team.objects.create(name=name("Team", n), region="North West", operations_manager=people["ops_manager"])
        staff = StaffFactory(full_name=name("Staff", n), email=f"staff{serial}.{n}@regulator.example")
        staff.team = team
        staff.save(update_fields=["team"])
        TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    Group.objects.bulk_create(Group(name=name("Group", n)) for n in range(times))

    # The framework: retired statements (the live framework stays as it is) and evidence categories.
    QualityStatement.objects.bulk_create(
        QualityStatement(
            key_question="safe",
            name=name("Retired statement", n),
            slug=f"retired-{serial}-{n}",
            order=1000 + serial * 100 + n,
            retired_at=now,
        )
        for n in range(times)
    )
    EvidenceCategory.objects.bulk_create(
        EvidenceCategory(name=name("Evidence category", n), slug=f"category-{serial}-{n}", order=100 + serial * 10 + n)
        for n in range(times)
    )

    # The inspector's caseload: an assessment at each new location, planned, with the assessor on its team.
    for grown in locations:
        with transaction.atomic():
            planned = assessment_services.assessment_create(
                by=inspector, location=grown, kind="planned", announced=True
            )
            assessment_services.assessment_team_add(
                by=inspector,
                assessment=planned,
                name=people["assessor"].full_name,
                role="assessor",
                user=people["assessor"],
            )

    # The live assessment: more statements in scope, each scored, more evidence and team.
    live = world.assessment_live
    in_scope = set(live.statements.values_list("pk", flat=True))
    more = list(QualityStatement.objects.filter(retired_at__isnull=True).exclude(pk__in=in_scope).order_by("order"))
    more = more[:times]
    assessment_services.assessment_scope_set(by=inspector, assessment=live, statements=[*live.statements.all(), *more])
    for statement in more:
        assessment_services.statement_score_set(
            by=inspector, assessment=live, statement=statement, score=3, summary="", judgement="", expected_version=0
        )
    first = live.statements.order_by("order").first()
    for n, category in zip(range(times), itertools.cycle(EvidenceCategory.objects.order_by("pk")), strict=False):
        assessment_services.evidence_add(
            by=inspector,
            assessment=live,
            statement=first,
            category=category,
            note=name("Evidence", n),
            document=_upload(f"evidence-{serial}-{n}.pdf"),
        )
        assessment_services.assessment_team_add(by=inspector, assessment=live, name=name("Adviser", n), role="assessor")
    RatingDeparture.objects.bulk_create(
        RatingDeparture(
            assessment=planned,
            key_question="overall",
            calculated_rating="good",
            rating="outstanding",
            rationale="The people we spoke to described care well beyond what the scores show.",
            by=inspector,
            at=now,
        )
        for planned in Assessment.objects.filter(location__in=locations)
    )

    # Reports: published at the world's location (its profile lists them), out for the check at the new locations (the
    # staff list), and a rating review under way at each of those once published.
    for _ in range(times):
        report_published(_assessed(inspector, location), by=inspector)
    for grown in locations:
        _report_sent(_assessed(inspector, grown), by=inspector)
    for grown in locations:
        published = report_published(_assessed(inspector, grown), by=inspector)
        review = review_services.rating_review_draft_save(
            by=colleague, report=published, challenges={"safe": "You did not read our rota."}
        )
        review_services.rating_review_submit(by=nominated, review=review, today=today)

    # The report in the check: more draft comments, each with a file, more questions and more versions.
    check = world.report_check
    sections = list(check.sections.order_by("order"))
    for n, section in zip(range(times), itertools.cycle(sections), strict=False):
        draft = report_services.comment_save(
            by=colleague, report=check, section=section, kind="inaccurate", text=name("We have more beds", n)
        )
        report_services.supporting_file_add(by=colleague, comment=draft, upload=_upload(f"beds-{serial}-{n}.pdf"))
        report_services.query_ask(by=colleague, report=check, question=name("Which visit", n), section=section)
    for n in range(times):
        pending = check.extension_requests.get(state="pending")
        report_services.extension_decide(
            by=inspector, request=pending, grant=False, reason="Not this time.", today=today
        )
        report_services.extension_request(by=manager, report=check, reason=name("Our manager is away", n), today=today)
    for report in (check, world.report_responding):
        latest = report.versions.order_by("-number").first()
        ReportVersion.objects.bulk_create(
            ReportVersion(
                report=report,
                number=latest.number + 1 + n,
                reason=name("Amended", n),
                sections=latest.sections,
                created_by=inspector,
                created_at=now,
            )
            for n in range(times)
        )

    # The report being answered: more comments sent with its submission, each with a file, some answered.
    responding = world.report_responding
    submission = responding.comments.first().submission
    responding_sections = list(responding.sections.order_by("order"))
    first_sent = responding.comments.order_by("pk").first()
    for n, section in zip(range(times), itertools.cycle(responding_sections), strict=False):
        _sent_file(first_sent, f"more-{serial}-{n}.pdf", by=manager, now=now)
        comment = Comment.objects.create(
            report=responding,
            section=section,
            kind="typographical",
            text=name("A spelling", n),
            created_by=manager,
            created_at=now,
            updated_by=manager,
            updated_at=now,
            submission=submission,
        )
        _sent_file(comment, f"spelling-{serial}-{n}.pdf", by=manager, now=now)
        if n % 2:
            report_services.comment_respond(by=inspector, comment=comment, outcome="accepted", response="Corrected.")

    # The rating review: more of its ratings challenged. Complaints about the regulator at the location, some moved to a
    # formal investigation, all but the last closed.
    taken = set(world.review.challenges.values_list("key_question", flat=True))
    RatingChallenge.objects.bulk_create(
        RatingChallenge(review=world.review, key_question=kq, grounds="You did not follow your process.")
        for kq in [kq for kq in ["effective", "caring", "responsive", "well_led", "overall"] if kq not in taken][:times]
    )
    for n in range(times):
        complaint = complaint_record(
            by=inspector,
            location=location,
            complainant=name("Complainant", n),
            about="The inspector was rude.",
            received_date=today,
            today=today,
        )
        if n % 2:
            complaint = complaint_escalate(by=inspector, complaint=complaint, today=today)
        if n < times - 1:  # the last stays open
            complaint_close(by=inspector, complaint=complaint, outcome="Apologised.", today=today)

    # Information requests at the location, and the world's one extended again and again.
    for n in range(times):
        assessment_services.information_request_send(
            by=inspector, location=location, questions=name("Tell us about", n), today=today
        )
    window = (
        deadline_selectors.deadlines_for_case(world.information_request)
        .filter(kind=world.information_request.window_kind)
        .last()
    )
    for n in range(times):
        window = deadline_extend(
            deadline=window,
            by=inspector,
            new_due_date=window.due_date + datetime.timedelta(days=7),
            reason=name("Asked for time", n),
            today=today,
        )

    # Enforcement: urgent actions at the location (public at once); more breaches on the world's warning notice, more
    # files on its draft representation, and a representation for each new regulated activity, drafted or sent.
    for n in range(times):
        urgent = enforcement_services.action_record(
            by=inspector,
            kind="urgent",
            proposal="impose_conditions",
            provider=provider,
            location=location,
            summary=name("No admissions", n),
            reason="People are at risk.",
            breaches=[("12", "safe")],
        )
        enforcement_services.action_serve(by=inspector, action=urgent, today=today)
    taken = set(world.action.breaches.values_list("regulation", flat=True))
    Breach.objects.bulk_create(
        Breach(action=world.action, regulation=regulation, key_question="well_led")
        for regulation in [r for r in Regulation.values if r not in taken][:times]
    )
    location.regulated_activities.add(*activities)
    first_representation = world.action.representations.order_by("pk").first()
    for n in range(times):
        enforcement_services.representation_file_add(
            by=colleague, representation=first_representation, upload=_upload(f"rota-{serial}-{n}.pdf")
        )
    for n, activity in enumerate(activities[:times]):
        representation = enforcement_services.representation_save(
            by=colleague, action=world.action, regulated_activity=activity, text=name("We disagree", n)
        )
        enforcement_services.representation_file_add(
            by=colleague, representation=representation, upload=_upload(f"audit-{serial}-{n}.pdf")
        )
    # Sent ones (what staff see), made directly: the service sends every draft at once and closes the window.
    for n, activity in enumerate(activities[times:]):
        sent = Representation.objects.create(
            action=world.action,
            regulated_activity=activity,
            text=name("Our audit", n),
            created_by=colleague,
            updated_at=now,
            submitted_by=nominated,
            submitted_at=now,
            response="Noted." if n % 2 else "",
            responded_by=inspector if n % 2 else None,
            responded_at=now if n % 2 else None,
        )
        RepresentationFile(
            representation=sent,
            name=f"sent-{serial}-{n}.pdf",
            file_type="pdf",
            size=len(PDF),
            uploaded_by=colleague,
            uploaded_at=now,
        ).file.save(f"sent-{serial}-{n}.pdf", ContentFile(PDF))
    # Notices of proposal at the new locations, each with an appeal and a rating limit (back office lists only).
    for n in range(times):
        decided = enforcement_services.action_record(
            by=inspector,
            kind="notice_of_proposal",
            proposal="cancel",
            provider=provider,
            location=locations[n],
            summary=name("Cancel", n),
            reason="Repeated breaches.",
            breaches=[("17", "well_led")],
        )
        Appeal.objects.create(action=decided, lodged_on=today, recorded_by=inspector)
        EnforcementLimit.objects.create(
            location=locations[n],
            key_question="safe",
            action=EnforcementLimit.Action.WARNING_NOTICE,
            source_action=decided,
            in_force_from=today,
            reason="Breach.",
        )

    # Fit and proper person concerns, special measures and escalation tasks.
    for n in range(times):
        fit_and_proper.concern_record(
            by=inspector,
            provider=provider,
            director_name=name("Director", n),
            concern="Not declared.",
            received_on=today,
            referrer_name="Rita Referrer",
        )

    def old_rating(where, value: str) -> PublishedRating:
        return PublishedRating.objects.create(
            location=where,
            key_question="overall",
            rating=value,
            report_date=today,
            source=PublishedRating.Source.ASSESSMENT,
            is_current=False,
        )

    for grown in locations:
        SpecialMeasures.objects.create(
            location=grown,
            provider=provider,
            published_rating=old_rating(grown, "inadequate"),
            reason="Rated inadequate overall.",
            entered_date=today,
            review_by_date=today + datetime.timedelta(days=182),
        )
        EscalationTask.objects.create(
            location=grown,
            provider=provider,
            kind=EscalationTaskKind.CONSIDER_REGULATION_17,
            published_rating=old_rating(grown, "requires_improvement"),
            reason="Requires improvement twice running.",
        )

    # The inbox, the followers and the digest's unsubscribe link.
    for n in range(times):
        notification_queue(
            recipient=manager,
            subject=name("Draft report ready", n),
            body="Please check it.",
            dedupe_key=f"world:grow:{serial}:{n}",
            link_url=f"/reports/{check.pk}/",
        )
    Subscription.objects.bulk_create(Subscription(email="follower@example.org", location=where) for where in locations)
    world.digest_token = signing.dumps(
        list(Subscription.objects.filter(email="follower@example.org").values_list("pk", flat=True)),
        salt=DIGEST_UNSUBSCRIBE_SALT,
    )

    # Every record's audit trail (shown on its pages and at the foot of its back office page).
    for subject in (
        provider,
        location,
        world.delegation,
        world.assessment_live,
        world.information_request,
        world.report_check,
        world.review,
        world.action,
        world.concern,
        world.special_measures,
        world.task,
        world.complaint,
        world.notification,
        manager,
    ):
        with transaction.atomic():
            for n in range(times):
                audit_event_record(
                    by=people["admin_staff"], subject=subject, action="world.note", reason=name("Note", n)
                )

    # Tables only the back office shows: bank holidays, the sign-in logs and the periodic schedules.
    monday = datetime.date(today.year + 3, 1, 7)
    monday += datetime.timedelta(days=-monday.weekday() % 7)  # a working day, in a year no deadline reaches yet
    for n in range(times):
        day = monday + datetime.timedelta(days=7 * (serial * times + n))
        extra_holiday_add(by=people["admin_staff"], date=day, name=name("Holiday", n), today=today)
    AccessAttempt.objects.bulk_create(
        AccessAttempt(username=f"guess{serial}.{n}@example.org", ip_address="192.0.2.1", failures_since_start=1)
        for n in range(times)
    )
    AccessLog.objects.bulk_create(
        AccessLog(username=f"guess{serial}.{n}@example.org", ip_address="192.0.2.1") for n in range(times)
    )
    AccessFailureLog.objects.bulk_create(
        AccessFailureLog(username=f"guess{serial}.{n}@example.org", ip_address="192.0.2.1") for n in range(times)
    )
    for n in range(times):
        IntervalSchedule.objects.create(every=serial * 100 + n + 1, period=IntervalSchedule.MINUTES)
        CrontabSchedule.objects.create(minute=str(n), hour=str(serial % 24))
        SolarSchedule.objects.create(event="sunrise", latitude=53.5 + n / 100, longitude=-2.1 - serial / 100)
        ClockedSchedule.objects.create(clocked_time=now + datetime.timedelta(days=serial * 100 + n))
    # Tasks on the first schedule of each kind (its page lists the tasks that use it).
    for kind, model in (
        ("interval", IntervalSchedule),
        ("crontab", CrontabSchedule),
        ("solar", SolarSchedule),
        ("clocked", ClockedSchedule),
    ):
        first = model.objects.order_by("pk").first()
        for n in range(times):
            PeriodicTask.objects.create(
                name=name(f"Periodic task ({kind})", n),
                task="cqcportal.noop",
                one_off=kind == "clocked",
                **{kind: first},
            )


_growths = itertools.count(1)


def _sent_file(comment, name: str, *, by, now) -> None:
    """A file sent with a comment (the service takes files only on drafts)."""
    from django.core.files.base import ContentFile

    from factual_accuracy.models import SupportingFile

    SupportingFile(
        comment=comment, name=name, file_type="pdf", size=len(PDF), sha256="0" * 64, uploaded_by=by, uploaded_at=now
    ).file.save(name, ContentFile(PDF))
