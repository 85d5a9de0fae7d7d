"""How a location's rating is reached: current scores carried forward, key question results and the overall rating.

Reads only. Turns rows into plain values and calls the pure rules in ``assessments/ratings.py``, so the
pages, the saved ratings and the tests all show the same working.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from assessments import ratings
from assessments.models import (
    Assessment,
    AssessmentOutcome,
    AssessmentState,
    KeyQuestionSlug,
    QualityStatement,
    RatingDeparture,
    StatementScore,
    StatementScoreChange,
)
from cqcportal.core.compiled import CompiledRead, keyed_through, read_together
from cqcportal.register.models import KeyQuestion, Location, PublishedRating

SOURCE_UPDATED = "updated"
SOURCE_EXISTING = "existing"
SOURCE_INITIAL = "initial"


@dataclass
class StatementLine:
    statement: QualityStatement
    score: int | None
    source: str  # updated, existing, initial, or "" when there is no score
    dated: datetime.date | None  # the date of the assessment (or previous rating) the score comes from
    changes: list = field(default_factory=list)  # StatementScoreChange rows: the score amended, and why


@dataclass
class KeyQuestionWorking:
    key_question: str
    label: str
    lines: list[StatementLine]
    result: ratings.KeyQuestionResult | None
    rating: ratings.Rating | None
    enforcement_limit: str = ""
    enforcement_cause: str = ""
    oldest: datetime.date | None = None
    newest: datetime.date | None = None
    departure: RatingDeparture | None = None

    @property
    def explanation(self) -> str:
        if self.result is None:
            return "No statement under this key question has a score yet, so it is not rated."
        text = self.result.explanation
        if self.enforcement_limit:
            text += (
                f" Enforcement ({self.enforcement_limit.replace('_', ' ')}) limits it to {self.rating.label.lower()}."
            )
            if self.enforcement_cause:
                text += f" Cause: {self.enforcement_cause}"
        if self.departure is not None and self.departure.review_state == RatingDeparture.ReviewState.RATING_REVIEW:
            text += (
                f" Changed by a rating review: rated {ratings.Rating.from_slug(self.departure.rating).label.lower()} "
                f"instead of {ratings.Rating.from_slug(self.departure.calculated_rating).label.lower()}. "
                f"Reason: {self.departure.rationale}"
            )
        elif self.departure is not None:
            text += (
                f" Professional judgement: rated {ratings.Rating.from_slug(self.departure.rating).label.lower()} "
                f"instead of the calculated {ratings.Rating.from_slug(self.departure.calculated_rating).label.lower()}"
                f" ({self.departure.get_review_state_display().lower()}). Rationale: {self.departure.rationale}"
            )
        return text


@dataclass
class LocationWorking:
    key_questions: list[KeyQuestionWorking]
    overall: ratings.Rating | None
    overall_explanation: str
    asc_framework: bool
    previous_ratings: dict[str, PublishedRating] = field(default_factory=dict)
    overall_departure: RatingDeparture | None = None
    calculated_overall: ratings.Rating | None = None


# A location's working is read by its profile, its rating working page and the assessment workspace: its reads
# are compiled once (cqcportal.core.compiled) and need only the location, so they go together, in one round trip.
_PREVIOUS_RATINGS = CompiledRead(
    lambda location_id: PublishedRating.objects.filter(
        location_id=location_id, is_current=True, source=PublishedRating.Source.PREVIOUS_MODEL
    ).exclude(key_question=KeyQuestion.OVERALL),
    location_id=int,
)
_CURRENT_STATEMENTS = CompiledRead(lambda: QualityStatement.objects.filter(retired_at__isnull=True).order_by("order"))


def _latest_scores(location_id, *, published_only: bool):
    scores = StatementScore.objects.filter(
        assessment__location_id=location_id, assessment__state=AssessmentState.COMPLETED
    ).order_by("statement_id", "-assessment__completed_at", "-pk")
    if published_only:
        scores = scores.filter(assessment__reports__state="published")
    # Four values a score: years of assessments' findings text stay in the database.
    return scores.values_list("statement_id", "score", "assessment__completed_at", "assessment_id")


_LATEST_SCORES = {
    published_only: CompiledRead(
        lambda location_id, published_only=published_only: _latest_scores(location_id, published_only=published_only),
        location_id=int,
    )
    for published_only in (False, True)
}
# The departures and the score changes of all of a location's assessments: the working takes the newest
# assessment's departures and the changes behind the scores it shows (the page shows who changed a score, when and
# why). Read by the location, they go with the location's other reads, in the same round trip, instead of after the
# scores that name the assessments; a location has a handful of assessments, and few departures or changes.
_DEPARTURES_OF_LOCATION = CompiledRead(
    lambda location_id: RatingDeparture.objects.filter(assessment__location_id=location_id).exclude(
        review_state=RatingDeparture.ReviewState.REJECTED
    ),
    location_id=int,
)
_SCORE_CHANGES_OF_LOCATION = CompiledRead(
    lambda location_id: StatementScoreChange.objects.filter(assessment__location_id=location_id).select_related(
        "statement"
    ),
    location_id=int,
)
# The overall ratings of a location's last three completed assessments, newest first (``location_flags``).
_RECENT_OVERALL = CompiledRead(
    lambda location_id: AssessmentOutcome.objects.filter(location_id=location_id)
    .order_by("-completed_at")
    .values_list("overall_rating", flat=True)[:3],
    location_id=int,
)

_LIMIT_SEVERITY = {"requirement_notice": 1, "warning_notice": 2, "condition": 2}


def enforcement_limits_in_force(
    location, *, today: datetime.date | None = None, published_only: bool = False
) -> dict[str, str]:
    """The strictest enforcement action in force on each key question of the location, by key question.

    ``published_only`` leaves out actions not yet published (representations or appeals still open).
    """
    return {kq: action for kq, (action, _) in _limits_with_causes(location, today, published_only).items()}


def _limits_in_force(today: datetime.date, *, published_only: bool):
    from assessments.models import EnforcementLimit

    rows = EnforcementLimit.objects.filter(in_force_from__lte=today).filter(
        Q(lifted_on__isnull=True) | Q(lifted_on__gt=today)
    )
    if published_only:
        rows = rows.filter(Q(source_action__isnull=True) | Q(source_action__published_at__isnull=False))
    return rows.order_by("in_force_from", "pk")


def _strictest(limits: dict[str, tuple[str, str]], key_question: str, action: str, reason: str) -> None:
    current = limits.get(key_question)
    if current is None or _LIMIT_SEVERITY[action] > _LIMIT_SEVERITY[current[0]]:
        limits[key_question] = (action, reason)


_LIMITS_OF_LOCATION = {
    published_only: CompiledRead(
        lambda today, location_id, published_only=published_only: _limits_in_force(
            today, published_only=published_only
        ).filter(location_id=location_id),
        today=datetime.date,
        location_id=int,
    )
    for published_only in (False, True)
}


def _limits_with_causes(location, today, published_only) -> dict[str, tuple[str, str]]:
    """By key question: the strictest limit in force and its cause, in words."""
    return _strictest_of(
        _LIMITS_OF_LOCATION[published_only].all(today=today or timezone.localdate(), location_id=location.pk)
    )


def _strictest_of(rows) -> dict[str, tuple[str, str]]:
    limits: dict[str, tuple[str, str]] = {}
    for row in rows:
        _strictest(limits, row.key_question, row.action, row.reason)
    return limits


@dataclass
class WorkingInputs:
    """Everything a location's working is reached from, as plain values (one location's, or many's, read at once)."""

    latest: dict[int, tuple[int, datetime.date, int]]  # statement id -> (score, dated, assessment id)
    newest_assessment: int | None
    previous: dict[str, PublishedRating]  # key question -> rating under the previous model (rating, report_date)
    asc: bool  # adult social care: the framework's initial-score rules for social care apply
    causes: dict[str, tuple[str, str]]  # key question -> (strictest enforcement action in force, its cause)
    departures: dict[str, RatingDeparture] = field(default_factory=dict)  # of the newest assessment
    changes: dict[tuple[int, int], list] = field(default_factory=dict)  # (assessment, statement) -> score changes


def _newest(latest: dict[int, tuple[int, datetime.date, int]]) -> int | None:
    if not latest:
        return None
    newest_date = max(v[1] for v in latest.values())
    return next(v[2] for v in latest.values() if v[1] == newest_date)


def location_working_reads(location_id: int, *, published_only: bool = False, limits: bool = True) -> list[tuple]:
    """The reads a location's working is worked out from, as ``(read, values)`` for ``read_together``: a page may
    send them with its own (one round trip) and give their rows to :func:`location_working`. ``limits``: whether
    the enforcement limits in force today are read (not when the caller gives them)."""
    of_location = {"location_id": location_id}
    reads = [
        (_CURRENT_STATEMENTS, {}),
        (_LATEST_SCORES[published_only], of_location),
        (_PREVIOUS_RATINGS, of_location),
        (_DEPARTURES_OF_LOCATION, of_location),
        (_SCORE_CHANGES_OF_LOCATION, of_location),
    ]
    if limits:
        reads.append((_LIMITS_OF_LOCATION[published_only], {"today": timezone.localdate(), **of_location}))
    return reads


def _location_of(assessment_id):
    from django.db.models import Subquery

    return Subquery(Assessment.objects.filter(pk=assessment_id).values("location_id")[:1])


# Each of a location's reads, for the location of an assessment: its id looked up by the statement, so that a page of
# the assessment sends them with the assessment's own read (one round trip).
_OF_ASSESSMENT: dict[CompiledRead, CompiledRead] = {}


def of_assessments_location(read: CompiledRead) -> CompiledRead:
    """``read``, a read of a location's rows (``location_id``), for the location of the assessment ``assessment_id``
    (a variant made once a process)."""
    variant = _OF_ASSESSMENT.get(read)
    if variant is None:
        variant = _OF_ASSESSMENT[read] = keyed_through(read, "location_id", "assessment_id", _location_of)
    return variant


def assessment_working_reads(assessment_id: int) -> list[tuple]:
    """:func:`location_working_reads` for the location of the assessment ``assessment_id``, to send with the
    assessment's own read (the workspace), before the location is known."""
    reads = []
    for read, values in location_working_reads(0):
        if "location_id" in values:
            read, values = of_assessments_location(read), {**values, "assessment_id": assessment_id}
            del values["location_id"]
        reads.append((read, values))
    return reads


def location_working(
    location,
    *,
    preview: Assessment | None = None,
    preview_scores: list | None = None,
    enforcement_limits: dict[str, str] | None = None,
    published_only: bool = False,
    rows: list[list] | None = None,
) -> LocationWorking:
    """The working of a location's ratings from its completed assessments (and, to preview, one in progress).

    Enforcement limits in force are applied unless ``enforcement_limits`` is given. ``published_only`` leaves out
    assessments whose report is not yet published: what the public may see. ``preview_scores``: the previewed
    assessment's scores (anything with ``statement_id`` and ``score``), when the caller has read them already. A
    location with ``service_types_list`` set (its service types, read already) is not asked for them again.
    ``rows``: the rows of :func:`location_working_reads` for the same location and options, when the caller has read
    them with its own; otherwise they are read here, together (one round trip).
    """
    if preview is not None and preview.location_id != location.pk:
        raise ValueError("A location's working can preview only an assessment of that location.")
    if rows is None:
        reads = location_working_reads(location.pk, published_only=published_only, limits=enforcement_limits is None)
        rows = read_together(*reads)
    statements, latest_rows, previous_rows, departure_rows, change_rows, *limit_rows = rows
    latest: dict[int, tuple[int, datetime.date, int]] = {}
    for statement_id, score, completed_at, assessment_id in latest_rows:
        if statement_id not in latest:
            latest[statement_id] = (score, timezone.localdate(completed_at), assessment_id)
    newest_assessment = _newest(latest)
    if preview is not None:
        preview_date = timezone.localdate(preview.completed_at or preview.started_at or preview.created_at)
        for row in preview_scores if preview_scores is not None else StatementScore.objects.filter(assessment=preview):
            latest[row.statement_id] = (row.score, preview_date, preview.pk)
        newest_assessment = preview.pk

    if enforcement_limits is not None:
        causes = {kq: (action, "") for kq, action in enforcement_limits.items()}
    else:
        causes = _strictest_of(limit_rows[0])
    # The newest assessment's departures, and the changes behind the scores the working shows.
    departures = {d.key_question: d for d in departure_rows if d.assessment_id == newest_assessment}
    shown = {(v[2], statement_id) for statement_id, v in latest.items()}
    changes: dict[tuple[int, int], list] = {}
    for change in change_rows:
        if (change.assessment_id, change.statement_id) in shown:
            changes.setdefault((change.assessment_id, change.statement_id), []).append(change)
    inputs = WorkingInputs(
        latest=latest,
        newest_assessment=newest_assessment,
        previous={r.key_question: r for r in previous_rows},
        asc=_is_adult_social_care(location),
        causes=causes,
        departures=departures,
        changes=changes,
    )
    return working_from(statements, inputs)


def _is_adult_social_care(location) -> bool:
    types = getattr(location, "service_types_list", None)
    if types is not None:
        return any(t.sector == "adult_social_care" for t in types)
    return location.service_types.filter(sector="adult_social_care").exists()


def working_from(statements: list[QualityStatement], inputs: WorkingInputs) -> LocationWorking:
    """The working, from its inputs: the current scores (with initial scores from the previous rating where there
    are none), each key question's result, enforcement limits, departures, and the overall rating.

    No queries: the same for a page showing one location and for recomputing every location.
    """
    latest, newest_assessment, previous, asc = inputs.latest, inputs.newest_assessment, inputs.previous, inputs.asc
    unscored = [s for s in statements if s.pk not in latest]
    initial: dict[str, int | None] = {}
    if previous and unscored:
        kq_ratings = {}
        for kq, row in previous.items():
            try:
                kq_ratings[kq] = ratings.Rating.from_slug(row.rating)
            except ValueError:
                continue  # "No published rating" or "Inspected but not rated" give no initial scores
        needed = [
            s
            for s in unscored
            if (
                source := ratings.initial_score_key_question(
                    ratings.StatementRef(s.key_question, s.name), asc_framework=asc
                )
            )
            and source in kq_ratings
        ]
        initial = ratings.initial_scores(
            kq_ratings, [ratings.StatementRef(s.key_question, s.name) for s in needed], asc_framework=asc
        )

    causes = inputs.causes
    limits = {kq: action for kq, (action, _) in causes.items()}
    departures = inputs.departures
    changes = inputs.changes
    key_questions = []
    for kq in KeyQuestionSlug:
        lines = []
        for s in (s for s in statements if s.key_question == kq.value):
            if s.pk in latest:
                score, dated, assessment_id = latest[s.pk]
                source = SOURCE_UPDATED if assessment_id == newest_assessment else SOURCE_EXISTING
                lines.append(StatementLine(s, score, source, dated, changes.get((assessment_id, s.pk), [])))
            elif initial.get(s.slug) is not None:
                source_kq = ratings.initial_score_key_question(
                    ratings.StatementRef(s.key_question, s.name), asc_framework=asc
                )
                lines.append(StatementLine(s, initial[s.slug], SOURCE_INITIAL, previous[source_kq].report_date))
            else:
                lines.append(StatementLine(s, None, "", None))
        scored = [line.score for line in lines if line.score is not None]
        result = ratings.score_key_question(scored) if scored else None
        rating = result.rating if result else None
        if rating is not None and limits.get(kq.value):
            rating = ratings.limit_for_enforcement(rating, limits[kq.value])
        departure = departures.get(kq.value) if rating is not None else None
        if departure is not None:
            rating = ratings.Rating.from_slug(departure.rating)
        dates = [line.dated for line in lines if line.dated]
        key_questions.append(
            KeyQuestionWorking(
                key_question=kq.value,
                label=kq.label,
                lines=lines,
                result=result,
                rating=rating,
                enforcement_limit=limits.get(kq.value, ""),
                enforcement_cause=causes.get(kq.value, ("", ""))[1],
                oldest=min(dates, default=None),
                newest=max(dates, default=None),
                departure=departure,
            )
        )
    rated = [k.rating for k in key_questions if k.rating is not None]
    overall_departure = None
    if len(rated) == len(key_questions):
        overall = calculated_overall = ratings.aggregate(rated)
        overall_explanation = ratings.explain_aggregate(rated)
        overall_departure = departures.get("overall")
        if (
            overall_departure is not None
            and overall_departure.review_state == RatingDeparture.ReviewState.RATING_REVIEW
        ):
            overall = ratings.Rating.from_slug(overall_departure.rating)
            overall_explanation += (
                f" Changed by a rating review: rated {overall.label.lower()} instead of "
                f"{calculated_overall.label.lower()}. Reason: {overall_departure.rationale}"
            )
        elif overall_departure is not None:
            overall = ratings.Rating.from_slug(overall_departure.rating)
            overall_explanation += (
                f" Professional judgement: rated {overall.label.lower()} instead of "
                f"{calculated_overall.label.lower()} ({overall_departure.get_review_state_display().lower()}). "
                f"Rationale: {overall_departure.rationale}"
            )
    else:
        overall = calculated_overall = None
        overall_explanation = "Every key question needs a rating before there is an overall rating."
    return LocationWorking(
        key_questions, overall, overall_explanation, asc, previous, overall_departure, calculated_overall
    )


class _PreviousRating(NamedTuple):
    """A rating under the previous model, as ``working_from`` reads it."""

    rating: str
    report_date: datetime.date | None


def locations_working_inputs(
    *, location_ids: Iterable[int] | None = None, today: datetime.date | None = None
) -> Iterator[tuple[int, WorkingInputs]]:
    """The inputs of the working of every location with a completed assessment (or of ``location_ids``), read in
    six queries whatever their number, location by location.

    As ``location_working`` reads them for one location (all completed assessments, enforcement limits in force
    today), without the score changes, which only the pages show.
    """
    today = today or timezone.localdate()
    only = set(location_ids) if location_ids is not None else None

    def mine(rows):
        return rows if only is None else rows.filter(location_id__in=only)

    previous: dict[int, dict[str, _PreviousRating]] = defaultdict(dict)
    for location_id, key_question, rating, report_date in (
        mine(PublishedRating.objects.filter(is_current=True, source=PublishedRating.Source.PREVIOUS_MODEL))
        .exclude(key_question=KeyQuestion.OVERALL)
        .values_list("location_id", "key_question", "rating", "report_date")
    ):
        previous[location_id][key_question] = _PreviousRating(rating, report_date)
    service_types = Location.service_types.through.objects.filter(servicetype__sector="adult_social_care")
    asc = set(mine(service_types).values_list("location_id", flat=True))
    causes: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    for location_id, key_question, action, reason in mine(_limits_in_force(today, published_only=False)).values_list(
        "location_id", "key_question", "action", "reason"
    ):
        _strictest(causes[location_id], key_question, action, reason)
    departures: dict[int, dict[str, RatingDeparture]] = defaultdict(dict)
    for departure in RatingDeparture.objects.exclude(review_state=RatingDeparture.ReviewState.REJECTED):
        departures[departure.assessment_id][departure.key_question] = departure

    scores = StatementScore.objects.filter(assessment__state=AssessmentState.COMPLETED)
    if only is not None:
        scores = scores.filter(assessment__location_id__in=only)
    rows = scores.order_by("assessment__location_id", "statement_id", "-assessment__completed_at", "-pk").values_list(
        "assessment__location_id", "statement_id", "score", "assessment__completed_at", "assessment_id"
    )
    local_dates: dict[datetime.datetime, datetime.date] = {}
    for location_id, group in itertools.groupby(rows.iterator(chunk_size=20_000), key=lambda row: row[0]):
        latest: dict[int, tuple[int, datetime.date, int]] = {}
        for _, statement_id, score, completed_at, assessment_id in group:
            if statement_id not in latest:
                dated = local_dates.get(completed_at)
                if dated is None:
                    dated = local_dates[completed_at] = timezone.localdate(completed_at)
                latest[statement_id] = (score, dated, assessment_id)
        newest = _newest(latest)
        yield (
            location_id,
            WorkingInputs(
                latest=latest,
                newest_assessment=newest,
                previous=previous.get(location_id, {}),
                asc=location_id in asc,
                causes=causes.get(location_id, {}),
                departures=departures.get(newest, {}),
            ),
        )


FLAG_SPECIAL_MEASURES = "special_measures"
FLAG_REGULATION_17 = "consider_regulation_17_breach"
FLAG_MANAGEMENT_REVIEW = "management_review_meeting"

FLAG_TEXT = {
    FLAG_SPECIAL_MEASURES: "Rated inadequate overall: consider special measures.",
    FLAG_REGULATION_17: "Requires improvement at two assessments in a row: consider a breach of regulation 17 "
    "(good governance).",
    FLAG_MANAGEMENT_REVIEW: "Requires improvement for the third time in a row: hold a management review meeting.",
}


def location_flags(location, *, recent: list[str] | None = None) -> list[str]:
    """What the later flows act on, from the overall ratings of the location's last three completed assessments
    (``recent``, newest first, when the caller has read them: ``location_flags_read``)."""
    if recent is None:
        recent = _RECENT_OVERALL.all(**location_flags_read(location)[1])
    flags = []
    if recent and recent[0] == "inadequate":
        flags.append(FLAG_SPECIAL_MEASURES)
    if len(recent) == 3 and all(r == "requires_improvement" for r in recent):
        flags.append(FLAG_MANAGEMENT_REVIEW)
    elif len(recent) >= 2 and recent[0] == recent[1] == "requires_improvement":
        flags.append(FLAG_REGULATION_17)
    return flags


def location_flags_read(location) -> tuple[CompiledRead, dict]:
    """The read ``location_flags`` needs, to send with others (``read_together``); ``location`` may be None for the
    read alone."""
    return _RECENT_OVERALL, {"location_id": location.pk if location is not None else None}


@dataclass
class RegulationsStatementLine:
    statement: QualityStatement
    result: ratings.RegulationsResult | None
    dated: datetime.date | None


@dataclass
class RegulationsKeyQuestion:
    key_question: str
    label: str
    lines: list[RegulationsStatementLine]
    result: ratings.RegulationsResult | None


def location_regulations(location, *, preview: Assessment | None = None) -> list[RegulationsKeyQuestion]:
    """For services that are not rated: each statement's and key question's "regulations met" judgement.

    The latest judgement of each statement counts (from completed assessments, or the one previewed).
    """
    from assessments.models import RegulationsJudgement

    statements = list(QualityStatement.objects.filter(retired_at__isnull=True).order_by("order"))
    rows = RegulationsJudgement.objects.filter(assessment__location=location).select_related("assessment")
    if preview is not None:
        rows = rows.filter(Q(assessment__state=AssessmentState.COMPLETED) | Q(assessment=preview))
    else:
        rows = rows.filter(assessment__state=AssessmentState.COMPLETED)
    by_statement: dict[int, dict[int, tuple[datetime.datetime, bool]]] = {}
    for row in rows:
        when = row.assessment.completed_at or row.at
        if preview is not None and row.assessment_id == preview.pk:
            when = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        latest = by_statement.setdefault(row.statement_id, {})
        # Keep only the newest assessment's judgements for each statement.
        newest = max((w for w, _ in latest.values()), default=None)
        if newest is None or when > newest:
            latest.clear()
        if newest is None or when >= newest:
            latest[row.category_id] = (when, row.met)
    result = []
    for kq in KeyQuestionSlug:
        lines = []
        for s in (s for s in statements if s.key_question == kq.value):
            judged = by_statement.get(s.pk)
            if judged:
                when = next(iter(judged.values()))[0]
                dated = None if when.year == datetime.MAXYEAR else timezone.localdate(when)
                lines.append(
                    RegulationsStatementLine(s, ratings.judge_quality_statement([m for _, m in judged.values()]), dated)
                )
            else:
                lines.append(RegulationsStatementLine(s, None, None))
        judged_lines = [line.result.judgement for line in lines if line.result]
        kq_result = ratings.judge_key_question_regulations(judged_lines) if judged_lines else None
        result.append(RegulationsKeyQuestion(kq.value, kq.label, lines, kq_result))
    return result
