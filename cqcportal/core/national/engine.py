"""A location's ratings from its scores, worked out as ``assessments/working.py`` does but from plain values.

``location_working`` reads the database once per location; here the generator keeps each location's scores in
memory and asks for the working at any moment of its history. The scoring, the limits, the aggregation and every
sentence of the working come from the pure rules in ``assessments/ratings.py`` (and the explanation wording of
``KeyQuestionWorking``), cached by their inputs: most key questions of the register score the same few ways.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from assessments import ratings
from assessments.models import RatingDeparture
from assessments.working import KeyQuestionWorking

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")
KQ_LABELS = {
    "safe": "Safe",
    "effective": "Effective",
    "caring": "Caring",
    "responsive": "Responsive",
    "well_led": "Well-led",
}
SEVERITY = {"requirement_notice": 1, "warning_notice": 2, "condition": 2}


@dataclass(frozen=True, slots=True)
class Statement:
    id: int
    key_question: str
    slug: str
    name: str
    order: int

    @property
    def ref(self) -> ratings.StatementRef:
        return ratings.StatementRef(self.key_question, self.name)


@dataclass(frozen=True, slots=True)
class Departure:
    """A rating changed on an assessment (by a rating review's decision), as the working needs it."""

    key_question: str
    calculated_rating: str
    rating: str
    rationale: str
    review_state: str = RatingDeparture.ReviewState.RATING_REVIEW


@dataclass(slots=True)
class KeyQuestionResult:
    key_question: str
    result: ratings.KeyQuestionResult | None
    rating: ratings.Rating | None
    limit: str
    departure: Departure | None
    explanation: str


@dataclass(slots=True)
class Working:
    key_questions: list[KeyQuestionResult]
    overall: ratings.Rating | None
    calculated_overall: ratings.Rating | None
    overall_explanation: str
    overall_departure: Departure | None

    def ratings(self) -> dict[str, str]:
        """The ratings a report publishes: each key question rated, and overall (slugs)."""
        out = {k.key_question: k.rating.slug for k in self.key_questions if k.rating is not None}
        if self.overall is not None:
            out["overall"] = self.overall.slug
        return out


score_key_question = functools.lru_cache(maxsize=None)(ratings.score_key_question)


@functools.cache
def _aggregate(values: tuple[ratings.Rating, ...]) -> tuple[ratings.Rating, str]:
    return ratings.aggregate(values), ratings.explain_aggregate(values)


_EXPLANATIONS: dict[tuple, str] = {}


def _explanation(result, rating, limit: str, cause: str, departure: Departure | None) -> str:
    # Keyed by the result's identity: results are cached, so equal scores give the very same object.
    key = (id(result), rating, limit, cause, departure)
    text = _EXPLANATIONS.get(key)
    if text is None:
        text = _EXPLANATIONS[key] = _explain(result, rating, limit, cause, departure)
    return text


def _explain(result, rating, limit: str, cause: str, departure: Departure | None) -> str:
    model_departure = None
    if departure is not None:
        model_departure = RatingDeparture(
            key_question=departure.key_question,
            calculated_rating=departure.calculated_rating,
            rating=departure.rating,
            rationale=departure.rationale,
            review_state=departure.review_state,
        )
    kq = KeyQuestionWorking(
        key_question="",
        label="",
        lines=[],
        result=result,
        rating=rating,
        enforcement_limit=limit,
        enforcement_cause=cause,
        departure=model_departure,
    )
    return kq.explanation


class Engine:
    """The framework's statements, and the working of a location from its scores at one moment."""

    def __init__(self, statements: list[Statement]):
        self.statements = statements
        self.by_key_question = {kq: [s for s in statements if s.key_question == kq] for kq in KEY_QUESTIONS}

    @functools.cache  # noqa: B019 - one engine per run
    def _initial(self, asc: bool, previous: tuple, unscored: frozenset) -> dict[str, int | None]:
        kq_ratings = dict(previous)
        needed = [
            s
            for s in self.statements
            if s.id in unscored
            and (source := ratings.initial_score_key_question(s.ref, asc_framework=asc))
            and source in kq_ratings
        ]
        return ratings.initial_scores(kq_ratings, [s.ref for s in needed], asc_framework=asc)

    def working(
        self,
        scores: dict[int, int],
        *,
        asc: bool,
        previous: dict[str, ratings.Rating] | None,
        limits: dict[str, tuple[str, str]],
        departures: dict[str, Departure],
    ) -> Working:
        """The working from the latest score of each statement (``scores``), as ``location_working`` makes it.

        ``previous`` are the key question ratings under the previous model still current (initial scores),
        ``limits`` the enforcement limit in force on each key question with its cause, ``departures`` those of
        the newest assessment.
        """
        initial: dict[str, int | None] = {}
        if previous:
            unscored = frozenset(s.id for s in self.statements if s.id not in scores)
            if unscored:
                initial = self._initial(asc, tuple(sorted(previous.items())), unscored)
        results = []
        for kq in KEY_QUESTIONS:
            values = []
            for s in self.by_key_question[kq]:
                if s.id in scores:
                    values.append(scores[s.id])
                elif initial.get(s.slug) is not None:
                    values.append(initial[s.slug])
            result = score_key_question(tuple(values)) if values else None
            rating = result.rating if result else None
            limit, cause = limits.get(kq, ("", ""))
            if rating is not None and limit:
                rating = ratings.limit_for_enforcement(rating, limit)
            departure = departures.get(kq) if rating is not None else None
            if departure is not None:
                rating = ratings.Rating.from_slug(departure.rating)
            results.append(
                KeyQuestionResult(
                    kq, result, rating, limit, departure, _explanation(result, rating, limit, cause, departure)
                )
            )
        rated = tuple(k.rating for k in results if k.rating is not None)
        overall_departure = None
        if len(rated) == len(results):
            overall, explanation = _aggregate(rated)
            calculated = overall
            overall_departure = departures.get("overall")
            if overall_departure is not None:
                overall = ratings.Rating.from_slug(overall_departure.rating)
                explanation += (
                    f" Changed by a rating review: rated {overall.label.lower()} instead of "
                    f"{calculated.label.lower()}. Reason: {overall_departure.rationale}"
                )
        else:
            overall = calculated = None
            explanation = "Every key question needs a rating before there is an overall rating."
        return Working(results, overall, calculated, explanation, overall_departure)


def strictest(limits: list, day, *, published_only: bool = False, at=None) -> dict[str, tuple[str, str]]:
    """By key question, the strictest enforcement limit in force on ``day`` and its cause (``_limits_with_causes``).

    ``limits`` are the location's limits in the order they were made; with ``published_only`` only those whose
    action was published by ``at``.
    """
    out: dict[str, tuple[str, str]] = {}
    for limit in limits:
        if limit.in_force_from > day or (limit.lifted_on is not None and limit.lifted_on <= day):
            continue
        if published_only and (limit.action.published_at is None or limit.action.published_at > at):
            continue
        current = out.get(limit.key_question)
        if current is None or SEVERITY[limit.kind] > SEVERITY[current[0]]:
            out[limit.key_question] = (limit.kind, limit.reason)
    return out
