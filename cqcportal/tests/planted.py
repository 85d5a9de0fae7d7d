"""A world with confidential material of every kind beside published material, built through the services.

Shared by the leak test (``test_unpublished_material``: every typed text is a marker that must stay out of public
pages and other people's e-mail) and the script-planting test (``test_xss``: every typed text is a script payload).
The caller chooses what people type with ``say(label)``; the world is the same.

Time is frozen by the caller (``SENT``, a Friday), so every window is open while the world is built.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from cqcportal.accounts.models import StaffRole

LONDON = ZoneInfo("Europe/London")
SENT = datetime.date(2026, 12, 18)  # a Friday: every window (10 and 15 working days) runs past New Year
KEY_QUESTIONS = ["safe", "effective", "caring", "responsive", "well_led"]


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def pdf_with(text: str) -> bytes:
    """A file that passes the content check (a PDF header) and carries ``text`` inside."""
    return b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"


class Say(Protocol):
    def __call__(self, label: str, *, public: bool = False) -> str: ...


@dataclass
class World:
    say: Say
    provider: object
    other_provider: object
    rated: object  # location with a published report, a rating review asked for and a warning notice served
    checking: object  # location whose draft report is out for its factual accuracy check
    drafting: object  # location whose report is still being drafted
    other_location: object
    boss: object  # staff in every role, Django superuser, lead of every assessment
    checker: object  # staff outside every assessment team: independent checks and reviews
    deputy: object
    manager: object  # the provider's registered manager of all three locations
    nominated: object
    colleague: object  # anyone at the provider: drafts comments and representations
    outsider: object  # registered manager at another provider
    published_report: object = None
    out_report: object = None
    draft_report: object = None
    comment: object = None
    supporting_file: object = None
    extension: object = None
    query: object = None
    review: object = None
    action: object = None
    representation: object = None
    representation_file: object = None
    evidence: object = None
    concern: object = None
    complaint: object = None
    subscriber_emails: list[str] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)  # stored file name -> content


def scored(*, by, location, say, public: bool, score: int = 3, team_name: str = ""):
    """A completed assessment of one statement per key question, each with typed findings."""
    from assessments.models import QualityStatement
    from assessments.services import (
        assessment_create,
        assessment_start,
        assessment_team_add,
        statement_score_set,
    )

    statements = [QualityStatement.objects.filter(key_question=kq).order_by("order").first() for kq in KEY_QUESTIONS]
    with transaction.atomic():
        assessment = assessment_create(by=by, location=location, kind="planned", announced=True, statements=statements)
    if team_name:
        assessment_team_add(by=by, assessment=assessment, name=team_name, role="expert_by_experience")
    assessment_start(by=by, assessment=assessment)
    for statement in statements:
        statement_score_set(
            by=by,
            assessment=assessment,
            statement=statement,
            score=score,
            summary=say(f"findings summary {location.pk}", public=public),
            judgement=say(f"judgement {location.pk}", public=public),
            expected_version=0,
        )
    return assessment, statements


def _complete(assessment, *, by):
    from assessments.models import Assessment
    from assessments.services import assessment_complete

    return assessment_complete(by=by, assessment=Assessment.objects.get(pk=assessment.pk))


def build(say: Say, *, names: dict[str, str] | None = None) -> World:
    """Build the world with everything unpublished still unpublished. ``names`` overrides the names of people,
    providers and locations (label -> name), so they can carry a payload into every e-mail."""
    from django.contrib.auth.models import Group

    from assessments import review_services
    from assessments.models import EvidenceCategory
    from assessments.services import evidence_add, information_request_send, information_request_submit
    from cqcportal.accounts.services import delegation_create
    from cqcportal.alerts.services import subscription_confirm, subscription_request
    from cqcportal.complaints.services import complaint_record
    from cqcportal.register.models import RegulatedActivity
    from cqcportal.tests.factories import LocationFactory, ProviderFactory, ProviderUserFactory, StaffFactory
    from cqcportal.tests.flows import report_published
    from enforcement import fit_and_proper
    from enforcement import services as enforcement
    from factual_accuracy import services as fa
    from factual_accuracy.models import CorrectionKind, ReportSection

    names = names or {}
    provider = ProviderFactory(name=names.get("provider", "Planted Care Ltd"))
    other_provider = ProviderFactory(name=names.get("other provider", "Elsewhere Homes Ltd"))
    rated, checking, drafting = (
        LocationFactory(provider=provider, name=names.get(label, default), local_authority="Oldham")
        for label, default in [
            ("rated location", "Rated House"),
            ("checking location", "Checking House"),
            ("drafting location", "Drafting House"),
        ]
    )
    other_location = LocationFactory(provider=other_provider, name="Elsewhere House", local_authority="Oldham")
    activity = RegulatedActivity.objects.get_or_create(
        code="RA1", defaults={"name": "Accommodation for persons who require nursing or personal care"}
    )[0]
    rated.regulated_activities.add(activity)

    boss = StaffFactory(full_name=names.get("staff", "Bea Boss"), roles=list(StaffRole))
    type(boss).objects.filter(pk=boss.pk).update(is_staff=True, is_superuser=True)
    boss.refresh_from_db()
    checker = StaffFactory(full_name="Cal Checker", roles=[StaffRole.OPERATIONS_MANAGER])
    deputy = StaffFactory(full_name="Dee Deputy", roles=[StaffRole.DEPUTY_DIRECTOR])
    assert Group.objects.filter(name=str(StaffRole.DEPUTY_DIRECTOR)).exists()
    locations = [rated, checking, drafting]
    manager = ProviderUserFactory(
        full_name=names.get("manager", "Mo Manager"),
        membership__provider=provider,
        membership__role="registered_manager",
        membership__locations=locations,
    )
    nominated = ProviderUserFactory(
        full_name="Nia Nominated", membership__provider=provider, membership__role="nominated_individual"
    )
    colleague = ProviderUserFactory(
        full_name=names.get("colleague", "Col Colleague"),
        membership__provider=provider,
        membership__role="colleague",
        membership__locations=locations,
    )
    outsider = ProviderUserFactory(
        full_name="Otto Outsider",
        membership__provider=other_provider,
        membership__role="registered_manager",
        membership__locations=[other_location],
    )
    world = World(
        say=say,
        provider=provider,
        other_provider=other_provider,
        rated=rated,
        checking=checking,
        drafting=drafting,
        other_location=other_location,
        boss=boss,
        checker=checker,
        deputy=deputy,
        manager=manager,
        nominated=nominated,
        colleague=colleague,
        outsider=outsider,
    )

    # Members of the public follow every location, the provider and the area: their weekly digests must list only
    # what is published.
    for n, target in enumerate(
        [{"location": loc} for loc in locations] + [{"provider": provider}, {"local_authority": "Oldham"}]
    ):
        subscription = subscription_request(email=f"follower{n}@public.example", **target)
        subscription_confirm(token=subscription.confirm_token)
        world.subscriber_emails.append(subscription.email)

    delegation_create(
        by=manager,
        delegator=manager,
        delegate=colleague,
        start_date=SENT,
        end_date=SENT + datetime.timedelta(days=60),
        reason=say("delegation reason"),
        today=SENT,
    )

    # The rated location: a report published earlier, a rating review asked for, a warning notice with
    # representations sent and waiting for a decision, an information request answered, and a complaint.
    assessment, _ = scored(by=boss, location=rated, say=say, public=True)
    world.published_report = report_published(_complete(assessment, by=boss), by=boss)
    review = review_services.rating_review_draft_save(
        by=colleague, report=world.published_report, challenges={"safe": say("rating review grounds")}
    )
    world.review = review_services.rating_review_submit(by=manager, review=review, today=SENT)
    request = information_request_send(
        by=boss, location=rated, questions=say("information request questions"), today=SENT
    )
    information_request_submit(by=manager, request=request, response=say("information request response"), today=SENT)
    world.complaint = complaint_record(
        by=boss,
        location=rated,
        complainant=say("complainant"),
        about=say("complaint about"),
        received_date=SENT,
        today=SENT,
    )
    action = enforcement.action_record(
        by=boss,
        kind="warning_notice",
        provider=provider,
        location=rated,
        summary=say("enforcement summary"),
        reason=say("enforcement reason"),
        breaches=[("12", "safe")],
    )
    world.action = enforcement.action_serve(by=boss, action=action, today=SENT)
    world.representation = enforcement.representation_save(
        by=colleague, action=world.action, regulated_activity=activity, text=say("representation")
    )
    name = say("representation file", public=False)
    content = pdf_with(say("representation file content"))
    world.representation_file = enforcement.representation_file_add(
        by=colleague,
        representation=world.representation,
        upload=SimpleUploadedFile(f"{_file_stem(name)}.pdf", content, "application/pdf"),
    )
    world.uploads[world.representation_file.file.name] = content
    enforcement.representations_submit(by=manager, action=world.action, today=SENT)

    concern = fit_and_proper.concern_record(
        by=boss,
        provider=provider,
        director_name=say("director name"),
        concern=say("fit and proper concern"),
        received_on=SENT,
        referrer_name=say("referrer name"),
        referrer_contact=say("referrer contact"),
    )
    concern = fit_and_proper.concern_pass_to_provider(by=boss, concern=concern, today=SENT)
    world.concern = fit_and_proper.concern_respond(
        by=manager, concern=concern, text=say("concern response"), today=SENT
    )

    # The checking location: a draft report out for its factual accuracy check, with a draft comment and its file,
    # an extension granted, and a question answered; staff evidence on the assessment.
    assessment, statements = scored(
        by=boss, location=checking, say=say, public=False, team_name=say("team member name")
    )
    content = pdf_with(say("evidence file content"))
    world.evidence = evidence_add(
        by=boss,
        assessment=assessment,
        statement=statements[0],
        category=EvidenceCategory.objects.order_by("pk").first(),
        note=say("evidence note"),
        source=say("evidence source"),
        document=SimpleUploadedFile("evidence.pdf", content, "application/pdf"),
    )
    world.uploads[world.evidence.document.name] = content
    assessment = _complete(assessment, by=boss)
    with transaction.atomic():
        report = fa.report_create(by=boss, assessment=assessment)
    fa.report_submit_for_quality_review(by=boss, report=report)
    fa.report_quality_review_return(by=checker, report=report, comments=say("quality review comments"))
    fa.report_submit_for_quality_review(by=boss, report=report)
    fa.report_quality_review_pass(by=checker, report=report)
    world.out_report = fa.report_send_for_factual_accuracy(by=boss, report=report, today=SENT)
    section = world.out_report.sections.filter(kind=ReportSection.Kind.STATEMENT).order_by("order").first()
    world.comment = fa.comment_save(
        by=colleague, report=world.out_report, section=section, kind=CorrectionKind.INACCURATE, text=say("fa comment")
    )
    content = pdf_with(say("fa file content"))
    world.supporting_file = fa.supporting_file_add(
        by=colleague,
        comment=world.comment,
        upload=SimpleUploadedFile(f"{_file_stem(say('fa file'))}.pdf", content, "application/pdf"),
    )
    world.uploads[world.supporting_file.file.name] = content
    extension = fa.extension_request(by=manager, report=world.out_report, reason=say("extension reason"), today=SENT)
    world.extension = fa.extension_decide(
        by=boss,
        request=extension,
        grant=True,
        reason=say("extension decision"),
        today=SENT,
        new_due_date=datetime.date(2027, 1, 13),
    )
    query = fa.query_ask(by=colleague, report=world.out_report, question=say("fa question"), section=section)
    world.query = fa.query_answer(by=boss, query=query, answer=say("fa answer"))

    # The drafting location: a report the team is still writing.
    assessment, _ = scored(by=boss, location=drafting, say=say, public=False)
    assessment = _complete(assessment, by=boss)
    with transaction.atomic():
        world.draft_report = fa.report_create(by=boss, assessment=assessment)
    overall = world.draft_report.sections.get(kind=ReportSection.Kind.OVERALL)
    fa.section_edit(by=boss, section=overall, body=say("draft report summary"))
    return world


def publish(world: World) -> None:
    """Everything that can be published, published: the checked report (with responses to its comments), the
    warning notice after the response to its representations, and the rating review's outcome."""
    from assessments import review_services
    from enforcement import services as enforcement
    from enforcement.models import EnforcementAction, Representation
    from factual_accuracy import services as fa
    from factual_accuracy.models import Comment, Report

    say = world.say
    fa.factual_accuracy_submit(by=world.manager, report=world.out_report, today=SENT)
    fa.report_start_responding(by=world.boss, report=world.out_report)
    fa.comment_respond(
        by=world.boss,
        comment=Comment.objects.get(pk=world.comment.pk),
        outcome="accepted",
        response=say("fa response", public=True),
    )
    fa.report_send_for_independent_check(by=world.boss, report=world.out_report)
    fa.report_independent_check_pass(by=world.checker, report=world.out_report)
    fa.report_publish(by=world.boss, report=Report.objects.get(pk=world.out_report.pk))

    enforcement.representation_respond(
        by=world.boss,
        representation=Representation.objects.get(pk=world.representation.pk),
        response=say("representation response"),
    )
    enforcement.action_decide(
        by=world.boss,
        action=EnforcementAction.objects.get(pk=world.action.pk),
        adopt=True,
        reason=say("enforcement decision"),
        today=SENT,
    )

    review = world.review
    review = review_services.rating_review_start_grounds_check(by=world.boss, review=review)
    review = review_services.rating_review_accept(by=world.boss, review=review)
    review = review_services.rating_review_assign_reviewer(by=world.boss, review=review, reviewer=world.checker)
    review = review_services.rating_review_recommend(by=world.checker, review=review, text=say("review recommendation"))
    review = review_services.rating_review_decide(
        by=world.deputy,
        review=review,
        ratings={"safe": "outstanding"},
        reason=say("review decision", public=True),
        today=SENT,
    )
    world.review = review_services.rating_review_publish_outcome(by=world.boss, review=review, today=SENT)


def _file_stem(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[:60] or "file"


# --- Pages -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "register:location"
    params: tuple[str, ...]


def portal_routes() -> list[Route]:
    """Every named URL of the portal except Django admin, from the URL conf (so a new page cannot be missed)."""
    found: list[Route] = []

    def walk(patterns, namespace: str, params: tuple[str, ...]) -> None:
        for pattern in patterns:
            names = tuple(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, params + names)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found.append(Route(f"{namespace}{pattern.name}", params + names))

    walk(get_resolver().url_patterns, "", ())
    return found


# Parameters whose pages only take a POST (a transition, a delete), or a one-time token from an e-mail that no
# page shows typed text on: GET is refused or redirected, so there is nothing to render.
POST_ONLY_PARAMS = {"action", "step"}
TOKEN_ROUTES = {"accounts:password-reset-confirm"}


def route_kwargs(route: Route, world: World, *, user=None) -> list[dict]:
    """The URL arguments of every record of the world that ``route`` can show; [{}] for a page with none.

    :raises LookupError: for a route this table does not know, so a new page is added here rather than missed.
    """
    from assessments.models import Assessment, EvidenceItem, InformationRequest, QualityStatement, RatingReview
    from cqcportal.accounts.models import Delegation, User
    from cqcportal.alerts.models import Subscription
    from cqcportal.complaints.models import Complaint
    from cqcportal.notifications.models import Notification
    from enforcement.models import (
        EnforcementAction,
        EscalationTask,
        FitAndProperConcern,
        RepresentationFile,
        SpecialMeasures,
    )
    from factual_accuracy.models import (
        Comment,
        ExtensionRequest,
        InformationQuery,
        Report,
        ReportSection,
        SupportingFile,
    )

    params = set(route.params)
    if not params:
        return [{}]
    if params & POST_ONLY_PARAMS or route.name in TOKEN_ROUTES:
        return []
    ours = [world.provider, world.other_provider]
    locations = [world.rated, world.checking, world.drafting, world.other_location]
    reports = list(Report.objects.order_by("pk"))
    name = route.name
    if params == {"cqc_id"}:
        rows = ours if name == "register:provider" else locations
        return [{"cqc_id": row.cqc_id} for row in rows]
    if name == "public:report":
        return [{"cqc_id": r.location.cqc_id, "pk": r.pk} for r in reports]
    if name.startswith("register:"):
        if params == {"pk"}:
            return [{"pk": p.pk} for p in ours]
        if "location_pk" in params:
            return [{"pk": loc.provider_id, "location_pk": loc.pk} for loc in locations]
        if "user_pk" in params:
            members = User.objects.filter(membership__provider__in=ours).order_by("pk")
            return [{"pk": u.membership.provider_id, "user_pk": u.pk} for u in members]
        if "delegation_pk" in params:
            return [{"pk": d.provider_id, "delegation_pk": d.pk} for d in Delegation.objects.order_by("pk")]
    if name.startswith("alerts:") and params == {"token"}:
        column = "confirm_token" if name == "alerts:confirm" else "unsubscribe_token"
        if name == "alerts:unsubscribe-digest":
            return []  # a signed list of subscriptions, made only for a digest e-mail; shows no typed text
        return [{"token": t} for t in Subscription.objects.order_by("pk").values_list(column, flat=True)[:1]]
    if params == {"location_pk"}:
        return [{"location_pk": loc.pk} for loc in locations]
    if params == {"assessment_pk"}:
        return [{"assessment_pk": a.pk} for a in Assessment.objects.order_by("pk")]
    if params == {"report_pk"}:
        return [{"report_pk": r.pk} for r in reports]
    if name.startswith("factual_accuracy:"):
        if params == {"pk"}:
            return [{"pk": r.pk} for r in reports]
        if "section_pk" in params:
            sections = ReportSection.objects.filter(kind__in=["overall", "statement"]).order_by("report", "order")
            seen, rows = set(), []
            for s in sections:  # each report's overall summary and first statement
                if (s.report_id, s.kind) not in seen:
                    seen.add((s.report_id, s.kind))
                    rows.append({"pk": s.report_id, "section_pk": s.pk})
            return rows
        if "comment_pk" in params:
            return [{"pk": c.report_id, "comment_pk": c.pk} for c in Comment.objects.order_by("pk")]
        if "file_pk" in params:
            return [{"pk": f.comment.report_id, "file_pk": f.pk} for f in SupportingFile.objects.order_by("pk")]
        if "request_pk" in params:
            return [{"pk": e.report_id, "request_pk": e.pk} for e in ExtensionRequest.objects.order_by("pk")]
        if "query_pk" in params:
            return [{"pk": q.report_id, "query_pk": q.pk} for q in InformationQuery.objects.order_by("pk")]
    if name.startswith("assessments:rating-review"):
        return [{"pk": r.pk} for r in RatingReview.objects.order_by("pk")]
    if name.startswith("assessments:information-request"):
        return [{"pk": r.pk} for r in InformationRequest.objects.order_by("pk")]
    if name.startswith("assessments:"):
        assessments = list(Assessment.objects.order_by("pk"))
        if params == {"pk"}:
            return [{"pk": a.pk} for a in assessments]
        if "slug" in params:
            return [
                {"pk": a.pk, "slug": s}
                for a in assessments
                for s in QualityStatement.objects.filter(scores__assessment=a)
                .order_by("order")
                .values_list("slug", flat=True)[:1]
            ]
        if "item_pk" in params:
            return [{"pk": e.assessment_id, "item_pk": e.pk} for e in EvidenceItem.objects.order_by("pk")]
    if name.startswith("enforcement:concern"):
        return [{"pk": c.pk} for c in FitAndProperConcern.objects.order_by("pk")]
    if name.startswith("enforcement:"):
        if params == {"pk"}:
            return [{"pk": a.pk} for a in EnforcementAction.objects.order_by("pk")]
        if "file_pk" in params:
            return [
                {"pk": f.representation.action_id, "file_pk": f.pk} for f in RepresentationFile.objects.order_by("pk")
            ]
    if name.startswith("special_measures:task"):
        return [{"pk": t.pk} for t in EscalationTask.objects.order_by("pk")]
    if name.startswith("special_measures:"):
        return [{"pk": s.pk} for s in SpecialMeasures.objects.order_by("pk")]
    if name.startswith("complaints:"):
        return [{"pk": c.pk} for c in Complaint.objects.order_by("pk")]
    if name.startswith("notifications:"):
        mine = Notification.objects.filter(recipient=user) if user is not None else Notification.objects.none()
        return [{"pk": n.pk} for n in mine.order_by("pk")]
    raise LookupError(f"{name} {sorted(params)}: say in planted.route_kwargs which records its page shows")


def route_urls(route: Route, world: World, *, user=None) -> list[str]:
    """The addresses of ``route`` for every record of the world, with the query strings a page needs to show one."""
    from urllib.parse import urlencode

    from django.urls import reverse

    urls = [reverse(route.name, kwargs=kwargs) for kwargs in route_kwargs(route, world, user=user)]
    if route.name == "alerts:subscribe":  # the sign-up page names what is followed
        urls = [
            f"{urls[0]}?{urlencode(query)}"
            for query in (
                {"location": world.rated.cqc_id},
                {"provider": world.provider.cqc_id},
                {"local_authority": world.rated.local_authority},
            )
        ]
    return urls


def release(response) -> bytes:
    """Read a download to its end, which makes the test client close its file (``response.close()`` itself would
    also close the test's database connection, through the request_finished signal). Returns the body."""
    return b"".join(response.streaming_content) if response.streaming else response.content
