"""Writes for assessment cases: the provider information request and its deadlines."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from assessments.models import (
    Assessment,
    AssessmentOutcome,
    AssessmentState,
    AssessmentTeamMember,
    InformationRequest,
    InformationRequestState,
    LocationRating,
    QualityStatement,
    RatingDeparture,
    StatementScore,
)
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_event_build, audit_event_record, audit_events_record_many
from cqcportal.core.bulk import insert_rows
from cqcportal.core.compiled import matches_any
from cqcportal.core.public_cache import public_pages_changed
from cqcportal.core.transitions import transition_many
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.registry import on_expiry_many
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_meet, deadline_open
from cqcportal.notifications.services import notification_queue
from cqcportal.register.models import Location

RESPONSE_MAX_CHARS = 20_000


class InformationRequestCannotSend(Exception):
    """Only the regulator's staff may request information, and an assessment has one waiting request at a time."""


class InformationRequestCannotSubmit(Exception):
    """The response cannot be accepted; the message says why, for the person submitting."""


class InformationRequestCannotReview(Exception):
    """Only staff may mark a submitted response reviewed."""


def _url(request: InformationRequest) -> str:
    return reverse("assessments:information-request", args=[request.pk])


def information_request_send(
    *,
    by,
    location,
    questions: str,
    today: datetime.date,
    now: datetime.datetime | None = None,
    assessment: Assessment | None = None,
) -> InformationRequest:
    """Ask the provider of ``location`` for information, opening its window (15 working days; 5 for an assessment).

    :raises InformationRequestCannotSend: when ``by`` is not regulator staff.
    """
    if not perms.is_regulator_staff(by):
        raise InformationRequestCannotSend("Only the regulator's staff can request information.")
    now = now or timezone.now()
    with transaction.atomic():
        if assessment is not None:
            # One waiting request per assessment: a second click or a colleague at the same moment finds it.
            Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
            if InformationRequest.objects.filter(
                assessment=assessment, state=InformationRequestState.REQUESTED
            ).exists():
                raise InformationRequestCannotSend(
                    "An information request for this assessment is already waiting for the provider."
                )
        request = InformationRequest.objects.create(
            location=location,
            provider=location.provider,
            questions=questions,
            requested_by=by,
            requested_at=now,
            assessment=assessment,
        )
        deadline = deadline_open(
            case=request,
            kind=request.window_kind,
            start_date=today,
            case_description=f"Information request for {location.name}",
            case_url=_url(request),
            location=location,
            owner=by,
            by=by,
        )
        audit_event_record(by=by, subject=request, action="information_request.send", to_state=request.state)
        for person in deadline_selectors.provider_contacts(
            provider_id=location.provider_id, location_id=location.pk, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"Information request for {location.name}: reply by {deadline.due_date:%-d %B %Y}",
                body=f"We have asked for information about {location.name}.\n\n{questions}\n\n"
                f"Please reply by {deadline.due_date:%A %-d %B %Y}.\n\nHow this date was worked out: "
                f"{deadline.explanation}",
                link_url=_url(request),
                kind="information_request.sent",
                dedupe_key=f"information_request:{request.pk}:sent:{person.pk}",
            )
    return request


def information_request_submit(
    *, by, request: InformationRequest, response: str, today: datetime.date, now: datetime.datetime | None = None
) -> InformationRequest:
    """Accept the provider's response, meet its deadline and give the inspector 10 working days to review it.

    :raises InformationRequestCannotSubmit: when the user may not answer for this provider, the window has
        closed, it was answered already, or the response is empty or too long.
    """
    now = now or timezone.now()
    response = response.strip()
    if not response:
        raise InformationRequestCannotSubmit("Enter your response.")
    if len(response) > RESPONSE_MAX_CHARS:
        raise InformationRequestCannotSubmit(
            f"Your response must be {RESPONSE_MAX_CHARS:,} characters or fewer; it has {len(response):,}."
        )
    if not perms.belongs_to_same_provider(by, request):
        raise InformationRequestCannotSubmit("You cannot answer for this organisation.")
    allowed, on_behalf_of = perms.can_act_as_registered_person(by, request, today=today)
    if not allowed:
        raise InformationRequestCannotSubmit(
            "Only a registered person (registered manager, nominated individual or chief executive), or a "
            "colleague they have named as their delegate, can answer an information request."
        )
    with transaction.atomic():
        # Lock the window before the request, in the same order as the sweep (deadline, then case), so a
        # submission at the last moment and the midnight sweep cannot deadlock.
        live = deadline_selectors.live_deadline_for(request, request.window_kind)
        if live is not None:
            Deadline.objects.select_for_update(of=("self",)).filter(pk=live.pk).first()
        locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state == InformationRequestState.SUBMITTED or locked.state == InformationRequestState.REVIEWED:
            raise InformationRequestCannotSubmit(
                f"This request was answered already, on {locked.submitted_at:%-d %B %Y at %H:%M}."
            )
        if not can_proceed(locked.submit):
            raise InformationRequestCannotSubmit(
                "This request closed on its deadline, so we cannot accept a response here. Contact your inspector."
            )
        deadline = deadline_selectors.live_deadline_for(locked, locked.window_kind)
        # While the clock is paused the window cannot close; the due date moves when it restarts.
        if deadline is not None and deadline.state == DeadlineState.OPEN and now > deadline.due_at:
            raise InformationRequestCannotSubmit(
                f"The deadline was the end of {deadline.due_date:%-d %B %Y}, so we cannot accept a response here. "
                "Contact your inspector."
            )
        before = locked.state
        locked.submit(by=by, on_behalf_of=on_behalf_of, at=now, response=response)
        locked.save()
        audit_event_record(
            by=by,
            on_behalf_of=on_behalf_of,
            subject=locked,
            action="information_request.submit",
            from_state=before,
            to_state=locked.state,
        )
        if deadline is not None:
            deadline_meet(deadline=deadline, by=by, on_behalf_of=on_behalf_of, at=now)
        review = deadline_open(
            case=locked,
            kind=Kind.RESPONSE_TARGET,
            start_date=today,
            case_description=f"Review the information from {locked.location.name}",
            case_url=_url(locked),
            location=locked.location,
            owner=locked.requested_by,
            by=by,
        )
        notification_queue(
            recipient=by,
            subject=f"Copy of your response: information request for {locked.location.name}",
            body=f"You sent this response on {now:%-d %B %Y at %H:%M}"
            + (f", on behalf of {on_behalf_of.full_name}" if on_behalf_of else "")
            + f".\n\nWhat we asked for:\n{locked.questions}\n\nYour response:\n{response}",
            link_url=_url(locked),
            kind="information_request.copy",
            dedupe_key=f"information_request:{locked.pk}:copy",
        )
        notification_queue(
            recipient=locked.requested_by,
            subject=f"Information received from {locked.location.name}",
            body=f"{by.full_name} has answered your information request for {locked.location.name}. "
            f"Please review it by {review.due_date:%A %-d %B %Y}.",
            link_url=_url(locked),
            kind="information_request.submitted",
            dedupe_key=f"information_request:{locked.pk}:submitted",
        )
    return locked


def information_request_review(*, by, request: InformationRequest, now: datetime.datetime | None = None):
    """Mark a submitted response reviewed, meeting the staff response target.

    :raises InformationRequestCannotReview: when ``by`` is not staff or the response is not waiting for review.
    """
    now = now or timezone.now()
    if not perms.is_regulator_staff(by):
        raise InformationRequestCannotReview("Only the regulator's staff can review a response.")
    with transaction.atomic():
        locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
        if not can_proceed(locked.review):
            raise InformationRequestCannotReview(f"This request is {locked.get_state_display().lower()}.")
        locked.review(by=by, at=now)
        locked.save()
        audit_event_record(
            by=by, subject=locked, action="information_request.review", from_state="submitted", to_state=locked.state
        )
        target = deadline_selectors.live_deadline_for(locked, Kind.RESPONSE_TARGET)
        if target is not None:
            deadline_meet(deadline=target, by=by, at=now)
    return locked


@on_expiry_many(Kind.ASSESSMENT_INFORMATION_REQUEST, Kind.PROVIDER_INFORMATION_REQUEST)
def information_requests_close_no_response(*, deadlines, now: datetime.datetime) -> None:
    """Windows passed unanswered: each request still waiting closes with "no response", audited (run by the sweep,
    which holds the requests' locks)."""
    due_dates = {int(d.object_id): d.due_date for d in deadlines}
    requests = (
        InformationRequest.objects.select_for_update(of=("self",))
        .select_related("location")
        .only("pk", "state", "provider_id", "requested_at", "location__name")
        .filter(matches_any(InformationRequest, "id", due_dates))
    )
    closed = transition_many(requests, transition="close_no_response", fields=["state"])
    audit_events_record_many(
        [
            audit_event_build(
                by=None,
                subject=request,
                action="information_request.close_no_response",
                from_state="requested",
                to_state=request.state,
                reason=f"No response by the end of {due_dates[request.pk]:%-d %B %Y}.",
            )
            for request in closed
        ]
    )


# --- Assessments and scores -------------------------------------------------------------------------------

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {".pdf", ".docx", ".xlsx", ".odt", ".txt", ".jpg", ".jpeg", ".png"}


class AssessmentCannotChange(Exception):
    """The assessment is not in a state, or the user not in a role, that allows this; the message says which."""


class StatementScoreCannotSave(Exception):
    """The score cannot be saved; ``current`` holds the score someone else saved first, when that is why."""

    def __init__(self, message: str, *, current: StatementScore | None = None):
        super().__init__(message)
        self.current = current


def assessment_create(
    *,
    by,
    location,
    kind: str,
    announced: bool,
    onsite_start_date: datetime.date | None = None,
    onsite_end_date: datetime.date | None = None,
    offsite_start_date: datetime.date | None = None,
    offsite_end_date: datetime.date | None = None,
    statements=None,
) -> Assessment:
    """Plan an assessment of ``location``, in scope by default the priority statements for its service types.

    :raises AssessmentCannotChange: when ``by`` is not regulator staff or the dates are out of order.
    """
    if not perms.is_regulator_staff(by):
        raise AssessmentCannotChange("Only the regulator's staff can plan an assessment.")
    if onsite_start_date and onsite_end_date and onsite_end_date < onsite_start_date:
        raise AssessmentCannotChange("The on-site visit must end on or after the day it starts.")
    if offsite_start_date and offsite_end_date and offsite_end_date < offsite_start_date:
        raise AssessmentCannotChange("The off-site work must end on or after the day it starts.")
    with transaction.atomic():
        assessment = Assessment.objects.create(
            location=location,
            provider=location.provider,
            kind=kind,
            lead=by,
            announced=announced,
            onsite_start_date=onsite_start_date,
            onsite_end_date=onsite_end_date,
            offsite_start_date=offsite_start_date,
            offsite_end_date=offsite_end_date,
        )
        if statements is None:
            statements = QualityStatement.objects.filter(
                retired_at__isnull=True, priority_for__in=location.service_types.all()
            ).distinct()
        assessment.statements.set(statements)
        AssessmentTeamMember.objects.create(
            assessment=assessment, user=by, name=by.full_name, role=AssessmentTeamMember.Role.INSPECTOR
        )
        audit_event_record(by=by, subject=assessment, action="assessment.plan", to_state=assessment.state)
    return assessment


def assessment_start(*, by, assessment: Assessment, now: datetime.datetime | None = None) -> Assessment:
    """Begin the assessment (on-site or off-site activity has started).

    :raises AssessmentCannotChange: when it is not planned, or ``by`` is not on the assessment.
    """
    if not by.has_perm("assessments.conduct", assessment):
        raise AssessmentCannotChange("Only the assessment's lead, its team or a senior manager can start it.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if not can_proceed(locked.start):
            raise AssessmentCannotChange(f"This assessment is {locked.get_state_display().lower()}.")
        locked.start(at=now or timezone.now())
        locked.save()
        audit_event_record(
            by=by, subject=locked, action="assessment.start", from_state="planned", to_state=locked.state
        )
        public_pages_changed()  # the profile says an assessment is in progress
    return locked


def statement_score_set(
    *,
    by,
    assessment: Assessment,
    statement: QualityStatement,
    score: int,
    summary: str,
    judgement: str,
    expected_version: int | None,
    now: datetime.datetime | None = None,
) -> StatementScore:
    """Save a statement's score (1-4) with its findings; refuses an edit based on a version someone else replaced.

    :raises StatementScoreCannotSave: when the score is not 1-4, the assessment is not in progress, the
        statement is not in scope, or another person saved a newer version first.
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 4:
        raise StatementScoreCannotSave("Choose a score from 1 to 4.")
    if not by.has_perm("assessments.conduct", assessment):
        raise StatementScoreCannotSave("Only the assessment's lead, its team or a senior manager can score it.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state != AssessmentState.IN_PROGRESS:
            raise StatementScoreCannotSave(
                "Scores can be changed only while the assessment is in progress; "
                f"it is {locked.get_state_display().lower()}."
            )
        if not locked.statements.filter(pk=statement.pk).exists():
            raise StatementScoreCannotSave("This statement is not in the assessment's scope.")
        current = StatementScore.objects.select_for_update().filter(assessment=locked, statement=statement).first()
        if current is None:
            if expected_version not in (None, 0):
                raise StatementScoreCannotSave("This score was removed by someone else.")
            row = StatementScore.objects.create(
                assessment=locked,
                statement=statement,
                score=score,
                summary=summary,
                judgement=judgement,
                scored_by=by,
                scored_at=now,
                version=1,
            )
            before = ""
        else:
            if expected_version != current.version:
                raise StatementScoreCannotSave(
                    f"{current.scored_by.full_name} saved a score for this statement at {current.scored_at:%H:%M} "
                    "while you were editing. Their score is shown below; yours has not been saved, and what you "
                    "typed is kept so you can check and save again.",
                    current=current,
                )
            before = str(current.score)
            current.score, current.summary, current.judgement = score, summary, judgement
            current.scored_by, current.scored_at, current.version = by, now, current.version + 1
            current.save()
            row = current
        audit_event_record(
            by=by,
            subject=locked,
            action="assessment.score",
            from_state=before,
            to_state=str(score),
            data={"statement": statement.slug},
        )
    return row


def statement_score_amend(
    *, by, assessment: Assessment, statement: QualityStatement, score: int, reason: str, context: str
) -> StatementScore:
    """Change a completed assessment's score, with the reason; the location's ratings are recalculated and the
    working shows the change.

    :raises StatementScoreCannotSave: when the score is not 1-4 or unchanged, there is no reason, the
        assessment is not completed or did not score the statement, or ``by`` may not conduct it.
    """
    from assessments.models import StatementScoreChange
    from assessments.working import location_working

    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 4:
        raise StatementScoreCannotSave("Choose a score from 1 to 4.")
    if not reason.strip():
        raise StatementScoreCannotSave("Say why the score changed: the public working shows it.")
    if not by.has_perm("assessments.conduct", assessment):
        raise StatementScoreCannotSave("Only the assessment's lead, its team or a senior manager can change a score.")
    now = timezone.now()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("location").get(pk=assessment.pk)
        if locked.state != AssessmentState.COMPLETED:
            raise StatementScoreCannotSave("Only a completed assessment's scores are amended this way.")
        current = StatementScore.objects.select_for_update().filter(assessment=locked, statement=statement).first()
        if current is None:
            raise StatementScoreCannotSave("This assessment did not score that statement.")
        if current.score == score:
            raise StatementScoreCannotSave(f"The score is already {score}.")
        before = current.score
        current.score, current.scored_by, current.scored_at = score, by, now
        current.version += 1
        current.save()
        StatementScoreChange.objects.create(
            assessment=locked,
            statement=statement,
            from_score=before,
            to_score=score,
            reason=reason.strip(),
            context=context,
            changed_by=by,
            changed_at=now,
        )
        audit_event_record(
            by=by,
            subject=locked,
            action="assessment.score_amend",
            from_state=str(before),
            to_state=str(score),
            reason=reason.strip(),
            data={"statement": statement.slug, "context": context},
        )
        if location_is_rated(locked.location):
            location_ratings_save(location=locked.location, working=location_working(locked.location), now=now)
    return current


def evidence_add(*, by, assessment: Assessment, statement, category, note: str, source: str = "", document=None):
    """Attach a piece of evidence to a statement's evidence category.

    :raises AssessmentCannotChange: when ``by`` may not work on it, the assessment is closed, or the file is too
        big or of a type we do not take.
    """
    from pathlib import Path

    from assessments.models import EvidenceItem

    if not by.has_perm("assessments.conduct", assessment):
        raise AssessmentCannotChange("Only the assessment's lead, its team or a senior manager can add evidence.")
    if not note.strip():
        raise AssessmentCannotChange("Describe the evidence.")
    if document is not None:
        if Path(document.name).suffix.lower() not in EVIDENCE_TYPES:
            raise AssessmentCannotChange(
                "The file must be a PDF, Word, Excel, OpenDocument text, plain text, JPEG or PNG file."
            )
        if document.size > EVIDENCE_MAX_BYTES:
            raise AssessmentCannotChange("The file must be smaller than 10 MB.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state not in (AssessmentState.PLANNED, AssessmentState.IN_PROGRESS):
            raise AssessmentCannotChange(f"This assessment is {locked.get_state_display().lower()}.")
        item = EvidenceItem.objects.create(
            assessment=locked,
            statement=statement,
            category=category,
            note=note.strip(),
            source=source,
            document=document or "",
            added_by=by,
            added_at=timezone.now(),
        )
        audit_event_record(by=by, subject=locked, action="assessment.evidence_add", data={"statement": statement.slug})
    return item


def assessment_complete(
    *, by, assessment: Assessment, now: datetime.datetime | None = None, not_rated_reason: str = ""
) -> Assessment:
    """Finish the assessment: its scores become the location's current scores and its ratings are recalculated.

    With ``not_rated_reason`` the location is "inspected but not rated" (e.g. too little evidence to rate).
    :raises AssessmentCannotChange: when it is not in progress, a statement in scope has no score, or ``by``
        is not on the assessment.
    """
    from assessments.working import location_working

    if not by.has_perm("assessments.conduct", assessment):
        raise AssessmentCannotChange("Only the assessment's lead, its team or a senior manager can complete it.")
    from cqcportal.alerts.services import public_event_record

    now = now or timezone.now()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("location").get(pk=assessment.pk)
        if not can_proceed(locked.complete):
            raise AssessmentCannotChange(f"This assessment is {locked.get_state_display().lower()}.")
        if location_is_rated(locked.location):
            missing = locked.statements.exclude(pk__in=locked.scores.values("statement_id")).count()
            if missing:
                raise AssessmentCannotChange(f"{missing} statement(s) in scope have no score yet.")
        else:
            missing = locked.statements.exclude(pk__in=locked.regulations_judgements.values("statement_id")).count()
            if missing:
                raise AssessmentCannotChange(f"{missing} statement(s) in scope have no regulations judgement yet.")
        locked.complete(at=now)
        locked.save()
        audit_event_record(
            by=by, subject=locked, action="assessment.complete", from_state="in_progress", to_state=locked.state
        )
        working = location_working(locked.location)
        if location_is_rated(locked.location):
            location_ratings_save(location=locked.location, working=working, now=now)
        if not_rated_reason.strip():
            LocationRating.objects.filter(location=locked.location, key_question="overall").update(
                status=LocationRating.Status.INSPECTED_NOT_RATED,
                status_reason=not_rated_reason.strip()[:500],
                status_since=timezone.localdate(now),
            )
        AssessmentOutcome.objects.create(
            assessment=locked,
            location=locked.location,
            overall_rating=""
            if not_rated_reason.strip() or working.overall is None or not location_is_rated(locked.location)
            else working.overall.slug,
            completed_at=now,
        )
        public_event_record(
            location=locked.location,
            kind="location_inspected",
            occurred_at=now,
            title=f"{locked.location.name} was assessed",
            url=reverse("register:location", args=[locked.location.cqc_id]),
            dedupe_key=f"assessment:{locked.pk}:completed",
        )
    return locked


_RATING_FIELDS = [
    "location_id",
    "key_question",
    "percent",
    "published_score",
    "calculated_rating",
    "rating",
    "explanation",
    "enforcement_limit",
    "departure_rationale",
    "calculated_at",
    "status",
    "status_reason",
    "status_since",
]


def _rating_values(location_id: int, working, now: datetime.datetime) -> list[tuple]:
    """A location's calculated ratings (each key question, then overall) as rows of ``_RATING_FIELDS``, rated."""
    from decimal import Decimal

    rated = (LocationRating.Status.RATED, "", None)
    rows = [
        (
            location_id,
            kq.key_question,
            Decimal(str(kq.result.percent)).quantize(Decimal("0.0001")) if kq.result else None,
            kq.result.published_score if kq.result else None,
            kq.result.rating.slug if kq.result else "",
            kq.rating.slug if kq.rating else "",
            kq.explanation,
            kq.enforcement_limit,
            kq.departure.rationale if kq.departure else "",
            now,
            *rated,
        )
        for kq in working.key_questions
    ]
    rows.append(
        (
            location_id,
            "overall",
            None,
            None,
            working.calculated_overall.slug if working.calculated_overall else "",
            working.overall.slug if working.overall else "",
            working.overall_explanation,
            "",
            working.overall_departure.rationale if working.overall_departure else "",
            now,
            *rated,
        )
    )
    return rows


def location_ratings_save(*, location, working, now: datetime.datetime) -> None:
    """Store the calculated ratings of a location (key questions and overall) with their working."""
    LocationRating.objects.filter(location=location).delete()
    LocationRating.objects.bulk_create(
        LocationRating(**dict(zip(_RATING_FIELDS, row, strict=True)))
        for row in _rating_values(location.pk, working, now)
    )


@dataclass
class RecomputeResult:
    locations: int = 0
    ratings: int = 0
    changed: int = 0  # locations whose rating of a key question or overall changed


def locations_ratings_recompute(*, by=None, now: datetime.datetime | None = None, location_ids=None) -> RecomputeResult:
    """Work out again, from their scores, the ratings of every location that has a completed assessment (or of
    ``location_ids``), after a change to the rules; store them in one transaction and audit each location whose
    rating changed. A suspended or not-rated status stays as it was.

    Set-based: the inputs are read in a fixed number of queries (``locations_working_inputs``), each location's
    working is reached by the same rules as its pages (``working_from``), and the ratings are written with COPY.
    Recomputing named locations locks their ratings first; recomputing them all is maintenance, run when no
    assessment is being completed.
    """
    from assessments.working import locations_working_inputs, working_from

    now = now or timezone.now()
    statements = list(QualityStatement.objects.filter(retired_at__isnull=True).order_by("order"))
    result, rows, changes, recomputed = RecomputeResult(), [], [], []
    with transaction.atomic():
        current = LocationRating.objects.all()
        if location_ids is not None:
            current = current.select_for_update().filter(location_id__in=location_ids)
        before: dict[int, dict[str, tuple]] = {}
        for location_id, key_question, rating, status, reason, since in current.values_list(
            "location_id", "key_question", "rating", "status", "status_reason", "status_since"
        ):
            before.setdefault(location_id, {})[key_question] = (rating, status, reason, since)
        for location_id, inputs in locations_working_inputs(location_ids=location_ids, today=timezone.localdate(now)):
            was = before.get(location_id, {})
            mine = _rating_values(location_id, working_from(statements, inputs), now)
            for i, row in enumerate(mine):
                old = was.get(row[1])
                if old is not None and old[1] != LocationRating.Status.RATED:
                    mine[i] = (*row[:-3], *old[1:])  # the status, its reason and date stay
            rows += mine
            recomputed.append(location_id)
            old_ratings = {kq: values[0] for kq, values in was.items()}
            new_ratings = {row[1]: row[5] for row in mine}
            if old_ratings and old_ratings != new_ratings:
                changes.append((location_id, old_ratings, new_ratings))
        for start in range(0, len(recomputed), 10_000):
            LocationRating.objects.filter(location_id__in=recomputed[start : start + 10_000]).delete()
        insert_rows(LocationRating, _RATING_FIELDS, rows)
        changed = Location.objects.filter(pk__in=[c[0] for c in changes]) if changes else Location.objects.none()
        locations = {loc.pk: loc for loc in changed.only("pk", "name", "provider_id")}
        audit_events_record_many(
            [
                audit_event_build(
                    by=by,
                    subject=locations[location_id],
                    action="rating.recalculate",
                    from_state=old.get("overall", ""),
                    to_state=new.get("overall", ""),
                    reason="Ratings worked out again from the scores.",
                    data={"from": old, "to": new},
                    occurred_at=now,
                )
                for location_id, old, new in changes
            ]
        )
    result.locations, result.ratings, result.changed = len(recomputed), len(rows), len(changes)
    return result


RATIONALE_MIN_CHARS = 20


class RatingCannotDepart(Exception):
    """The departure is not allowed or not explained; the message says why, for the person making it."""


class LocationRatingCannotChange(Exception):
    """The rating's status cannot change as asked (e.g. no reason given)."""


def rating_depart(*, by, assessment: Assessment, key_question: str, rating: str, rationale: str) -> RatingDeparture:
    """Record a professional judgement that rates a key question (or overall) differently from the calculation.

    Allowed for the assessment's lead and for operations managers, deputy directors and the chief inspector;
    queued for quality review and shown on the rating's working.
    :raises RatingCannotDepart: when the person is not authorised, the rationale is missing or too short, the
        rating is unknown or the same as calculated, or the assessment is not in progress.
    """
    from assessments import ratings as rules
    from assessments.working import location_working

    if not by.has_perm("assessments.depart_from_rating", assessment):
        raise RatingCannotDepart("Only the lead inspector or an operations manager or above can depart from a rating.")
    rationale = rationale.strip()
    if len(rationale) < RATIONALE_MIN_CHARS:
        raise RatingCannotDepart(
            f"Write the rationale for departing from the calculated rating (at least {RATIONALE_MIN_CHARS} characters)."
        )
    try:
        chosen = rules.Rating.from_slug(rating)
    except ValueError:
        raise RatingCannotDepart("Choose a rating.") from None
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("location").get(pk=assessment.pk)
        if locked.state != AssessmentState.IN_PROGRESS:
            raise RatingCannotDepart("You can depart from a rating only while the assessment is in progress.")
        RatingDeparture.objects.filter(assessment=locked, key_question=key_question).delete()
        working = location_working(locked.location, preview=locked)
        if key_question == "overall":
            calculated = working.calculated_overall
        else:
            kq = next((k for k in working.key_questions if k.key_question == key_question), None)
            if kq is None:
                raise RatingCannotDepart("Choose a key question.")
            calculated = kq.result.rating if kq.result else None
        if calculated is None:
            raise RatingCannotDepart("There is no calculated rating to depart from yet.")
        if calculated == chosen:
            raise RatingCannotDepart(f"The calculated rating is already {chosen.label.lower()}.")
        departure = RatingDeparture.objects.create(
            assessment=locked,
            key_question=key_question,
            calculated_rating=calculated.slug,
            rating=chosen.slug,
            rationale=rationale,
            by=by,
            at=timezone.now(),
        )
        audit_event_record(
            by=by,
            subject=locked,
            action="rating.depart",
            from_state=calculated.slug,
            to_state=chosen.slug,
            reason=rationale,
            data={"key_question": key_question},
        )
    return departure


def location_rating_suspend(*, by, location, reason: str, today: datetime.date) -> None:
    """Suspend a location's published rating (e.g. while serious concerns are looked into), with reason and date.

    :raises LocationRatingCannotChange: when no reason is given or the location has no rating to suspend.
    """
    if not perms.is_regulator_staff(by):
        raise LocationRatingCannotChange("Only the regulator's staff can suspend a rating.")
    if not reason.strip():
        raise LocationRatingCannotChange("Give the reason for suspending the rating.")
    with transaction.atomic():
        row = LocationRating.objects.select_for_update().filter(location=location, key_question="overall").first()
        if row is None:
            raise LocationRatingCannotChange("This location has no rating from an assessment to suspend.")
        before = row.status
        row.status, row.status_reason, row.status_since = LocationRating.Status.SUSPENDED, reason.strip()[:500], today
        row.save(update_fields=["status", "status_reason", "status_since"])
        audit_event_record(
            by=by, subject=location, action="rating.suspend", from_state=before, to_state=row.status, reason=reason
        )
        public_pages_changed()


def location_is_rated(location) -> bool:
    """Whether any of the location's service types is rated (primary dental care, for one, is not)."""
    types = getattr(location, "service_types_list", None)  # read already by the caller
    if types is not None:
        return not types or any(t.is_rated for t in types)
    return location.service_types.filter(is_rated=True).exists() or not location.service_types.exists()


def regulations_judge(*, by, assessment: Assessment, statement, judgements: dict, now: datetime.datetime | None = None):
    """For a service that is not rated: record, per assessed evidence category, regulations met (True) or not.

    ``judgements`` maps EvidenceCategory to True, False or None (not assessed). Replaces the statement's
    earlier judgements in this assessment.
    :raises StatementScoreCannotSave: when the assessment is not in progress, the location is rated, or no
        category is judged.
    """
    from assessments.models import RegulationsJudgement

    if not by.has_perm("assessments.conduct", assessment):
        raise StatementScoreCannotSave("Only the assessment's lead, its team or a senior manager can judge it.")
    chosen = {category: met for category, met in judgements.items() if met is not None}
    if not chosen:
        raise StatementScoreCannotSave("Judge at least one evidence category.")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("location").get(pk=assessment.pk)
        if locked.state != AssessmentState.IN_PROGRESS:
            raise StatementScoreCannotSave("Judgements can be changed only while the assessment is in progress.")
        if location_is_rated(locked.location):
            raise StatementScoreCannotSave("This service is rated: give the statement a score instead.")
        RegulationsJudgement.objects.filter(assessment=locked, statement=statement).delete()
        RegulationsJudgement.objects.bulk_create(
            RegulationsJudgement(assessment=locked, statement=statement, category=c, met=m, by=by, at=now)
            for c, m in chosen.items()
        )
        audit_event_record(
            by=by,
            subject=locked,
            action="assessment.regulations_judge",
            to_state="met" if all(chosen.values()) else "not_all_met",
            data={"statement": statement.slug},
        )


def assessment_scope_set(*, by, assessment: Assessment, statements) -> Assessment:
    """Change the statements in scope (before completion); statements already scored stay in scope.

    :raises AssessmentCannotChange: when ``by`` may not work on it, the assessment is closed, nothing is chosen, or
        a scored statement is dropped.
    """
    if not by.has_perm("assessments.conduct", assessment):
        raise AssessmentCannotChange("Only the assessment's lead, its team or a senior manager can change the scope.")
    chosen = {s.pk for s in statements}
    if not chosen:
        raise AssessmentCannotChange("Choose at least one quality statement.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state not in (AssessmentState.PLANNED, AssessmentState.IN_PROGRESS):
            raise AssessmentCannotChange(f"This assessment is {locked.get_state_display().lower()}.")
        scored = set(locked.scores.values_list("statement_id", flat=True)) | set(
            locked.regulations_judgements.values_list("statement_id", flat=True)
        )
        if scored - chosen:
            raise AssessmentCannotChange("A statement that already has a score or judgement must stay in scope.")
        locked.statements.set(chosen)
        audit_event_record(by=by, subject=locked, action="assessment.scope", data={"statements": len(chosen)})
    return locked


def assessment_team_add(*, by, assessment: Assessment, name: str, role: str, user=None) -> AssessmentTeamMember:
    """Add a member to the assessment team (an assessor, inspector, specialist adviser or expert by experience).

    :raises AssessmentCannotChange: when ``by`` may not work on it, the name or role is missing, or the assessment
        is closed.
    """
    if not by.has_perm("assessments.conduct", assessment):
        raise AssessmentCannotChange("Only the assessment's lead, its team or a senior manager can change the team.")
    if not name.strip() or role not in AssessmentTeamMember.Role.values:
        raise AssessmentCannotChange("Enter the person's name and choose their role.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state not in (AssessmentState.PLANNED, AssessmentState.IN_PROGRESS):
            raise AssessmentCannotChange(f"This assessment is {locked.get_state_display().lower()}.")
        member = AssessmentTeamMember.objects.create(assessment=locked, user=user, name=name.strip()[:200], role=role)
        audit_event_record(
            by=by, subject=locked, action="assessment.team_add", data={"name": member.name, "role": role}
        )
    return member


def assessment_cancel(*, by, assessment: Assessment, reason: str) -> Assessment:
    """Cancel a planned or running assessment (e.g. the concern was resolved), with the reason.

    :raises AssessmentCannotChange: when it is finished already, no reason is given, or ``by`` is not on it.
    """
    if not by.has_perm("assessments.conduct", assessment):
        raise AssessmentCannotChange("Only the assessment's lead, its team or a senior manager can cancel it.")
    if not reason.strip():
        raise AssessmentCannotChange("Give the reason for cancelling the assessment.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if not can_proceed(locked.cancel):
            raise AssessmentCannotChange(f"This assessment is {locked.get_state_display().lower()}.")
        before = locked.state
        locked.cancel()
        locked.save()
        audit_event_record(
            by=by, subject=locked, action="assessment.cancel", from_state=before, to_state=locked.state, reason=reason
        )
        public_pages_changed()
    return locked
