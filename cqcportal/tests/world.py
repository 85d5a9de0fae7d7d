"""One world for the permission tests: a provider with people in every role, another provider, staff in every role,
and one record of every kind the portal's URLs name, each in a state where its pages mean something.

Everything is made through the services (and the flow helpers the apps' own tests use), so the records are the ones
real people would meet. ``world_build`` runs once per test module inside a transaction that is rolled back at the
end; ``rolled_back`` lets a single request change the world and puts it back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime

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
