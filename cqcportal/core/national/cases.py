"""Five years of each location's cases, told in order: assessments, reports, enforcement, reviews, special measures.

Each location's story is a small event queue. An assessment is planned, started and completed; its report goes
through quality review and the factual accuracy check to publication (or is withdrawn); poor results bring
enforcement, served before the report is drafted, with representations, decisions, appeals and publication; a
published rating may be challenged by a rating review, put the location in special measures or open an
escalation task; and the next assessment is planned from the rating published. Events at or after ``now`` have
not happened: the records are left in the state the last event before ``now`` put them in, with their deadlines
open, and their ratings as the portal's own working gives them at the moment they were last calculated.

What each event writes mirrors the service that would have done it (the same fields, dedupe keys, URLs and
deadline kinds), without calling the services: they lock, audit and e-mail one record at a time.
"""

from __future__ import annotations

import bisect
import datetime
import heapq
import html
import itertools
from dataclasses import dataclass, field

from assessments import ratings
from assessments.models import (
    Assessment,
    AssessmentOutcome,
    AssessmentTeamMember,
    EnforcementLimit,
    EvidenceItem,
    InformationRequest,
    LocationRating,
    RatingChallenge,
    RatingDeparture,
    RatingReview,
    RatingReviewChange,
    RegulationsJudgement,
    StatementScore,
    StatementScoreChange,
)
from cqcportal import workdays
from cqcportal.alerts.models import PublicEvent
from cqcportal.audit.models import AuditEvent
from cqcportal.complaints.models import Complaint
from cqcportal.core.national import places, texts
from cqcportal.core.national.clock import SWEEP_LAG, Clock
from cqcportal.core.national.engine import KEY_QUESTIONS, KQ_LABELS, Departure, Engine, Statement, strictest
from cqcportal.core.national.world import LONDON, LocationRecord, Person, Settings
from cqcportal.core.national.world import at as in_working_hours
from cqcportal.deadlines.rules import RULES, Kind
from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import notification_body, text_to_html
from cqcportal.register.models import PublishedRating
from enforcement.models import (
    Appeal,
    Breach,
    EnforcementAction,
    EscalationTask,
    Representation,
    RepresentationFile,
    SpecialMeasures,
)
from factual_accuracy.models import (
    Comment,
    ExtensionRequest,
    InformationQuery,
    Report,
    ReportSection,
    ReportVersion,
    Submission,
    SupportingFile,
)

EVIDENCE_WITH_DOCUMENT = 0.12  # the share of evidence items with a document attached
COMMENT_WITH_FILE = 0.25  # the share of factual accuracy comments sent with a supporting file
REPRESENTATION_WITH_FILE = 0.4
SCORE_CHANGE_SHARE = 0.35  # of accepted comments on a statement scored below 4: the score goes up by one
EXTENSION_GRANTED_SHARE = 0.5  # of decided requests for more time that could be granted
EXTENSION_DAYS = 5  # working days more, when granted

REPORT_STATES = [
    "drafting",
    "in_quality_review",
    "quality_review_passed",
    "out_for_factual_accuracy",
    "fa_closed_comments",
    "fa_closed_no_inaccuracies",
    "fa_closed_no_response",
    "responding",
    "independent_check",
    "ready_to_publish",
    "published",
    "withdrawn",
]
STATE_LABELS = {
    "drafting": "Drafting",
    "in_quality_review": "In quality review",
    "quality_review_passed": "Passed quality review",
    "out_for_factual_accuracy": "Out for factual accuracy check",
    "fa_closed_comments": "Factual accuracy check closed: comments received",
    "fa_closed_no_inaccuracies": "Factual accuracy check closed: no inaccuracies",
    "fa_closed_no_response": "Factual accuracy check closed: no response",
    "responding": "Responding to comments",
    "independent_check": "Independent check of the responses",
    "ready_to_publish": "Ready to publish",
    "published": "Published",
    "withdrawn": "Withdrawn",
}
ROUTE_FOR = {
    "fa_closed_comments": "comments",
    "responding": "comments",
    "independent_check": "comments",
    "fa_closed_no_inaccuracies": "no_inaccuracies",
    "fa_closed_no_response": "no_response",
}
# Years to the next planned assessment after each overall rating, and how much longer each sector waits.
INTERVAL_YEARS = {"outstanding": 4.0, "good": 2.6, "requires_improvement": 1.0, "inadequate": 0.5, "": 2.2}
SECTOR_INTERVAL = {"asc": 1.0, "gp": 1.45, "ind": 1.35, "nhs": 1.7, "amb": 1.7, "dental": 3.6}
# Score probabilities (1, 2, 3, 4) for a key question that is, in this assessment, poor / weak / good / excellent.
SCORE_WEIGHTS = {
    0: (0.65, 0.28, 0.07, 0.0),
    1: (0.05, 0.5, 0.44, 0.01),
    2: (0.0, 0.04, 0.9, 0.06),
    3: (0, 0.01, 0.5, 0.49),
}
BREACH_REGULATIONS = {
    "safe": ("12", "13", "18", "15", "19"),
    "effective": ("11", "14"),
    "caring": ("10",),
    "responsive": ("9", "16"),
    "well_led": ("17", "20"),
}
KIND_LABELS = {
    "requirement_notice": "Requirement notice",
    "warning_notice": "Warning notice",
    "notice_of_proposal": "Notice of proposal",
    "urgent": "Urgent procedure (effect at once)",
    "fixed_penalty_notice": "Fixed penalty notice",
    "simple_caution": "Simple caution",
    "prosecution": "Prosecution",
}
PROPOSAL_LABELS = {
    "impose_conditions": "Impose conditions of registration",
    "vary_conditions": "Vary conditions of registration",
    "suspend": "Suspend registration",
}
LIMIT_FOR = {
    "requirement_notice": "requirement_notice",
    "warning_notice": "warning_notice",
    "notice_of_proposal": "condition",
    "urgent": "condition",
}
NOTIFY_DAYS = 21  # notifications (inbox items) are made for the last three weeks of activity


def html_body(text: str) -> str:
    """``text_to_html(text)``, quicker: only a paragraph with a link needs ``urlize``, the rest only escaping."""
    out = []
    for paragraph in text.split("\n\n"):
        if not paragraph.strip():
            continue
        if "://" in paragraph or "www." in paragraph or "@" in paragraph or ".example" in paragraph:
            out.append(text_to_html(paragraph))
        else:
            out.append(f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>")
    return "".join(out)


# --- records ------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class RatingRow:
    id: int
    key_question: str
    rating: str
    report_date: datetime.date
    link: str
    source: str
    created_at: datetime.datetime
    current: bool = True


@dataclass(eq=False)
class LimitRecord:
    id: int
    key_question: str
    kind: str
    reason: str
    in_force_from: datetime.date
    action: ActionRecord
    lifted_on: datetime.date | None = None


@dataclass(eq=False)
class ActionRecord:
    id: int
    kind: str
    proposal: str
    assessment: AssessmentRecord | None
    summary: str
    decided_by: Person
    decided_at: datetime.datetime
    breaches: list[tuple[str, str]]
    state: str = "draft"
    served_on: datetime.date | None = None
    effective_on: datetime.date | None = None
    published_at: datetime.datetime | None = None
    outcome: str = ""
    limits: list[LimitRecord] = field(default_factory=list)
    representations: list[list] = field(default_factory=list)
    appeal: list | None = None
    window: object = None
    response_target: object = None
    appeal_window: object = None


@dataclass(eq=False)
class ReportRecord:
    id: int
    assessment: AssessmentRecord
    created_at: datetime.datetime
    sections: list[dict]
    state: str = "drafting"
    quality_review_comments: str = ""
    sent_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    checked_by: Person | None = None
    published_at: datetime.datetime | None = None
    withdrawn_reason: str = ""
    versions: list[tuple] = field(default_factory=list)
    submission: tuple | None = None
    comments: list[dict] = field(default_factory=list)
    target: object = None
    window: object = None
    review_window: object = None
    review: ReviewRecord | None = None
    changed: bool = True  # the sections changed since the last version was frozen


@dataclass(eq=False)
class AssessmentRecord:
    id: int
    kind: str
    lead: Person
    announced: bool
    plan: dict
    created_at: datetime.datetime
    scope: list[int]
    team: list[tuple]
    state: str = "planned"
    started_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None
    scores: dict[int, int] = field(default_factory=dict)
    judgements: list[tuple] = field(default_factory=list)
    departures: dict[str, Departure] = field(default_factory=dict)
    report: ReportRecord | None = None
    levels: dict[str, int] = field(default_factory=dict)
    outcome: str = ""
    # Scores amended after completion: (statement id, from, to, reason, context, by, at), in time order.
    score_changes: list[tuple] = field(default_factory=list)


@dataclass(eq=False)
class ReviewRecord:
    id: int
    report: ReportRecord
    created_by: Person
    created_at: datetime.datetime
    challenges: list[str]
    state: str = "drafting"
    updated_at: datetime.datetime | None = None
    submitted_by: Person | None = None
    submitted_at: datetime.datetime | None = None
    checker: Person | None = None
    refusal: str = ""
    reviewer: Person | None = None
    external: str = ""
    recommendation: str = ""
    recommended_at: datetime.datetime | None = None
    decided_by: Person | None = None
    decided_at: datetime.datetime | None = None
    decision: str = ""
    outcome_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    target: object = None


# --- the builder ----------------------------------------------------------------------------------------------------


class CaseBuilder:
    """The tables, reference data and helpers shared by every location's story."""

    def __init__(
        self,
        settings: Settings,
        loader,
        clock: Clock,
        people,
        engine: Engine,
        *,
        priority: list[int],
        categories: list[int],
        content_types: dict[str, int],
        urls: dict[str, str],
        documents: list | None = None,
    ):
        self.s = settings
        self.now = settings.now
        self.today = settings.today
        self.loader = loader
        self.clock = clock
        self.people = people
        self.engine = engine
        self.statements: list[Statement] = engine.statements
        self.priority = priority
        self.categories = categories
        self.ct = content_types
        self.urls = urls
        self.documents = documents or []  # the shared uploaded files (documents.py)
        self.rng = settings.rng("cases")
        self.window_start = self.today.replace(year=self.today.year - 5)
        self.teams = {t.id: t for t in people.teams}
        self.deputies = people.deputies
        self._working_days(
            self.window_start.replace(year=self.window_start.year - 6), self.today.replace(year=self.today.year + 2)
        )
        self._described: dict[int, str] = {}
        self.reviews_under_way: set[int] = set()
        self.review_locations: set[int] = set()
        self.stats: dict[str, int] = {}

        def table(model, fields=None):
            return loader.table(model, fields or [f.attname for f in model._meta.concrete_fields])

        self.t_assessment = table(Assessment)
        self.t_scope = table(Assessment.statements.through, ["id", "assessment_id", "qualitystatement_id"])
        self.t_team = table(AssessmentTeamMember)
        self.t_score = table(StatementScore)
        self.t_score_change = table(StatementScoreChange)
        self.t_evidence = table(EvidenceItem)
        self.t_supporting_file = table(SupportingFile)
        self.t_representation_file = table(RepresentationFile)
        self.t_judgement = table(RegulationsJudgement)
        self.t_outcome = table(AssessmentOutcome)
        self.t_location_rating = table(LocationRating)
        self.t_departure = table(RatingDeparture)
        self.t_report = table(Report)
        self.t_section = table(ReportSection)
        self.t_version = table(ReportVersion)
        self.t_submission = table(Submission)
        self.t_comment = table(Comment)
        self.t_extension = table(ExtensionRequest)
        self.t_query = table(InformationQuery)
        self.t_published = table(PublishedRating)
        self.t_action = table(EnforcementAction)
        self.t_breach = table(Breach)
        self.t_representation = table(Representation)
        self.t_appeal = table(Appeal)
        self.t_limit = table(EnforcementLimit)
        self.t_special = table(SpecialMeasures)
        self.t_task = table(EscalationTask)
        self.t_review = table(RatingReview)
        self.t_challenge = table(RatingChallenge)
        self.t_change = table(RatingReviewChange)
        self.t_request = table(InformationRequest)
        self.t_event = table(PublicEvent)
        self.t_audit = table(AuditEvent)
        self.t_notification = table(Notification)

    # --- calendar ---------------------------------------------------------------------------------------------------

    def _working_days(self, first: datetime.date, last: datetime.date) -> None:
        days, day = [], first
        while day <= last:
            if workdays.is_working_day(day, extra_holidays=self.clock.holidays):
                days.append(day)
            day += datetime.timedelta(days=1)
        self.days = days

    def wd(self, day: datetime.date, n: int) -> datetime.date:
        """``n`` working days after ``day``, as ``workdays.add_working_days`` counts them."""
        if n == 0:
            return day
        return self.days[bisect.bisect_right(self.days, day) + n - 1]

    def working_day_on_or_after(self, day: datetime.date) -> datetime.date:
        return self.days[bisect.bisect_left(self.days, day)]

    # --- shared writers -----------------------------------------------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def audit(
        self,
        at: datetime.datetime,
        by: Person | None,
        model: str,
        object_id: int,
        subject: str,
        provider_id: int | None,
        action: str,
        from_state: str = "",
        to_state: str = "",
        reason: str = "",
        data: dict | None = None,
        on_behalf_of: Person | None = None,
    ) -> None:
        if at >= self.now:
            return
        self.t_audit.add(
            (
                self.t_audit.new_id(),
                at,
                by.id if by else None,
                on_behalf_of.id if on_behalf_of else None,
                self._describe(by),
                self.ct[model],
                str(object_id),
                subject[:300],
                provider_id,
                action,
                from_state,
                to_state,
                reason,
                data or "{}",
            )
        )

    def _describe(self, person: Person | None) -> str:
        if person is None:
            return "System"
        text = self._described.get(person.id)
        if text is None:
            text = self._described[person.id] = person.describe()[:300]
        return text

    def notify(self, person: Person, *, at: datetime.datetime, subject: str, body: str, link: str, kind: str, key: str):
        if at >= self.now or at < self.now - datetime.timedelta(days=NOTIFY_DAYS):
            return
        rng = self.rng
        body = notification_body(body, link)
        sent = at + datetime.timedelta(seconds=rng.randint(3, 90))
        read = None
        if rng.random() < 0.55:
            read = min(at + datetime.timedelta(hours=rng.randint(1, 72)), self.now - datetime.timedelta(minutes=5))
            read = read if read > at else None
        self.t_notification.add(
            (
                self.t_notification.new_id(),
                person.id,
                person.email,
                subject[:300],
                body,
                # The sweep leaves the HTML to be written when the e-mail is sent; the services write it at once.
                "" if kind.startswith("deadline.") else html_body(body),
                link,
                {},
                kind,
                key,
                at,
                read,
                sent if sent < self.now else None,
                1 if sent < self.now else 0,
                sent if sent < self.now else None,
                "",
            )
        )

    def recent(self, at: datetime.datetime) -> bool:
        """Whether something that happened ``at`` still has its inbox items (the last ``NOTIFY_DAYS``)."""
        return self.now - datetime.timedelta(days=NOTIFY_DAYS) <= at < self.now

    def contacts(self, loc: LocationRecord, day: datetime.date) -> list[Person]:
        """The registered persons a provider's window binds at ``loc``, and their delegates acting on ``day``."""
        provider = loc.provider
        people = [p for p in (provider.nominated_individual, provider.chief_executive) if p is not None]
        if loc.manager is not None:
            people.append(loc.manager)
        people.sort(key=lambda p: p.id)
        seen = {p.id for p in people}
        for delegator, delegate, start, end, revoked in provider.delegations:
            if delegator.id in seen and not revoked and start <= day <= end and delegate.id not in seen:
                people.append(delegate)
                seen.add(delegate.id)
        return people

    def public_event(self, loc: LocationRecord, kind: str, at: datetime.datetime, title: str, url: str, key: str):
        if at >= self.now:
            return
        self.t_event.add((self.t_event.new_id(), loc.id, kind, at, title[:300], url, key, at))

    def deadline(self, kind: Kind, model: str, object_id: int, description: str, url: str, loc, owner, start, at):
        return self.clock.open(
            kind=kind,
            content_type_id=self.ct[model],
            object_id=object_id,
            description=description,
            url=url,
            provider_id=loc.provider.id,
            location_id=loc.id,
            owner=owner,
            start_date=start,
            opened_at=at,
        )

    def information_request(
        self, loc: LocationRecord, *, by: Person, sent: datetime.datetime, assessment_id: int | None = None
    ) -> None:
        """An information request with its window, answered (and reviewed) or closed as the sweep would."""
        if sent >= self.now:
            return
        rng = self.rng
        pk = self.t_request.new_id()
        kind = Kind.ASSESSMENT_INFORMATION_REQUEST if assessment_id else Kind.PROVIDER_INFORMATION_REQUEST
        url = self.urls["information_request"].format(pk)
        window = self.deadline(
            kind, "informationrequest", pk, f"Information request for {loc.name}", url, loc, by, sent.date(), sent
        )
        subject = f"Information request for {loc.name} ({sent.astimezone(LONDON):%-d %b %Y})"
        self.audit(
            sent, by, "informationrequest", pk, subject, loc.provider.id, "information_request.send", "", "requested"
        )
        for person in self.contacts(loc, sent.date()) if self.recent(sent) else ():
            self.notify(
                person,
                at=sent,
                subject=f"Information request for {loc.name}: reply by {window.due_date:%-d %B %Y}",
                body=f"We have asked for information about {loc.name}.\n\n{texts.PIR_QUESTIONS}\n\n"
                f"Please reply by {window.due_date:%A %-d %B %Y}.",
                link=url,
                kind="information_request.sent",
                key=f"information_request:{pk}:sent:{person.id}",
            )
        responders = [p for p in (loc.manager, loc.provider.nominated_individual, loc.provider.chief_executive) if p]
        state, submitted, submitted_by, reviewed, reviewed_by, response = "requested", None, None, None, None, ""
        days = (window.due_date - sent.date()).days
        if rng.random() < 0.01:
            withdrawn = sent + datetime.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
            if withdrawn < self.now:
                state = "withdrawn"
                window.cancel(withdrawn)
        elif responders and rng.random() < 0.88:
            submit_day = sent.date() + datetime.timedelta(days=rng.randint(1, max(1, days)))
            submitted = datetime.datetime.combine(
                submit_day, datetime.time(rng.randint(8, 19), rng.randint(0, 59)), LONDON
            )
            if submitted < self.now:
                state, submitted_by, response = "submitted", rng.choice(responders), texts.PIR_RESPONSE
                window.meet(submitted)
                target = self.deadline(
                    Kind.RESPONSE_TARGET,
                    "informationrequest",
                    pk,
                    f"Review the information from {loc.name}",
                    url,
                    loc,
                    by,
                    submit_day,
                    submitted,
                )
                self.audit(
                    submitted,
                    submitted_by,
                    "informationrequest",
                    pk,
                    subject,
                    loc.provider.id,
                    "information_request.submit",
                    "requested",
                    "submitted",
                )
                self.notify(
                    by,
                    at=submitted,
                    subject=f"Information received from {loc.name}",
                    body=f"{submitted_by.full_name} has answered your information request for {loc.name}. "
                    f"Please review it by {target.due_date:%A %-d %B %Y}.",
                    link=url,
                    kind="information_request.submitted",
                    key=f"information_request:{pk}:submitted",
                )
                if rng.random() < 0.93:
                    reviewed = submitted + datetime.timedelta(days=rng.randint(1, 16), hours=rng.randint(0, 4))
                    if reviewed < self.now:
                        state, reviewed_by = "reviewed", by
                        target.meet(reviewed)
                        self.audit(
                            reviewed,
                            by,
                            "informationrequest",
                            pk,
                            subject,
                            loc.provider.id,
                            "information_request.review",
                            "submitted",
                            "reviewed",
                        )
                    else:
                        reviewed = None
                self.clock.write(target)
            else:
                submitted = None
        self.clock.write(window)
        if state == "requested" and window.state == "missed":
            state = "closed_no_response"
            self.audit(
                window.steps[-1][1],
                None,
                "informationrequest",
                pk,
                subject,
                loc.provider.id,
                "information_request.close_no_response",
                "requested",
                state,
            )
        self.t_request.add(
            (
                pk,
                loc.id,
                loc.provider.id,
                assessment_id,
                texts.PIR_QUESTIONS,
                by.id,
                sent,
                state,
                response,
                submitted,
                submitted_by.id if submitted_by else None,
                None,
                reviewed,
                reviewed_by.id if reviewed_by else None,
            )
        )
        self.count(f"information request: {state}")

    def complaint(
        self, loc: LocationRecord | None, received: datetime.date, recorded_by: Person, *, keep_open: bool = False
    ) -> datetime.datetime | None:
        """A complaint about the regulator with its targets (informal, then perhaps formal); when it was recorded."""
        b, rng, now = self, self.rng, self.now
        table = self.loader.table(Complaint, [f.attname for f in Complaint._meta.concrete_fields])
        recorded = in_working_hours(
            b.working_day_on_or_after(received + datetime.timedelta(days=rng.randint(0, 3))), rng, 9, 17
        )
        if recorded >= now:
            return None
        pk = table.new_id()
        complainant = f"{rng.choice(places.FIRST_NAMES)} {rng.choice(places.LAST_NAMES)}"
        where = loc.name if loc else "the regulator"
        description = f"Complaint from {complainant} about {where}"
        url = b.urls["complaint"].format(pk)
        subject = f"Complaint received {received:%-d %b %Y}" + (f" about {loc.name}" if loc else "")

        case = (pk, description, url, loc)
        informal = self.complaint_target(case, Kind.COMPLAINT_INFORMAL, received, recorded, recorded_by)
        b.audit(
            recorded,
            recorded_by,
            "complaint",
            pk,
            subject + " (open)",
            loc.provider.id if loc else None,
            "complaint.record",
            "",
            "open",
        )
        stage, escalated, formal, closed = "informal", None, None, None
        if rng.random() < 0.3 and not keep_open:
            escalated = recorded + datetime.timedelta(days=rng.randint(3, 10), hours=1)
            if escalated < now:
                stage = "formal"
                informal.cancel(escalated)
                formal = self.complaint_target(
                    case, Kind.COMPLAINT_FORMAL, escalated.astimezone(LONDON).date(), escalated, recorded_by
                )
                b.audit(
                    escalated,
                    recorded_by,
                    "complaint",
                    pk,
                    subject + " (open)",
                    loc.provider.id if loc else None,
                    "complaint.escalate",
                    "informal",
                    "formal",
                    reason="Moved to formal investigation",
                )
                closed = escalated + datetime.timedelta(days=rng.randint(20, 50))
            else:
                escalated = None
        if stage == "informal":
            closed = recorded + datetime.timedelta(days=rng.randint(2, 12))
        if closed is not None and (closed >= now or keep_open):
            closed = None
        if closed is not None:
            (formal or informal).meet(closed)
            b.audit(
                closed,
                recorded_by,
                "complaint",
                pk,
                subject + " (closed)",
                loc.provider.id if loc else None,
                "complaint.close",
                "open",
                "closed",
                reason="Explained what happened and apologised.",
            )
        table.add(
            (
                pk,
                loc.id if loc else None,
                loc.provider.id if loc else None,
                complainant,
                rng.choice(texts.COMPLAINTS),
                received,
                stage,
                "closed" if closed else "open",
                "Explained what happened and apologised." if closed else "",
                recorded_by.id,
                recorded,
                recorded_by.id if escalated else None,
                escalated,
                recorded_by.id if closed else None,
                closed,
            )
        )
        b.count(f"complaint: {'closed' if closed else 'open'} ({stage})")
        b.clock.write(informal)
        if formal is not None:
            b.clock.write(formal)
        return recorded

    def complaint_target(self, case: tuple, kind: Kind, start, opened, owner):
        pk, description, url, loc = case
        return self.clock.open(
            kind=kind,
            content_type_id=self.ct["complaint"],
            object_id=pk,
            description=description,
            url=url,
            provider_id=loc.provider.id if loc else None,
            location_id=loc.id if loc else None,
            owner=owner,
            start_date=start,
            opened_at=opened,
        )

    def tell(self, locations: list[LocationRecord]) -> None:
        for n, loc in enumerate(locations):
            Story(self, loc).tell()
            if n % 50 == 0:
                self.loader.flush_full()


# --- one location's story ------------------------------------------------------------------------------------------


class Story:
    """Everything that happened at one location, in order, written when told."""

    def __init__(self, b: CaseBuilder, loc: LocationRecord):
        self.b = b
        self.loc = loc
        self.rng = b.rng
        self.now = b.now
        self.queue: list = []
        self.seq = itertools.count()
        self.assessments: list[AssessmentRecord] = []
        self.completed: list[AssessmentRecord] = []
        self.previous: dict[str, ratings.Rating] = {}
        self.previous_until: datetime.datetime | None = None  # when a report's ratings replaced them
        self.rows: list[RatingRow] = []
        self.current: dict[str, RatingRow] = {}
        self.limits: list[LimitRecord] = []
        self.actions: list[ActionRecord] = []
        self.specials: list[list] = []
        self.tasks: list[list] = []
        self.recalculated_at: datetime.datetime | None = None
        self.last_end: datetime.date = loc.registration_date
        self.forced = False

    # --- the queue --------------------------------------------------------------------------------------------------

    def push(self, at: datetime.datetime, fn, *args) -> None:
        if at < self.now:
            heapq.heappush(self.queue, (at, next(self.seq), fn, args))

    def tell(self) -> None:
        loc, rng, b = self.loc, self.rng, self.b
        if loc.rated and loc.registration_date < b.window_start - datetime.timedelta(days=200):
            self._previous_ratings()
        if loc.registration_date < b.window_start:
            first = b.window_start + datetime.timedelta(days=rng.uniform(0, 365 * self._interval()))
        else:
            first = loc.registration_date + datetime.timedelta(days=rng.randint(120, 420))
        self._plan_next(first)
        while self.queue:
            at, _, fn, args = heapq.heappop(self.queue)
            fn(at, *args)
        self._write()

    def t(self, day: datetime.date, plan: dict, k: int) -> datetime.datetime:
        seconds = plan["secs"][k % len(plan["secs"])]
        return datetime.datetime.combine(day, datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60), LONDON)

    def _interval(self, overall: str = "") -> float:
        return INTERVAL_YEARS[overall] * SECTOR_INTERVAL[self.loc.sector]

    # --- previous model -----------------------------------------------------------------------------------------

    def _previous_ratings(self) -> None:
        loc, rng, b = self.loc, self.rng, self.b
        level = {0: 1, 1: 2, 2: 3, 3: 3}[loc.quality]
        values = {}
        for kq in KEY_QUESTIONS:
            value = level + rng.choices((-1, 0, 1), weights=(0.08, 0.84, 0.08))[0]
            if loc.quality == 3 and rng.random() < 0.5:
                value = 4
            values[kq] = ratings.Rating(min(4, max(1, value)))
        overall = ratings.aggregate(list(values.values()))
        first = max(
            loc.registration_date + datetime.timedelta(days=150), b.window_start.replace(year=b.window_start.year - 4)
        )
        day = first + datetime.timedelta(days=rng.randint(0, max(0, (b.window_start - first).days - 30)))
        link = f"{rng.getrandbits(128):032x}"
        created = datetime.datetime.combine(day, datetime.time(9), LONDON)
        for kq, value in [("overall", overall), *values.items()]:
            row = RatingRow(b.t_published.new_id(), kq, value.slug, day, link, "previous_model", created)
            self.rows.append(row)
            self.current[kq] = row
        self.previous = values

    # --- the working --------------------------------------------------------------------------------------------

    def working(self, at: datetime.datetime, *, preview: AssessmentRecord | None = None, published_only=False):
        scores: dict[int, int] = {}
        newest = None
        for a in self.completed:
            if a.completed_at > at:
                continue
            if published_only and not (a.report and a.report.published_at and a.report.published_at <= at):
                continue
            scores.update(a.scores)
            newest = a
        if preview is not None:
            scores.update(preview.scores)
            newest = preview
        day = at.astimezone(LONDON).date()
        limits = strictest(self.limits, day, published_only=published_only, at=at)
        return self.b.engine.working(
            scores,
            asc=self.loc.asc,
            previous=self.previous
            if self.previous and (self.previous_until is None or at < self.previous_until)
            else None,
            limits=limits,
            departures=newest.departures if newest is not None else {},
        )

    def recalculate(self, at: datetime.datetime) -> None:
        if self.loc.rated and at < self.now:
            self.recalculated_at = at

    # --- assessments ------------------------------------------------------------------------------------------

    def _plan_next(self, onsite: datetime.date) -> None:
        loc, b = self.loc, self.b
        if loc.deregistration_date and onsite > loc.deregistration_date - datetime.timedelta(days=200):
            return
        if onsite > b.today + datetime.timedelta(days=60) and not (loc.showcase and not self.forced):
            return  # planned after the moment the data describe
        plan = self._offsets()
        if loc.showcase and not self.forced and onsite > b.today - datetime.timedelta(days=300):
            forced = self._force(plan)
            if forced is None:
                return
            onsite, plan = forced
            self.forced = True
        onsite = max(onsite, self.last_end + datetime.timedelta(days=plan["notice"] + 7))
        onsite = b.working_day_on_or_after(onsite)
        schedule = self._schedule(onsite, plan)
        if schedule["created"] >= self.now:
            return
        self.push(schedule["created"], self._plan, plan, schedule)

    def _offsets(self) -> dict:
        rng, loc = self.rng, self.loc
        responsive = rng.random() < (0.35 if loc.quality <= 1 else 0.08)
        return {
            "secs": [rng.randrange(8 * 3600, 18 * 3600) for _ in range(12)],
            "kind": "responsive" if responsive else "planned",
            "announced": not responsive and rng.random() < 0.8,
            "notice": rng.randint(14, 45),
            "onsite": loc.sector not in ("dental", "gp") or rng.random() < 0.6,
            "onsite_days": rng.choices((0, 1, 2), weights=(0.5, 0.35, 0.15))[0],
            "offsite_before": rng.randint(2, 8),
            "offsite_after": rng.randint(3, 12),
            "complete": rng.randint(2, 8),
            "cancel": rng.random() < 0.015,
            "cancel_after": rng.randint(3, 30),
            "r0": rng.randint(1, 3),
            "r1": rng.randint(3, 10),
            "qr_return": rng.random() < 0.1,
            "r2": rng.randint(1, 6),
            "r3": rng.randint(1, 5),
            "route": rng.choices(("comments", "no_inaccuracies", "no_response"), weights=(0.35, 0.5, 0.15))[0]
            if self._registered_persons()
            else "no_response",
            "fa_comments": rng.randint(5, 10),
            "fa_none": rng.randint(1, 9),
            "r5": rng.randint(2, 10),
            "r6": rng.randint(3, 12),
            "r7": rng.randint(3, 10),
            "r8": rng.randint(1, 6),
            "ready": rng.randint(3, 12),
            "withdraw": rng.random() < 0.006,
            "withdraw_stage": rng.randrange(0, 8),
        }

    def _registered_persons(self) -> list[Person]:
        provider = self.loc.provider
        return [p for p in (self.loc.manager, provider.nominated_individual, provider.chief_executive) if p]

    def _schedule(self, onsite: datetime.date, plan: dict) -> dict:
        """Every date of an assessment and its report, from its on-site day and its drawn offsets."""
        b = self.b
        start = b.wd(onsite, 0)
        offsite_start = (
            onsite - datetime.timedelta(days=plan["offsite_before"] * 7 // 5) if plan["announced"] else onsite
        )
        offsite_end = b.wd(onsite, plan["offsite_after"])
        onsite_end = b.wd(onsite, plan["onsite_days"]) if plan["onsite"] else None
        last = max(offsite_end, onsite_end or onsite)
        completed_day = b.wd(last, plan["complete"])
        s = {
            "onsite": onsite,
            "created": self.t(onsite - datetime.timedelta(days=plan["notice"]), plan, 0),
            "started": self.t(min(start, offsite_start), plan, 1),
            "offsite_start": offsite_start,
            "offsite_end": offsite_end,
            "onsite_start": onsite if plan["onsite"] else None,
            "onsite_end": onsite_end,
            "completed": self.t(completed_day, plan, 2),
        }
        s["cancelled"] = s["created"] + datetime.timedelta(days=plan["cancel_after"]) if plan["cancel"] else None
        r0 = b.wd(completed_day, plan["r0"] + 1)
        r1 = b.wd(r0, plan["r1"] + (5 if plan["qr_return"] else 0))
        r2 = b.wd(r1, plan["r2"])
        r3 = b.wd(r2, plan["r3"])
        stages = [
            ("drafting", self.t(r0, plan, 3)),
            ("in_quality_review", self.t(r1, plan, 4)),
            ("quality_review_passed", self.t(r2, plan, 5)),
            ("out_for_factual_accuracy", self.t(r3, plan, 6)),
        ]
        due = b.clock.due(Kind.FACTUAL_ACCURACY_CHECK, r3)
        route = plan["route"]
        if route == "no_response":
            closed = workdays.deadline_end_of_day(due) + datetime.timedelta(microseconds=1) + SWEEP_LAG
            stages.append(("fa_closed_no_response", closed))
            ready = b.wd(closed.astimezone(LONDON).date(), plan["ready"])
            stages.append(("ready_to_publish", self.t(ready, plan, 7)))
            published = b.wd(ready, plan["r8"])
        else:
            r4 = min(b.wd(r3, plan["fa_comments" if route == "comments" else "fa_none"]), due)
            if route == "comments":
                stages.append(("fa_closed_comments", self.t(r4, plan, 7)))
                r5 = b.wd(r4, plan["r5"])
                r6 = b.wd(r5, plan["r6"])
                r7 = b.wd(r6, plan["r7"])
                stages += [
                    ("responding", self.t(r5, plan, 8)),
                    ("independent_check", self.t(r6, plan, 9)),
                    ("ready_to_publish", self.t(r7, plan, 10)),
                ]
                published = b.wd(r7, plan["r8"])
            else:
                stages.append(("fa_closed_no_inaccuracies", self.t(r4, plan, 7)))
                ready = b.wd(r4, plan["ready"])
                stages.append(("ready_to_publish", self.t(ready, plan, 8)))
                published = b.wd(ready, plan["r8"])
        stages.append(("published", self.t(published, plan, 11)))
        s["fa_due"] = due
        s["stages"] = stages
        s["withdrawn"] = None
        if plan["withdraw"]:
            i = min(plan["withdraw_stage"], len(stages) - 2)
            entered, following = stages[i][1], stages[i + 1][1]
            s["withdrawn"] = min(entered + datetime.timedelta(days=1), following - datetime.timedelta(hours=1))
            s["stages"] = stages[: i + 1]
        return s

    def _state_at_now(self, s: dict) -> str:
        if s["completed"] >= self.now:
            return ""
        if s["withdrawn"] is not None and s["withdrawn"] < self.now:
            return "withdrawn"
        state = ""
        for name, at in s["stages"]:
            if at < self.now:
                state = name
        return state

    def _force(self, plan: dict):
        """For a showcase location: the on-site day that leaves the report in its wanted state now."""
        target = self.loc.showcase
        plan.update(cancel=False, withdraw=target == "withdrawn", withdraw_stage=self.rng.randrange(0, 4))
        plan["route"] = ROUTE_FOR.get(target, plan["route"])
        for back in range(20, 330):
            onsite = self.b.working_day_on_or_after(self.b.today - datetime.timedelta(days=back))
            if self._state_at_now(self._schedule(onsite, plan)) == target:
                return onsite, plan
        return None

    def _plan(self, at: datetime.datetime, plan: dict, s: dict) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        team = b.teams[loc.team.id]
        lead = loc.holder if loc.holder is not None and rng.random() < 0.85 else rng.choice(team.inspectors)
        if loc.rated:
            if not self.completed and not self.previous:
                scope = [st.id for st in b.statements]
            elif plan["kind"] == "responsive" and self.completed:
                chosen = rng.sample(KEY_QUESTIONS, rng.randint(1, 2))
                scope = [st.id for st in b.statements if st.key_question in chosen and rng.random() < 0.7]
                scope = scope or [b.priority[0]]
            else:
                extra = rng.sample([st.id for st in b.statements if st.id not in b.priority], rng.randint(0, 6))
                scope = sorted(set(b.priority) | set(extra))
        else:
            scope = sorted(rng.sample([st.id for st in b.statements], rng.randint(6, 10)))
        members = [(lead, lead.full_name, "inspector")]
        if team.assessors and rng.random() < 0.5:
            assessor = rng.choice(team.assessors)
            members.append((assessor, assessor.full_name, "assessor"))
        if rng.random() < 0.2:
            members.append(
                (
                    None,
                    rng.choice(("Dr ", "")) + rng.choice(("Anne Fraser", "Raj Mehta", "Tom Ellis")),
                    "specialist_adviser",
                )
            )
        if loc.sector == "asc" and rng.random() < 0.4:
            members.append(
                (
                    None,
                    f"{rng.choice(('Pat', 'Sam', 'Jo', 'Lee'))} {rng.choice(('Hart', 'Moss', 'Lane'))}",
                    "expert_by_experience",
                )
            )
        a = AssessmentRecord(
            id=b.t_assessment.new_id(),
            kind=plan["kind"],
            lead=lead,
            announced=plan["announced"],
            plan=dict(plan, **s),
            created_at=at,
            scope=scope,
            team=members,
        )
        self.assessments.append(a)
        self.last_end = s["onsite"]
        b.audit(
            at, lead, "assessment", a.id, self._assessment_str(a), loc.provider.id, "assessment.plan", "", "planned"
        )
        if plan["announced"] and at > self.now - datetime.timedelta(days=400):
            b.information_request(
                loc, by=lead, sent=at + datetime.timedelta(days=rng.randint(1, 3)), assessment_id=a.id
            )
        self.push(s["started"], self._start, a)
        if s["cancelled"] is not None and s["cancelled"] < s["completed"]:
            self.push(s["cancelled"], self._cancel, a)
        else:
            self.push(s["completed"], self._complete, a)

    def _assessment_str(self, a: AssessmentRecord) -> str:
        return f"{a.kind.capitalize()} assessment of {self.loc.name}"

    def _start(self, at: datetime.datetime, a: AssessmentRecord) -> None:
        if a.state != "planned":
            return
        a.state, a.started_at = "in_progress", at
        self.b.audit(
            at,
            a.lead,
            "assessment",
            a.id,
            self._assessment_str(a),
            self.loc.provider.id,
            "assessment.start",
            "planned",
            "in_progress",
        )

    def _cancel(self, at: datetime.datetime, a: AssessmentRecord) -> None:
        before = a.state
        a.state = "cancelled"
        self.b.audit(
            at,
            a.lead,
            "assessment",
            a.id,
            self._assessment_str(a),
            self.loc.provider.id,
            "assessment.cancel",
            before,
            "cancelled",
            reason="The concern was resolved before the assessment.",
        )
        self._plan_next(at.date() + datetime.timedelta(days=self.rng.randint(60, 200)))

    def _levels(self, drift: bool = True) -> dict[str, int]:
        """How each key question scores in this assessment, from how the location is doing now."""
        loc, rng = self.loc, self.rng
        if drift and rng.random() < 0.2:
            step = 1 if loc.quality == 0 and rng.random() < 0.6 else rng.choice((-1, 1))
            loc.quality = min(3, max(0, loc.quality + step))
        q = loc.quality
        levels = dict.fromkeys(KEY_QUESTIONS, 2)
        if q == 3:
            for kq in rng.sample(KEY_QUESTIONS, rng.randint(2, 3)):
                levels[kq] = 3
        elif q == 2:
            if rng.random() < 0.25:
                levels[rng.choice(KEY_QUESTIONS)] = 1
        elif q == 1:
            for kq in rng.sample(["safe", "well_led", "safe", "effective", "responsive"], 3):
                levels[kq] = 1
        else:
            worst = list(dict.fromkeys(rng.sample(["safe", "well_led", "safe", "effective", "responsive"], 3)))
            for kq in worst:
                levels[kq] = 0
            levels[rng.choice([kq for kq in KEY_QUESTIONS if kq not in worst])] = 1
        return levels

    def _score(self, statement: Statement, levels: dict[str, int]) -> int:
        return self.rng.choices((1, 2, 3, 4), weights=SCORE_WEIGHTS[levels[statement.key_question]])[0]

    def _complete(self, at: datetime.datetime, a: AssessmentRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        if a.state != "in_progress":
            return
        a.levels = self._levels()
        by_id = {st.id: st for st in b.statements}
        if loc.rated:
            a.scores = {sid: self._score(by_id[sid], a.levels) for sid in a.scope}
        else:
            for sid in a.scope:
                cats = rng.sample(b.categories, rng.randint(1, 3))
                for cat in cats:
                    met = rng.random() < (0.97 if a.levels[by_id[sid].key_question] >= 2 else 0.6)
                    a.judgements.append((sid, cat, met))
        # A re-assessment ends the enforcement it followed up: limits are lifted, the action concluded.
        for action in self.actions:
            if action.state == "in_effect" and action.kind in LIMIT_FOR:
                action.state = "concluded"
                action.outcome = f"The re-assessment completed on {at:%-d %B %Y} found the breach put right."
                for limit in action.limits:
                    if limit.lifted_on is None:
                        limit.lifted_on = at.astimezone(LONDON).date()
                b.audit(
                    at,
                    a.lead,
                    "enforcementaction",
                    action.id,
                    self._action_str(action),
                    loc.provider.id,
                    "enforcement.conclude",
                    "in_effect",
                    "concluded",
                    reason=action.outcome,
                )
        a.state, a.completed_at = "completed", at
        self.completed.append(a)
        self.recalculate(at)
        b.audit(
            at,
            a.lead,
            "assessment",
            a.id,
            self._assessment_str(a),
            loc.provider.id,
            "assessment.complete",
            "in_progress",
            "completed",
        )
        b.public_event(
            loc,
            "location_inspected",
            at,
            f"{loc.name} was assessed",
            b.urls["location"].format(loc.cqc_id),
            f"assessment:{a.id}:completed",
        )
        b.count("assessments completed")
        working = self.working(at) if loc.rated else None
        a.outcome = working.overall.slug if working is not None and working.overall else ""
        served = self._enforcement(at, a, working)
        s = a.plan
        first_stage = s["stages"][0][1]
        if served is not None and first_stage <= served:
            first_stage = served + datetime.timedelta(hours=2)
        self.push(first_stage, self._report_create, a)

    # --- reports ------------------------------------------------------------------------------------------------

    def _report_create(self, at: datetime.datetime, a: AssessmentRecord) -> None:
        loc, b = self.loc, self.b
        working = self.working(at, preview=a)
        sections = [
            self._section(
                0, "overall", "", None, "Overall summary", working.overall.slug if working.overall else "", None, ""
            ),
            self._section(1, "peoples_experience", "", None, "People's experience", "", None, ""),
        ]
        for kq in working.key_questions:
            sections.append(
                self._section(
                    len(sections),
                    "key_question",
                    kq.key_question,
                    None,
                    KQ_LABELS[kq.key_question],
                    kq.rating.slug if kq.rating else "",
                    kq.result.published_score if kq.result else None,
                    kq.explanation,
                )
            )
            for st in b.engine.by_key_question[kq.key_question]:
                if st.id in a.scores:
                    score = a.scores[st.id]
                    sections.append(
                        self._section(
                            len(sections),
                            "statement",
                            kq.key_question,
                            st.id,
                            st.name,
                            "",
                            score,
                            self._score_text(st, score)[0] + "\n\n" + self._score_text(st, score)[1],
                        )
                    )
        report = ReportRecord(id=b.t_report.new_id(), assessment=a, created_at=at, sections=sections)
        a.report = report
        url = b.urls["report"].format(report.id)
        start = a.plan["onsite_end"] or a.completed_at.astimezone(LONDON).date()
        report.target = b.deadline(
            Kind.PUBLICATION_TARGET,
            "report",
            report.id,
            f"Publish the report on {loc.name}",
            url,
            loc,
            a.lead,
            start,
            at,
        )
        b.audit(
            at, a.lead, "report", report.id, self._report_str(report), loc.provider.id, "report.create", "", "drafting"
        )
        stages = a.plan["stages"]
        for name, when in stages[1:]:
            self.push(when, self._report_move, report, name)
        if a.plan["withdrawn"] is not None:
            self.push(a.plan["withdrawn"], self._report_withdraw, report)

    def _section(self, order, kind, kq, statement_id, title, rating, score, body) -> dict:
        return {
            "id": self.b.t_section.new_id(),
            "order": order,
            "kind": kind,
            "key_question": kq,
            "statement_id": statement_id,
            "title": title,
            "rating": rating,
            "score": score,
            "body": body,
        }

    def _score_text(self, statement: Statement, score: int) -> tuple[str, str]:
        good, bad = texts.FINDINGS[statement.key_question]
        bank = good if score >= 3 else bad
        return texts.JUDGEMENTS[score], bank[statement.order % 2]

    def _report_str(self, report: ReportRecord) -> str:
        return f"Report on {self.loc.name} ({STATE_LABELS[report.state]})"

    @staticmethod
    def _snapshot(report: ReportRecord) -> list[dict]:
        out = []
        for s in report.sections:
            if s["kind"] == "statement":
                key = f"statement:{s['statement_id']}"
            elif s["kind"] == "key_question":
                key = f"key_question:{s['key_question']}"
            else:
                key = s["kind"]
            out.append(
                {
                    "key": key,
                    "kind": s["kind"],
                    "title": s["title"],
                    "rating": s["rating"],
                    "score": s["score"],
                    "body": s["body"],
                }
            )
        return out

    def _freeze(self, report: ReportRecord, by: Person, reason: str, at: datetime.datetime, only_if_changed=False):
        if only_if_changed and report.versions and not report.changed:
            return
        snapshot = self._snapshot(report)
        if only_if_changed and report.versions and report.versions[-1][3] == snapshot:
            return
        report.versions.append((self.b.t_version.new_id(), len(report.versions) + 1, reason, snapshot, by, at))
        report.changed = False

    def _report_move(self, at: datetime.datetime, report: ReportRecord, state: str) -> None:
        if report.state == "withdrawn":
            return
        loc, b, rng = self.loc, self.b, self.rng
        a = report.assessment
        team = b.teams[loc.team.id]
        before = report.state
        report.state = state
        url = b.urls["report"].format(report.id)
        actor, action, on_behalf = a.lead, "", None
        if state == "in_quality_review":
            action = "report.quality_review.submit"
            if a.plan["qr_return"]:
                report.quality_review_comments = rng.choice(texts.QUALITY_REVIEW_COMMENTS)
            overall = next(s for s in report.sections if s["kind"] == "overall")
            overall["body"] = texts.OVERALL[overall["rating"]].format(name=loc.name)
            report.changed = True
            report.sections[1]["body"] = rng.choice(texts.PEOPLES_EXPERIENCE)
        elif state == "quality_review_passed":
            actor, action = team.manager, "report.quality_review.pass"
        elif state == "out_for_factual_accuracy":
            action = "report.factual_accuracy.send"
            report.sent_at = at
            self._freeze(report, a.lead, "Sent to the provider for the factual accuracy check", at)
            report.window = b.deadline(
                Kind.FACTUAL_ACCURACY_CHECK,
                "report",
                report.id,
                f"Factual accuracy check of the report on {loc.name}",
                url,
                loc,
                a.lead,
                at.date(),
                at,
            )
            for person in b.contacts(loc, at.date()) if b.recent(at) else ():
                b.notify(
                    person,
                    at=at,
                    subject=f"Draft report on {loc.name}: check it by {report.window.due_date:%-d %B %Y}",
                    body=f"Our draft report on {loc.name} is ready for you to check for factual accuracy.\n\n"
                    f"Please tell us of any factual inaccuracies by the end of {report.window.due_date:%A %-d %B %Y}, "
                    "or tell us there are none.",
                    link=url,
                    kind="report.factual_accuracy.sent",
                    key=f"report:{report.id}:fa-sent:{person.id}",
                )
            self._check_under_way(report, at)
        elif state.startswith("fa_closed_"):
            report.closed_at = at
            registered = [
                p for p in (loc.manager, loc.provider.nominated_individual, loc.provider.chief_executive) if p
            ]
            if state != "fa_closed_no_response" and not registered:
                state = report.state = "fa_closed_no_response"  # no one can answer: the check ran out
            if state == "fa_closed_no_response":
                actor, action = None, "report.factual_accuracy.no_response"
            else:
                actor = rng.choice(registered)
                report.window.meet(at)
                if state == "fa_closed_comments":
                    action = "report.factual_accuracy.submit"
                    self._comments(report, at, actor)
                else:
                    action = "report.factual_accuracy.no_inaccuracies"
        elif state == "responding":
            action = "report.responding.start"
            following = next((when for name, when in a.plan["stages"] if name == "independent_check"), at)
            for comment in report.comments:
                self.push(at + (following - at) * rng.random(), self._respond_event, report, comment)
        elif state == "independent_check":
            action = "report.independent_check.send"
            for comment in report.comments:
                self._respond(report, comment, at - datetime.timedelta(hours=1))
            self._freeze(report, a.lead, "Amended after the provider's comments", at, only_if_changed=True)
        elif state == "ready_to_publish":
            if before == "independent_check":
                report.checked_by = team.coordinator
                actor, action = team.coordinator, "report.independent_check.pass"
            else:
                action = "report.ready"
        elif state == "published":
            self._publish(at, report)
            return
        b.audit(
            at,
            actor,
            "report",
            report.id,
            self._report_str(report),
            loc.provider.id,
            action,
            before,
            report.state,
            on_behalf_of=on_behalf,
        )

    def _check_under_way(self, report: ReportRecord, at: datetime.datetime) -> None:
        """While the check is open: draft comments, a question, sometimes a request for more time."""
        loc, b, rng = self.loc, self.b, self.rng
        writers = [p for p in (loc.manager, loc.provider.nominated_individual, *loc.provider.colleagues[:3]) if p]
        if not writers:
            return
        a = report.assessment
        stages = [when for name, when in a.plan["stages"] if when > at]
        still_open = not stages or stages[0] >= self.now
        if still_open and rng.random() < 0.4:
            for _ in range(rng.randint(1, 3)):
                section = rng.choice(report.sections)
                created = at + (self.now - at) * rng.random()
                report.comments.append(
                    {
                        "id": b.t_comment.new_id(),
                        "section": section,
                        "kind": rng.choice(("typographical", "inaccurate", "omitted")),
                        "text": rng.choice(texts.COMMENTS).format(n=rng.randint(2, 4), m=rng.randint(3, 5)),
                        "by": rng.choice(writers),
                        "created_at": created,
                        "submission_id": None,
                        "outcome": "",
                    }
                )
        if rng.random() < 0.06:
            asked = at + datetime.timedelta(days=rng.randint(1, 6), hours=1)
            answered = asked + datetime.timedelta(days=rng.randint(1, 4))
            section = rng.choice(report.sections)
            answer = answered < self.now and rng.random() < 0.9
            if asked < self.now:
                b.t_query.add(
                    (
                        b.t_query.new_id(),
                        report.id,
                        section["id"],
                        "Which records did the team look at for this finding?",
                        rng.choice(writers).id,
                        asked,
                        "The care records of three people, and the staff rota." if answer else "",
                        a.lead.id if answer else None,
                        answered if answer else None,
                    )
                )
        if rng.random() < 0.03:
            asked = at + datetime.timedelta(days=rng.randint(1, 5), hours=2)
            if asked < self.now:
                decided = asked + datetime.timedelta(days=1)
                pending = decided >= self.now
                # Granted only where the story allows it: decided while the check was open (before the provider
                # answered or the report was withdrawn), and not for a check the story closes unanswered on its
                # original date.
                can_grant = (
                    not pending
                    and (not stages or decided < stages[0])
                    and (a.plan["withdrawn"] is None or decided < a.plan["withdrawn"])
                    and (still_open or a.plan["route"] != "no_response")
                )
                granted = can_grant and rng.random() < EXTENSION_GRANTED_SHARE
                manager = b.teams[loc.team.id].manager
                requester = rng.choice(writers)
                asked_due = report.window.due_date
                pk = b.t_extension.new_id()
                new_due = None
                if granted:
                    new_due = b.wd(asked_due, EXTENSION_DAYS)
                    self._extension_granted(report, pk, requester, manager, new_due, decided)
                b.t_extension.add(
                    (
                        pk,
                        report.id,
                        "Our registered manager is on leave until after the deadline.",
                        requester.id,
                        asked,
                        asked_due,
                        "pending" if pending else "granted" if granted else "refused",
                        None if pending else manager.id,
                        None if pending else decided,
                        ""
                        if pending
                        else texts.EXTENSION_GRANTED
                        if granted
                        else "The registered manager's delegate can check the report.",
                        new_due,
                    )
                )

    def _extension_granted(
        self, report: ReportRecord, pk: int, requester: Person, manager: Person, new_due, at: datetime.datetime
    ) -> None:
        """More time for the check (as ``extension_decide`` and ``deadline_extend``): the window's new date, both
        audit events, and the messages to the person who asked and to the people the window binds."""
        loc, b = self.loc, self.b
        window = report.window
        old_due = window.due_date
        reason = texts.EXTENSION_GRANTED
        window.extend(to=new_due, days=EXTENSION_DAYS, reason=reason, by=manager, at=at)
        label = Kind.FACTUAL_ACCURACY_CHECK.value.replace("_", " ").capitalize()
        b.audit(
            at,
            manager,
            "deadline",
            window.id,
            f"{label} – {window.description} – due {new_due:%-d %b %Y}",
            loc.provider.id,
            "deadline.extend",
            "open",
            "open",
            reason=reason,
            data={"from_due_date": old_due.isoformat(), "to_due_date": new_due.isoformat()},
        )
        b.audit(
            at,
            manager,
            "report",
            report.id,
            self._report_str(report),
            loc.provider.id,
            "report.extension.decide",
            "",
            "granted",
            reason=reason,
        )
        url = b.urls["report"].format(report.id)
        b.notify(
            requester,
            at=at,
            subject=f"Your request for more time: {loc.name}",
            body=f"We have given you until the end of {new_due:%A %-d %B %Y}.\n\nOur reason: {reason}",
            link=url,
            kind="report.extension.decided",
            key=f"extension:{pk}:decided",
        )
        rule = RULES[Kind.FACTUAL_ACCURACY_CHECK]
        body = "\n".join(
            [
                f"The due date has moved from {old_due:%-d %B %Y} to {new_due:%A %-d %B %Y}. Reason: {reason}",
                "",
                f"{rule.label}: {window.description}",
                f"Due: {new_due:%A %-d %B %Y} (by the end of the day)",
                "",
                "How this date was worked out:",
                b.clock.explanation(window.kind, window.start_date, window.extension_days),
            ]
        )
        for person in b.contacts(loc, at.astimezone(LONDON).date()):
            b.notify(
                person,
                at=at,
                subject=f"Deadline extended: {rule.label.lower()} – {window.description}",
                body=body,
                link=window.url,
                kind="deadline.changed",
                key=f"deadline:{window.id}:extend:{new_due.isoformat()}:{new_due.isoformat()}:{person.id}",
            )

    def _comments(self, report: ReportRecord, at: datetime.datetime, by: Person) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        writers = [p for p in (loc.manager, loc.provider.nominated_individual, *loc.provider.colleagues[:3]) if p]
        submission_id = b.t_submission.new_id()
        report.submission = (submission_id, by, at)
        for comment in report.comments:
            comment["submission_id"] = submission_id
        for _ in range(rng.randint(1, 4) if not report.comments else 0):
            section = rng.choice(report.sections)
            created = report.sent_at + (at - report.sent_at) * rng.random() * 0.9
            report.comments.append(
                {
                    "id": b.t_comment.new_id(),
                    "section": section,
                    "kind": rng.choice(("typographical", "inaccurate", "omitted")),
                    "text": rng.choice(texts.COMMENTS).format(n=rng.randint(2, 4), m=rng.randint(3, 5)),
                    "by": rng.choice(writers),
                    "created_at": created,
                    "submission_id": submission_id,
                    "outcome": "",
                }
            )

    def _respond_event(self, at: datetime.datetime, report: ReportRecord, comment: dict) -> None:
        if report.state == "responding":
            self._respond(report, comment, at)

    def _respond(self, report: ReportRecord, comment: dict, at: datetime.datetime) -> None:
        if comment["outcome"] or at >= self.now:
            return
        outcome = self.rng.choices(("accepted", "partly_accepted", "not_accepted"), weights=(0.4, 0.3, 0.3))[0]
        comment.update(
            outcome=outcome, response=texts.RESPONSES[outcome], responded_by=report.assessment.lead, responded_at=at
        )
        if outcome != "not_accepted" and not comment["section"]["body"].endswith("comments."):
            comment["section"]["body"] += "\n\nAmended after the provider's factual accuracy comments."
            report.changed = True
        section = comment["section"]
        if (
            outcome == "accepted"
            and section["kind"] == "statement"
            and self.loc.rated
            and report.assessment.scores.get(section["statement_id"], 4) < 4
            and self.rng.random() < SCORE_CHANGE_SHARE
        ):
            self._amend_score(report, section, at)

    def _amend_score(self, report: ReportRecord, section: dict, at: datetime.datetime) -> None:
        """The comment showed evidence the score missed: it goes up by one, with why (as ``statement_score_amend``
        does), and the report's key question and overall ratings follow the new working."""
        loc, b, a = self.loc, self.b, report.assessment
        sid = section["statement_id"]
        before = a.scores[sid]
        reason = self.rng.choice(texts.SCORE_CHANGE)
        a.scores[sid] = section["score"] = before + 1
        a.score_changes.append((sid, before, before + 1, reason, "factual_accuracy", a.lead, at))
        working = self.working(at)
        by_kq = {kq.key_question: kq for kq in working.key_questions}
        for s in report.sections:
            if s["kind"] == "key_question" and s["key_question"] in by_kq:
                kq = by_kq[s["key_question"]]
                s["rating"] = kq.rating.slug if kq.rating else ""
                s["score"] = kq.result.published_score if kq.result else None
                s["body"] = kq.explanation
            elif s["kind"] == "overall":
                overall = working.overall.slug if working.overall else ""
                if overall != s["rating"]:
                    s["rating"] = overall
                    if s["body"] and overall in texts.OVERALL:
                        s["body"] = texts.OVERALL[overall].format(name=loc.name)
        report.changed = True
        slug = next(st.slug for st in b.statements if st.id == sid)
        b.audit(
            at,
            a.lead,
            "assessment",
            a.id,
            self._assessment_str(a),
            loc.provider.id,
            "assessment.score_amend",
            str(before),
            str(before + 1),
            reason=reason,
            data={"statement": slug, "context": "factual_accuracy"},
        )
        b.count("scores amended after comments")
        self.recalculate(at)

    def _report_withdraw(self, at: datetime.datetime, report: ReportRecord) -> None:
        if report.state in ("published", "withdrawn"):
            return
        loc, b = self.loc, self.b
        before = report.state
        report.state = "withdrawn"
        report.withdrawn_reason = "New concerns were raised after the visit. We will assess the service again."
        manager = b.teams[loc.team.id].manager
        for d in (report.target, report.window):
            if d is not None:
                d.cancel(at)
        b.audit(
            at,
            manager,
            "report",
            report.id,
            self._report_str(report),
            loc.provider.id,
            "report.withdraw",
            before,
            "withdrawn",
            reason=report.withdrawn_reason,
        )
        self._plan_next(at.date() + datetime.timedelta(days=self.rng.randint(40, 120)))

    def _publish(self, at: datetime.datetime, report: ReportRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        a = report.assessment
        before = "ready_to_publish"
        report.state, report.published_at = "published", at
        self._freeze(report, a.lead, "Published", at, only_if_changed=True)
        today = at.astimezone(LONDON).date()
        url = b.urls["report"].format(report.id)
        b.audit(
            at,
            a.lead,
            "report",
            report.id,
            self._report_str(report),
            loc.provider.id,
            "report.publish",
            before,
            "published",
        )
        rows = {
            ("overall" if s["kind"] == "overall" else s["key_question"]): s["rating"]
            for s in report.sections
            if s["kind"] in ("overall", "key_question") and s["rating"]
        }
        if rows:
            self._ratings_publish(report, rows, at, today)
            report.review_window = b.deadline(
                Kind.RATING_REVIEW_REQUEST_WINDOW,
                "report",
                report.id,
                f"Request a review of the ratings of {loc.name}",
                b.urls["review_request"].format(report.id),
                loc,
                None,
                today,
                at,
            )
            self._special_measures_check(at, a)
            self._maybe_review(at, report)
        report.target.meet(at)
        b.public_event(
            loc,
            "report_published",
            at,
            f"Report on {loc.name} published",
            b.urls["public_report"].format(loc.cqc_id, report.id),
            f"report:{report.id}:published",
        )
        for person in b.contacts(loc, today) if b.recent(at) else ():
            b.notify(
                person,
                at=at,
                subject=f"Report on {loc.name} published",
                body=f"We have published our report on {loc.name}.",
                link=url,
                kind="report.published",
                key=f"report:{report.id}:published:{person.id}",
            )
        overall = rows.get("overall", "")
        years = self._interval(overall) * rng.uniform(0.7, 1.3)
        self._plan_next(today + datetime.timedelta(days=max(60, round(365 * years))))

    def _ratings_publish(self, report: ReportRecord, rows: dict[str, str], at: datetime.datetime, today) -> None:
        b = self.b
        for kq, rating in rows.items():
            old = self.current.get(kq)
            if old is not None:
                old.current = False
            row = RatingRow(b.t_published.new_id(), kq, rating, today, str(report.id), "assessment", at)
            self.rows.append(row)
            self.current[kq] = row
        if (
            self.previous
            and self.previous_until is None
            and all(self.current[kq].source == "assessment" for kq in KEY_QUESTIONS if kq in self.current)
        ):
            self.previous_until = at

    # --- special measures and escalation ----------------------------------------------------------------------

    def _overall_history(self) -> list[RatingRow]:
        rows = sorted(
            (r for r in self.rows if r.key_question == "overall" and r.source == "assessment"),
            key=lambda r: (r.report_date, r.created_at, r.id),
            reverse=True,
        )
        history, seen = [], set()
        for row in rows:
            if row.link in seen:
                continue
            seen.add(row.link)
            history.append(row)
            if len(history) == 3:
                break
        return history

    def _special_measures_check(self, at: datetime.datetime, a: AssessmentRecord | None) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        today = at.astimezone(LONDON).date()
        history = self._overall_history()
        if not history:
            return
        latest = history[0]
        open_record = next((r for r in self.specials if r[2] == "in_special_measures"), None)
        manager = b.teams[loc.team.id].manager
        if open_record is not None and latest.rating != "inadequate" and latest.id != open_record[1].id:
            leave = at + datetime.timedelta(days=rng.randint(3, 15))
            self.push(
                leave,
                self._special_measures_close,
                open_record,
                "left_improved",
                f"Rated {latest.rating.replace('_', ' ')} overall in the report published {today:%-d %B %Y}.",
            )
        elif open_record is not None and latest.rating == "inadequate" and latest.id != open_record[1].id:
            if rng.random() < 0.1:
                self.push(
                    at + datetime.timedelta(days=rng.randint(5, 20)),
                    self._special_measures_close,
                    open_record,
                    "cancellation_proposed",
                    "Still inadequate at the re-assessment: we propose to cancel the registration.",
                )
        if latest.rating == "inadequate" and open_record is None and not any(r[1] is latest for r in self.specials):
            pk = b.t_special.new_id()
            lead = self._lead_for(latest) or (a.lead if a else manager)
            review_by = b.clock.due(Kind.SPECIAL_MEASURES_REASSESSMENT, today)
            reason = f"Rated inadequate overall in the report published {latest.report_date:%-d %B %Y}."
            deadline = b.deadline(
                Kind.SPECIAL_MEASURES_REASSESSMENT,
                "specialmeasures",
                pk,
                f"Re-assess {loc.name} (in special measures)",
                b.urls["special_measures"].format(pk),
                loc,
                lead,
                today,
                at,
            )
            record = [pk, latest, "in_special_measures", reason, today, review_by, "", None, None, at, deadline]
            self.specials.append(record)
            b.audit(
                at,
                manager,
                "specialmeasures",
                pk,
                f"Special measures at {loc.name} since {today:%-d %B %Y}",
                loc.provider.id,
                "special_measures.enter",
                "",
                "in_special_measures",
                reason=reason,
            )
        run = 0
        for row in history:
            if row.rating != "requires_improvement":
                break
            run += 1
        if run < 2:
            return
        kind = "management_review_meeting" if run >= 3 else "consider_regulation_17"
        dates = [f"{r.report_date:%-d %B %Y}" for r in reversed(history[: min(run, 3)])]
        reason = (
            f"Rated requires improvement overall at {'three' if run >= 3 else 'two'} assessments in a row: "
            f"reports of {', '.join(dates[:-1])} and {dates[-1]}."
        )
        if any(t[1] == kind and (t[5] is None or t[5] > at) for t in self.tasks):
            return
        if any(t[1] == kind and t[2] is latest for t in self.tasks):
            return
        if kind == "management_review_meeting":
            meeting = today + datetime.timedelta(days=rng.randint(10, 30))
            scheduled = at + datetime.timedelta(days=rng.randint(2, 7))
            done = datetime.datetime.combine(
                meeting + datetime.timedelta(days=rng.randint(1, 10)), datetime.time(15), LONDON
            )
        else:
            meeting, scheduled = None, None
            done = at + datetime.timedelta(days=rng.randint(20, 90))
        task = [b.t_task.new_id(), kind, latest, reason, at, done, meeting, manager, scheduled]
        self.tasks.append(task)
        b.audit(
            at,
            manager,
            "escalationtask",
            task[0],
            f"Escalation: {loc.name}",
            loc.provider.id,
            "escalation_task.open",
            "",
            "open",
            reason=reason,
        )

    def _lead_for(self, row: RatingRow):
        for a in self.assessments:
            if a.report is not None and str(a.report.id) == row.link:
                return a.lead
        return None

    def _special_measures_close(self, at: datetime.datetime, record: list, state: str, outcome: str) -> None:
        if record[2] != "in_special_measures":
            return
        loc, b = self.loc, self.b
        manager = b.teams[loc.team.id].manager
        record[2], record[6], record[7], record[8] = state, outcome, manager, at
        if state == "left_improved":
            record[10].meet(at)
        else:
            record[10].cancel(at)
        b.audit(
            at,
            manager,
            "specialmeasures",
            record[0],
            f"Special measures at {loc.name} since {record[4]:%-d %B %Y}",
            loc.provider.id,
            "special_measures.leave" if state == "left_improved" else "special_measures.propose_cancellation",
            "in_special_measures",
            state,
            reason=outcome,
        )

    # --- enforcement ------------------------------------------------------------------------------------------

    def _action_str(self, action: ActionRecord) -> str:
        what = PROPOSAL_LABELS.get(action.proposal, "")
        return f"{KIND_LABELS[action.kind]}{': ' + what if what else ''}"

    def _enforcement(self, at: datetime.datetime, a: AssessmentRecord, working) -> datetime.datetime | None:
        """Actions decided on the assessment's findings; returns when the last was served, if one was."""
        loc, b, rng = self.loc, self.b, self.rng
        if working is not None:
            inadequate = [k.key_question for k in working.key_questions if k.rating == ratings.Rating.INADEQUATE]
            weak = [k.key_question for k in working.key_questions if k.rating == ratings.Rating.REQUIRES_IMPROVEMENT]
            overall_inadequate = working.overall == ratings.Rating.INADEQUATE
        else:
            unmet = {
                next(st.key_question for st in b.statements if st.id == sid) for sid, _, met in a.judgements if not met
            }
            inadequate, weak, overall_inadequate = [], sorted(unmet), False
        kinds = []
        if inadequate:
            if rng.random() < 0.45:
                kinds.append(("warning_notice", "", inadequate))
            if overall_inadequate and rng.random() < 0.15:
                kinds.append(("notice_of_proposal", rng.choice(list(PROPOSAL_LABELS)), inadequate))
            if overall_inadequate and rng.random() < 0.04:
                kinds.append(("urgent", rng.choice(("impose_conditions", "suspend")), inadequate))
            if rng.random() < 0.02:
                kinds.append((rng.choice(("fixed_penalty_notice", "simple_caution", "prosecution")), "", inadequate))
        elif weak and rng.random() < (0.5 if working is not None else 0.35):
            kinds.append(("requirement_notice", "", weak))
        if not kinds:
            return None
        team = b.teams[loc.team.id]
        decided_day = b.wd(at.astimezone(LONDON).date(), 1)
        served = None
        for n, (kind, proposal, kqs) in enumerate(kinds):
            decided = self.t(decided_day, a.plan, n)
            breaches = []
            for kq in kqs[:3]:
                regulation = rng.choice(BREACH_REGULATIONS[kq])
                if all(r != regulation for r, _ in breaches):
                    breaches.append((regulation, kq))
            action = ActionRecord(
                id=b.t_action.new_id(),
                kind=kind,
                proposal=proposal,
                assessment=a,
                summary=texts.ACTION_SUMMARIES[kind].format(proposal=PROPOSAL_LABELS.get(proposal, "").lower()),
                decided_by=team.manager,
                decided_at=decided,
                breaches=breaches,
            )
            self.actions.append(action)
            b.audit(
                decided,
                team.manager,
                "enforcementaction",
                action.id,
                self._action_str(action),
                loc.provider.id,
                "enforcement.record",
                "",
                "draft",
                reason="The findings of the assessment.",
            )
            serve_at = decided + datetime.timedelta(minutes=30)
            self.push(serve_at, self._serve, action)
            served = serve_at
            b.count(f"enforcement: {kind}")
        return served

    def _serve(self, at: datetime.datetime, action: ActionRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        today = at.astimezone(LONDON).date()
        url = b.urls["action"].format(action.id)
        if action.kind in ("warning_notice", "notice_of_proposal"):
            action.state, action.served_on = "served", today
            kind = (
                Kind.REPRESENTATIONS_WARNING_NOTICE
                if action.kind == "warning_notice"
                else Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL
            )
            action.window = b.deadline(
                kind,
                "enforcementaction",
                action.id,
                f"Representations on the {KIND_LABELS[action.kind].lower()}",
                url,
                loc,
                None,
                today,
                at,
            )
            told = f"You may make written representations by the end of {action.window.due_date:%A %-d %B %Y}."
        else:
            action.state, action.served_on, action.effective_on = "in_effect", today, today
            told = "It takes effect today."
            if action.kind == "urgent":
                self._appeal_window(at, action)
        b.audit(
            at,
            action.decided_by,
            "enforcementaction",
            action.id,
            self._action_str(action),
            loc.provider.id,
            "enforcement.serve",
            "draft",
            action.state,
        )
        if action.kind in LIMIT_FOR:
            for kq in sorted({kq for _, kq in action.breaches}):
                limit = LimitRecord(
                    b.t_limit.new_id(),
                    kq,
                    LIMIT_FOR[action.kind],
                    f"{KIND_LABELS[action.kind]} served on {today:%-d %B %Y}: {action.summary}"[:500],
                    today,
                    action,
                )
                action.limits.append(limit)
                self.limits.append(limit)
            self.recalculate(at)
        if action.kind not in ("warning_notice", "notice_of_proposal"):
            self._action_publish(at, action)
        for person in b.contacts(loc, today) if b.recent(at) else ():
            b.notify(
                person,
                at=at,
                subject=f"{KIND_LABELS[action.kind]} served on {loc.provider.name}",
                body=f"We have served a {KIND_LABELS[action.kind].lower()} on {loc.provider.name} about {loc.name}."
                f"\n\n{action.summary}\n\n{told}",
                link=url,
                kind="enforcement.served",
                key=f"enforcement:{action.id}:served:{person.id}",
            )
        if action.window is None:
            return
        senders = [p for p in (loc.manager, loc.provider.nominated_individual, loc.provider.chief_executive) if p]
        due_at = action.window.due_at
        if senders and rng.random() < (0.5 if action.kind == "warning_notice" else 0.6):
            sent = min(at + (due_at - at) * rng.uniform(0.3, 0.9), due_at - datetime.timedelta(hours=1))
            self.push(sent, self._representations, action, rng.choice(senders))
            if sent >= self.now and rng.random() < 0.7:
                drafted = at + (min(sent, self.now) - at) * rng.uniform(0.2, 0.9)
                self._draft_representation(action, rng.choice(senders), drafted)
        else:
            self.push(due_at + datetime.timedelta(microseconds=1) + SWEEP_LAG, self._representations_closed, action)

    def _draft_representation(self, action: ActionRecord, by: Person, at: datetime.datetime) -> None:
        activity = self.loc.activities[0]
        action.representations.append([self.b.t_representation.new_id(), activity, by, at, None, None, "", None, None])

    def _representations(self, at: datetime.datetime, action: ActionRecord, by: Person) -> None:
        if action.state != "served":
            return
        loc, b, rng = self.loc, self.b, self.rng
        for activity in rng.sample(loc.activities, min(len(loc.activities), rng.randint(1, 2))):
            action.representations.append([b.t_representation.new_id(), activity, by, at, by, at, "", None, None])
        action.state = "representations_closed"
        action.window.meet(at)
        today = at.astimezone(LONDON).date()
        action.response_target = b.deadline(
            Kind.REPRESENTATIONS_RESPONSE_TARGET,
            "enforcementaction",
            action.id,
            "Respond to the representations",
            b.urls["action"].format(action.id),
            loc,
            action.decided_by,
            today,
            at,
        )
        b.audit(
            at,
            by,
            "enforcementaction",
            action.id,
            self._action_str(action),
            loc.provider.id,
            "enforcement.representations.submit",
            "served",
            "representations_closed",
        )
        respond = at + datetime.timedelta(days=rng.randint(6, 26))
        self.push(respond, self._respond_representations, action)

    def _respond_representations(self, at: datetime.datetime, action: ActionRecord) -> None:
        for rep in action.representations:
            if rep[5] is not None and not rep[6]:
                rep[6], rep[7], rep[8] = (
                    "We have considered your representations and the evidence with them.",
                    action.decided_by,
                    at,
                )
        action.response_target.meet(at)
        self.push(at + datetime.timedelta(days=self.rng.randint(1, 7)), self._decide, action)

    def _representations_closed(self, at: datetime.datetime, action: ActionRecord) -> None:
        """The sweep closes the window with no representations (``representations_window_closed``)."""
        if action.state != "served":
            return
        action.state = "representations_closed"
        self.b.audit(
            at,
            None,
            "enforcementaction",
            action.id,
            self._action_str(action),
            self.loc.provider.id,
            "enforcement.representations.none",
            "served",
            "representations_closed",
        )
        if action.kind == "warning_notice":
            action.state = "in_effect"
            action.effective_on = action.effective_on or at.astimezone(LONDON).date()
            self._action_publish(at, action)
        else:
            self.push(at + datetime.timedelta(days=self.rng.randint(5, 20), hours=10), self._decide, action)

    def _decide(self, at: datetime.datetime, action: ActionRecord) -> None:
        if action.state != "representations_closed":
            return
        loc, b, rng = self.loc, self.b, self.rng
        today = at.astimezone(LONDON).date()
        if rng.random() < 0.18:
            action.state, action.outcome = "withdrawn", "The provider put the breach right before our decision."
            for limit in action.limits:
                limit.lifted_on = limit.lifted_on or today
            self.recalculate(at)
        elif action.kind == "notice_of_proposal":
            action.state = "decision_served"
            action.outcome = f"Proposal adopted: notice of decision served on {today:%-d %B %Y}."
            self._appeal_window(at, action)
        else:
            action.state = "in_effect"
            action.effective_on = action.effective_on or today
            self._action_publish(at, action)
        b.audit(
            at,
            action.decided_by,
            "enforcementaction",
            action.id,
            self._action_str(action),
            loc.provider.id,
            "enforcement.decide",
            "representations_closed",
            action.state,
        )

    def _appeal_window(self, at: datetime.datetime, action: ActionRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        today = at.astimezone(LONDON).date()
        action.appeal_window = b.deadline(
            Kind.TRIBUNAL_APPEAL_WINDOW,
            "enforcementaction",
            action.id,
            "Appeal to the First-tier Tribunal",
            b.urls["action"].format(action.id),
            loc,
            None,
            today,
            at,
        )
        if rng.random() < 0.25:
            lodged = today + datetime.timedelta(days=rng.randint(5, 27))
            self.push(self.t(lodged, {"secs": [36000]}, 0), self._appeal, action, lodged)
        elif action.state == "decision_served":
            close = action.appeal_window.due_at + datetime.timedelta(microseconds=1) + SWEEP_LAG
            self.push(close, self._take_effect, action)

    def _appeal(self, at: datetime.datetime, action: ActionRecord, lodged: datetime.date) -> None:
        if action.state not in ("decision_served", "in_effect"):
            return
        loc, b, rng = self.loc, self.b, self.rng
        before = action.state
        action.state = "appealed"
        action.appeal = [b.t_appeal.new_id(), lodged, action.decided_by, "", None, ""]
        action.appeal_window.meet(at)
        b.audit(
            at,
            action.decided_by,
            "enforcementaction",
            action.id,
            self._action_str(action),
            loc.provider.id,
            "enforcement.appeal",
            before,
            "appealed",
        )
        decided = at + datetime.timedelta(days=rng.randint(90, 270))
        self.push(decided, self._appeal_outcome, action)

    def _appeal_outcome(self, at: datetime.datetime, action: ActionRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        outcome = rng.choices(("dismissed", "allowed", "withdrawn", "varied"), weights=(0.55, 0.15, 0.2, 0.1))[0]
        label = dict(Appeal.Outcome.choices)[outcome]
        today = at.astimezone(LONDON).date()
        action.appeal[3:6] = [outcome, today, "The tribunal's decision is attached."]
        action.state = "concluded"
        action.outcome = f"{label} ({today:%-d %B %Y}). The tribunal's decision is attached."
        if outcome == "allowed":
            for limit in action.limits:
                limit.lifted_on = limit.lifted_on or today
            self.recalculate(at)
        elif action.published_at is None:
            self._action_publish(at, action)
        b.audit(
            at,
            action.decided_by,
            "enforcementaction",
            action.id,
            self._action_str(action),
            loc.provider.id,
            "enforcement.appeal_outcome",
            "appealed",
            "concluded",
            reason=action.outcome,
        )

    def _take_effect(self, at: datetime.datetime, action: ActionRecord) -> None:
        """No appeal in 28 days: the notice of decision takes effect and is published (the sweep)."""
        if action.state != "decision_served":
            return
        action.state, action.effective_on = "in_effect", at.astimezone(LONDON).date()
        self.b.audit(
            at,
            None,
            "enforcementaction",
            action.id,
            self._action_str(action),
            self.loc.provider.id,
            "enforcement.effect",
            "decision_served",
            "in_effect",
        )
        self._action_publish(at, action)

    def _action_publish(self, at: datetime.datetime, action: ActionRecord) -> None:
        """Published: on the profile, and the published ratings now show its limits (``published_ratings_refresh``)."""
        loc, b = self.loc, self.b
        if at >= self.now:
            return
        action.published_at = at
        b.public_event(
            loc,
            "enforcement_published",
            at,
            f"{KIND_LABELS[action.kind]}: {loc.name}",
            b.urls["location"].format(loc.cqc_id),
            f"enforcement:{action.id}:published",
        )
        if not loc.rated:
            return
        current = {kq: row for kq, row in self.current.items() if row.source == "assessment"}
        if not current:
            return
        working = self.working(at, published_only=True)
        wanted = working.ratings()
        changed = [kq for kq, rating in wanted.items() if kq in current and current[kq].rating != rating]
        if not changed:
            return
        for kq in changed:
            old = current[kq]
            old.current = False
            row = RatingRow(b.t_published.new_id(), kq, wanted[kq], old.report_date, old.link, "assessment", at)
            self.rows.append(row)
            self.current[kq] = row
        self._special_measures_check(at, action.assessment)

    # --- rating reviews ---------------------------------------------------------------------------------------

    def _maybe_review(self, at: datetime.datetime, report: ReportRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        senders = [p for p in (loc.manager, loc.provider.nominated_individual, loc.provider.chief_executive) if p]
        if not senders or (self.actions and self.actions[-1].decided_at > at - datetime.timedelta(days=400)):
            return
        if rng.random() >= 0.03:
            return
        window = report.review_window
        drafted = b.wd(at.astimezone(LONDON).date(), rng.randint(1, 10))
        if drafted > window.due_date:
            return
        created = self.t(drafted, report.assessment.plan, 5)
        rated = [
            "overall" if s["kind"] == "overall" else s["key_question"]
            for s in report.sections
            if s["kind"] in ("overall", "key_question") and s["rating"]
        ]
        review = ReviewRecord(
            id=b.t_review.new_id(),
            report=report,
            created_by=rng.choice(senders),
            created_at=created,
            challenges=rng.sample(rated, min(len(rated), rng.randint(1, 2))),
        )
        if created >= self.now:
            return
        review.updated_at = created
        report.review = review
        if rng.random() < 0.9:
            submitted = created + datetime.timedelta(days=rng.randint(0, 3), hours=1)
            if submitted <= window.due_at:
                self.push(submitted, self._review_submit, review, rng.choice(senders))

    def _review_submit(self, at: datetime.datetime, review: ReviewRecord, by: Person) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        report = review.report
        review.state, review.submitted_by, review.submitted_at, review.updated_at = "submitted", by, at, at
        report.review_window.meet(at)
        review.target = b.deadline(
            Kind.RATING_REVIEW_TARGET,
            "ratingreview",
            review.id,
            f"Rating review of {loc.name}",
            b.urls["review"].format(review.id),
            loc,
            report.assessment.lead,
            at.astimezone(LONDON).date(),
            at,
        )
        b.audit(
            at,
            by,
            "ratingreview",
            review.id,
            f"Rating review of report {report.id} (Submitted)",
            loc.provider.id,
            "rating_review.submit",
            "drafting",
            "submitted",
        )
        for person in b.deputies[:3]:
            b.notify(
                person,
                at=at,
                subject=f"Rating review requested: {loc.name}",
                body=f"{loc.provider.name} asked for a review of {len(review.challenges)} rating(s) of the report on "
                f"{loc.name}. Check the grounds first.",
                link=b.urls["review"].format(review.id),
                kind="rating_review.submitted",
                key=f"rating-review:{review.id}:submitted:{person.id}",
            )
        day = at.astimezone(LONDON).date()
        plan = report.assessment.plan
        grounds = b.wd(day, rng.randint(1, 4))
        self.push(self.t(grounds, plan, 1), self._review_step, review, "grounds_check")
        if rng.random() < 0.35:
            refused = b.wd(grounds, rng.randint(3, 10))
            self.push(self.t(refused, plan, 2), self._review_step, review, "refused")
            self.push(self.t(b.wd(refused, rng.randint(1, 5)), plan, 3), self._review_step, review, "closed")
            return
        accepted = b.wd(grounds, rng.randint(2, 8))
        assigned = b.wd(accepted, rng.randint(1, 3))
        recommended = b.wd(assigned, rng.randint(10, 25))
        decided = b.wd(recommended, rng.randint(3, 10))
        published = b.wd(decided, rng.randint(1, 5))
        closed = b.wd(published, rng.randint(2, 15))
        for day_, state, k in (
            (accepted, "accepted", 2),
            (assigned, "independent_review", 3),
            (recommended, "recommended", 4),
            (decided, "decided", 5),
            (published, "outcome_published", 6),
            (closed, "closed", 7),
        ):
            self.push(self.t(day_, plan, k), self._review_step, review, state)

    def _review_step(self, at: datetime.datetime, review: ReviewRecord, state: str) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        team = b.teams[loc.team.id]
        before = review.state
        review.state = state
        actor = team.coordinator
        action = {
            "grounds_check": "rating_review.grounds_check",
            "refused": "rating_review.refuse",
            "accepted": "rating_review.accept",
            "independent_review": "rating_review.reviewer",
            "recommended": "rating_review.recommend",
            "decided": "rating_review.decide",
            "outcome_published": "rating_review.publish_outcome",
            "closed": "rating_review.close",
        }[state]
        if state == "grounds_check":
            review.checker = team.coordinator
        elif state == "refused":
            review.refusal = texts.REFUSAL
            review.target.meet(at)
        elif state == "independent_review":
            others = [p for t in b.people.teams if t.id != team.id for p in t.inspectors]
            if others and rng.random() < 0.85:
                review.reviewer = rng.choice(others)
            else:
                review.external = "Dr Alex Morgan, independent reviewer"
        elif state == "recommended":
            review.recommendation, review.recommended_at = texts.RECOMMENDATION, at
            actor = review.reviewer or team.coordinator
        elif state == "decided":
            actor = rng.choice(b.deputies)
            review.decided_by, review.decided_at, review.decision = actor, at, texts.DECISION
            self._review_decide(at, review)
            review.target.meet(at)
        elif state == "outcome_published":
            review.outcome_at = at
            summary = (
                "; ".join(
                    f"{'Overall' if k == 'overall' else KQ_LABELS[k]}: {f.replace('_', ' ')} to {t.replace('_', ' ')}"
                    for k, f, t in review.changes
                )
                or "no rating changed"
            )
            b.public_event(
                loc,
                "report_published",
                at,
                f"Rating review of {loc.name} decided: {summary}",
                b.urls["location"].format(loc.cqc_id),
                f"rating-review:{review.id}:outcome",
            )
        elif state == "closed":
            review.closed_at = at
        label = state.replace("_", " ").capitalize()
        b.audit(
            at,
            actor,
            "ratingreview",
            review.id,
            f"Rating review of report {review.report.id} ({label})",
            loc.provider.id,
            action,
            before,
            state,
        )

    def _review_decide(self, at: datetime.datetime, review: ReviewRecord) -> None:
        """One in five decisions changes a rating: the report, the published and calculated ratings follow."""
        rng = self.rng
        report = review.report
        a = report.assessment
        if rng.random() >= 0.2:
            return
        before = {
            ("overall" if s["kind"] == "overall" else s["key_question"]): s["rating"]
            for s in report.sections
            if s["kind"] in ("overall", "key_question") and s["rating"]
        }
        candidates = [k for k in KEY_QUESTIONS if before.get(k) in ("requires_improvement", "good", "inadequate")]
        if not candidates:
            return
        key = rng.choice(candidates)
        working = self.working(at, preview=a)
        calculated = next(k for k in working.key_questions if k.key_question == key)
        up = ratings.Rating(min(4, ratings.Rating.from_slug(before[key]) + 1)).slug
        a.departures[key] = Departure(
            key, calculated.result.rating.slug if calculated.result else before[key], up, texts.DECISION
        )
        working = self.working(at, preview=a)
        for s in report.sections:
            if s["kind"] == "overall":
                s["rating"] = working.overall.slug if working.overall else ""
            elif s["kind"] == "key_question":
                kq = next(k for k in working.key_questions if k.key_question == s["key_question"])
                s["rating"] = kq.rating.slug if kq.rating else ""
                s["score"] = kq.result.published_score if kq.result else None
        after = {
            ("overall" if s["kind"] == "overall" else s["key_question"]): s["rating"]
            for s in report.sections
            if s["kind"] in ("overall", "key_question") and s["rating"]
        }
        review.changes = [(k, before[k], after[k]) for k in before if after.get(k) and after[k] != before[k]]
        report.changed = True
        if review.changes:
            self._freeze(report, review.decided_by, "Ratings changed after a rating review", at)
            self._ratings_publish(report, after, at, at.astimezone(LONDON).date())
            self.recalculate(at)

    # --- writing ----------------------------------------------------------------------------------------------

    def _write(self) -> None:
        loc, b = self.loc, self.b
        for a in self.assessments:
            self._write_assessment(a)
        for action in self.actions:
            self._write_action(action)
        if self.recalculated_at is not None:
            self._write_location_ratings()
        for row in self.rows:
            b.t_published.add(
                (
                    row.id,
                    loc.id,
                    row.key_question,
                    row.rating,
                    row.report_date,
                    row.link,
                    row.source,
                    row.current,
                    row.created_at,
                )
            )
        for (
            pk,
            row,
            state,
            reason,
            entered,
            review_by,
            outcome,
            closed_by,
            closed_at,
            created,
            deadline,
        ) in self.specials:
            b.t_special.add(
                (
                    pk,
                    loc.id,
                    loc.provider.id,
                    row.id,
                    reason,
                    entered,
                    review_by,
                    state,
                    outcome,
                    closed_by.id if closed_by else None,
                    closed_at,
                    created,
                )
            )
            b.clock.write(deadline)
            b.count(f"special measures: {state}")
        for pk, kind, row, reason, created, done, meeting, manager, scheduled in self.tasks:
            state, notes, done_by, done_at = "open", "", None, None
            if done < self.now:
                state, notes, done_by, done_at = (
                    "done",
                    "Discussed with the provider; an improvement plan was agreed.",
                    manager,
                    done,
                )
            elif scheduled is not None and scheduled < self.now:
                state = "meeting_scheduled"
            else:
                meeting = None
            b.t_task.add(
                (
                    pk,
                    loc.id,
                    loc.provider.id,
                    kind,
                    row.id,
                    reason,
                    state,
                    meeting,
                    notes,
                    done_by.id if done_by else None,
                    done_at,
                    created,
                )
            )
            b.count(f"escalation task: {state}")

    def _write_assessment(self, a: AssessmentRecord) -> None:
        loc, b, rng = self.loc, self.b, self.rng
        p = a.plan
        state = a.state
        b.t_assessment.add(
            (
                a.id,
                loc.id,
                loc.provider.id,
                a.kind,
                state,
                a.lead.id,
                a.announced,
                p["onsite"] - datetime.timedelta(days=14) if a.announced else None,
                p["onsite_start"],
                p["onsite_end"],
                p["offsite_start"],
                p["offsite_end"],
                a.created_at,
                a.started_at,
                a.completed_at if state == "completed" else None,
            )
        )
        b.count(f"assessment: {state}")
        for sid in a.scope:
            b.t_scope.add((b.t_scope.new_id(), a.id, sid))
        for user, name, role in a.team:
            b.t_team.add((b.t_team.new_id(), a.id, user.id if user else None, name, role))
        by_id = {st.id: st for st in b.statements}
        scores = a.scores
        if state == "in_progress" and loc.rated:
            levels = self._levels(drift=False)
            share = (self.now - a.started_at) / max(p["completed"] - a.started_at, datetime.timedelta(hours=1))
            scores = {sid: self._score(by_id[sid], levels) for sid in a.scope[: int(len(a.scope) * min(1, share))]}
        if state in ("completed", "in_progress"):
            end = a.completed_at if state == "completed" else self.now
            amended: dict[int, list[tuple]] = {}
            for change in a.score_changes:
                amended.setdefault(change[0], []).append(change)
            for sid, score in scores.items():
                changes = amended.get(sid, ())
                # The findings stay those written with the first score: an amendment changes the score, with why.
                judgement, summary = self._score_text(by_id[sid], changes[0][1] if changes else score)
                scored = a.started_at + (end - a.started_at) * rng.random()
                self._evidence(a, sid, [rng.choice(b.categories) for _ in range(1 + (rng.random() < 0.5))], scored)
                by, version = a.lead, 1
                if changes:
                    by, scored, version = changes[-1][5], changes[-1][6], 1 + len(changes)
                b.t_score.add((b.t_score.new_id(), a.id, sid, score, summary, judgement, by.id, scored, version))
            for sid, before, after, reason, context, by, at in a.score_changes:
                b.t_score_change.add((b.t_score_change.new_id(), a.id, sid, before, after, reason, context, by.id, at))
            for sid, cat, met in a.judgements:
                self._evidence(a, sid, [cat], a.completed_at or self.now)
                b.t_judgement.add((b.t_judgement.new_id(), a.id, sid, cat, met, a.lead.id, a.completed_at))
        if state == "completed":
            b.t_outcome.add((b.t_outcome.new_id(), a.id, loc.id, a.outcome, a.completed_at))
        for key, d in a.departures.items():
            b.t_departure.add(
                (
                    b.t_departure.new_id(),
                    a.id,
                    key,
                    d.calculated_rating,
                    d.rating,
                    d.rationale,
                    a.report.review.decided_by.id,
                    a.report.review.decided_at,
                    d.review_state,
                )
            )
        if a.report is not None:
            self._write_report(a.report)

    def _evidence(self, a: AssessmentRecord, sid: int, categories: list[int], before: datetime.datetime) -> None:
        """The evidence behind one statement's score or judgement: a piece under each category, gathered between
        the start and ``before``; some with a document (one of the shared files)."""
        b, rng = self.b, self.rng
        gatherers = [a.lead, *(user for user, _, _ in a.team if user is not None)]
        start = a.started_at or a.created_at
        for category in categories:
            document = rng.choice(b.documents).path if b.documents and rng.random() < EVIDENCE_WITH_DOCUMENT else ""
            b.t_evidence.add(
                (
                    b.t_evidence.new_id(),
                    a.id,
                    sid,
                    category,
                    rng.choice(texts.EVIDENCE[b.categories.index(category) % len(texts.EVIDENCE)]),
                    rng.choice(texts.EVIDENCE_SOURCES),
                    document,
                    rng.choice(gatherers).id,
                    start + (before - start) * rng.random(),
                )
            )

    def _write_report(self, r: ReportRecord) -> None:
        loc, b = self.loc, self.b
        a = r.assessment
        b.t_report.add(
            (
                r.id,
                a.id,
                loc.id,
                loc.provider.id,
                r.state,
                r.quality_review_comments,
                a.lead.id,
                r.created_at,
                r.sent_at,
                r.closed_at,
                r.checked_by.id if r.checked_by else None,
                r.published_at,
                r.withdrawn_reason,
            )
        )
        b.count(f"report: {r.state}")
        for s in r.sections:
            b.t_section.add(
                (
                    s["id"],
                    r.id,
                    s["order"],
                    s["kind"],
                    s["key_question"],
                    s["statement_id"],
                    s["title"],
                    s["rating"],
                    s["score"],
                    s["body"],
                )
            )
        for pk, number, reason, snapshot, by, at in r.versions:
            b.t_version.add((pk, r.id, number, reason, snapshot, by.id, at))
        if r.submission is not None:
            pk, by, at = r.submission
            b.t_submission.add((pk, r.id, by.id, None, at))
        for c in r.comments:
            b.t_comment.add(
                (
                    c["id"],
                    r.id,
                    c["section"]["id"],
                    c["kind"],
                    c["text"],
                    c["by"].id,
                    c["created_at"],
                    c["by"].id,
                    c["created_at"],
                    c["submission_id"],
                    c["outcome"],
                    c.get("response", ""),
                    c["responded_by"].id if c.get("responded_by") else None,
                    c.get("responded_at"),
                )
            )
            if b.documents and self.rng.random() < COMMENT_WITH_FILE:
                doc = self.rng.choice(b.documents)
                # Sent with the comment, a moment after it was written (and never after the moment described).
                uploaded = min(c["created_at"] + datetime.timedelta(seconds=self.rng.randint(5, 90)), self.now)
                b.t_supporting_file.add(
                    (
                        b.t_supporting_file.new_id(),
                        c["id"],
                        doc.path,
                        doc.name,
                        doc.file_type,
                        doc.size,
                        doc.sha256,
                        c["by"].id,
                        max(uploaded, c["created_at"]),
                    )
                )
        for d in (r.target, r.window, r.review_window):
            if d is not None:
                b.clock.write(d)
        if r.review is not None:
            self._write_review(r.review)

    def _write_review(self, v: ReviewRecord) -> None:
        loc, b = self.loc, self.b
        b.t_review.add(
            (
                v.id,
                v.report.id,
                loc.id,
                loc.provider.id,
                v.state,
                v.created_by.id,
                v.created_at,
                v.created_by.id,
                v.updated_at,
                v.submitted_by.id if v.submitted_by else None,
                v.submitted_at,
                v.checker.id if v.checker else None,
                v.refusal,
                v.reviewer.id if v.reviewer else None,
                v.external,
                v.recommendation,
                v.recommended_at,
                v.decided_by.id if v.decided_by else None,
                v.decided_at,
                v.decision,
                v.outcome_at,
                v.closed_at,
            )
        )
        b.count(f"rating review: {v.state}")
        b.review_locations.add(loc.id)
        if v.state in ("submitted", "grounds_check", "accepted", "independent_review", "recommended", "decided"):
            b.reviews_under_way.add(loc.id)
            self._complaint_pausing(v)
        for key in v.challenges:
            b.t_challenge.add((b.t_challenge.new_id(), v.id, key, texts.REVIEW_GROUNDS))
        for key, before, after in v.changes:
            b.t_change.add((b.t_change.new_id(), v.id, key, before, after))
        if v.target is not None:
            b.clock.write(v.target)

    def _complaint_pausing(self, v: ReviewRecord) -> None:
        """Now and then a complaint about the regulator arrives while a review runs: its target stops
        (``rating_reviews_pause_recheck``), with the complaint's reason, until the complaint closes."""
        b, rng, loc = self.b, self.rng, self.loc
        target = v.target
        if target is None or rng.random() >= 0.3:
            return
        first = v.submitted_at.astimezone(LONDON).date() + datetime.timedelta(days=1)
        last = min(target.due_date, b.today) - datetime.timedelta(days=4)
        if last <= first:
            return
        received = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
        recorder = b.teams[loc.team.id].coordinator
        recorded = b.complaint(loc, received, recorder, keep_open=True)
        if recorded is not None and recorded.astimezone(LONDON).date() <= target.due_date:
            reason = f"A complaint about the regulator received {received:%-d %B %Y} is open."
            target.paused = (recorded.astimezone(LONDON).date(), reason, recorder)
            b.count("rating review target paused by a complaint")

    def _write_action(self, action: ActionRecord) -> None:
        loc, b = self.loc, self.b
        b.t_action.add(
            (
                action.id,
                action.kind,
                action.proposal,
                loc.provider.id,
                loc.id,
                action.assessment.id if action.assessment else None,
                action.summary,
                action.state,
                action.decided_by.id,
                action.decided_at,
                "The findings of the assessment showed a breach of the regulations.",
                action.served_on,
                action.effective_on,
                action.published_at,
                action.outcome,
                action.decided_at,
            )
        )
        b.count(f"enforcement state: {action.state}")
        for regulation, kq in action.breaches:
            b.t_breach.add((b.t_breach.new_id(), action.id, regulation, kq))
        for limit in action.limits:
            b.t_limit.add(
                (
                    limit.id,
                    loc.id,
                    limit.key_question,
                    limit.kind,
                    limit.reason,
                    limit.in_force_from,
                    limit.lifted_on,
                    action.id,
                )
            )
        for (
            pk,
            activity,
            by,
            updated,
            submitted_by,
            submitted_at,
            response,
            responded_by,
            responded_at,
        ) in action.representations:
            b.t_representation.add(
                (
                    pk,
                    action.id,
                    activity,
                    texts.REPRESENTATION,
                    by.id,
                    updated,
                    submitted_by.id if submitted_by else None,
                    None,
                    submitted_at,
                    response,
                    responded_by.id if responded_by else None,
                    responded_at,
                )
            )
            if b.documents and self.rng.random() < REPRESENTATION_WITH_FILE:
                doc = self.rng.choice(b.documents)
                b.t_representation_file.add(
                    (b.t_representation_file.new_id(), pk, doc.path, doc.name, doc.file_type, doc.size, by.id, updated)
                )
        if action.appeal is not None:
            pk, lodged, recorded_by, outcome, outcome_on, notes = action.appeal
            b.t_appeal.add((pk, action.id, lodged, recorded_by.id, outcome, outcome_on, notes))
        for d in (action.window, action.response_target, action.appeal_window):
            if d is not None:
                b.clock.write(d)

    def _write_location_ratings(self) -> None:
        from decimal import Decimal

        loc, b = self.loc, self.b
        at = self.recalculated_at
        # The working as it stands now. The portal recalculates on completion and on enforcement, and nothing
        # else changes the working since, except a report replacing the previous model's ratings (whose initial
        # scores then drop out): the stored ratings are what a recalculation would give, not a stale copy.
        working = self.working(self.now)
        for kq in working.key_questions:
            b.t_location_rating.add(
                (
                    b.t_location_rating.new_id(),
                    loc.id,
                    kq.key_question,
                    "rated",
                    Decimal(str(kq.result.percent)).quantize(Decimal("0.0001")) if kq.result else None,
                    kq.result.published_score if kq.result else None,
                    kq.result.rating.slug if kq.result else "",
                    kq.rating.slug if kq.rating else "",
                    kq.explanation,
                    kq.limit,
                    kq.departure.rationale if kq.departure else "",
                    "",
                    None,
                    at,
                )
            )
        b.t_location_rating.add(
            (
                b.t_location_rating.new_id(),
                loc.id,
                "overall",
                "rated",
                None,
                None,
                working.calculated_overall.slug if working.calculated_overall else "",
                working.overall.slug if working.overall else "",
                working.overall_explanation,
                "",
                working.overall_departure.rationale if working.overall_departure else "",
                "",
                None,
                at,
            )
        )
