"""The ratings engine: quality statement scores to key question ratings, and the ratings principles.

Pure: no Django, no ORM, no settings and no clock. Services turn rows into plain values (lists of
scores, ``Rating`` members, ``StatementRef``), call these functions and save what comes back; every
result carries the plain-English working that the pages show.

Scoring a key question: each quality statement is scored 1 to 4. The percentage is the total divided by
the maximum (4 per statement), times 100; it is kept exact (``fractions.Fraction``) and the published
score is that percentage rounded half up to a whole number. The published score gives the band rating
(25–38 inadequate, 39–62 requires improvement, 63–87 good, 88–100 outstanding), which is then limited:
a statement scored 1 limits the rating to requires improvement at best, a statement scored 2 to good
at best.

Quality statements are identified by ``statement_slug(name)``: the name case-folded, apostrophes
dropped and every other run of non-alphanumeric characters turned into one underscore, so
"Care provision, Integration and continuity" is ``care_provision_integration_and_continuity`` however
it is capitalised. Key questions use the same derivation ("Well-led" is ``well_led``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from fractions import Fraction

__all__ = [
    "CARE_PROVISION_INTEGRATION_AND_CONTINUITY",
    "ENFORCEMENT_ACTIONS",
    "ENVIRONMENTAL_SUSTAINABILITY",
    "KEY_QUESTIONS",
    "PROVIDING_INFORMATION",
    "WORKFORCE_WELLBEING_AND_ENABLEMENT",
    "KeyQuestionResult",
    "Rating",
    "Regulations",
    "RegulationsResult",
    "StatementRef",
    "aggregate",
    "explain_aggregate",
    "initial_score_key_question",
    "initial_scores",
    "judge_key_question_regulations",
    "judge_quality_statement",
    "limit_for_enforcement",
    "score_key_question",
    "statement_slug",
]


class Rating(IntEnum):
    """The four ratings, ordered worst to best; each value is also the initial score the rating gives."""

    INADEQUATE = 1
    REQUIRES_IMPROVEMENT = 2
    GOOD = 3
    OUTSTANDING = 4

    @property
    def slug(self) -> str:
        """The stable string stored by the register ("requires_improvement")."""
        return self.name.lower()

    @property
    def label(self) -> str:
        """The label shown to people ("Requires improvement")."""
        return self.name.replace("_", " ").capitalize()

    @classmethod
    def from_slug(cls, slug: str) -> Rating:
        """Return the rating stored as ``slug``.

        :raises ValueError: if ``slug`` is not one of the four rating slugs.
        """
        try:
            return _RATINGS_BY_SLUG[slug]
        except (KeyError, TypeError):
            choices = ", ".join(_RATINGS_BY_SLUG)
            raise ValueError(f"{slug!r} is not a rating; expected one of {choices}") from None


_RATINGS_BY_SLUG: dict[str, Rating] = {rating.slug: rating for rating in reversed(Rating)}

# Published score bands, as (lowest score, highest score, rating).
_BANDS: tuple[tuple[int, int, Rating], ...] = (
    (25, 38, Rating.INADEQUATE),
    (39, 62, Rating.REQUIRES_IMPROVEMENT),
    (63, 87, Rating.GOOD),
    (88, 100, Rating.OUTSTANDING),
)
# The best rating a key question can have when any of its statements has this score.
_SCORE_LIMITS: dict[int, Rating] = {1: Rating.REQUIRES_IMPROVEMENT, 2: Rating.GOOD}

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count_words(count: int) -> str:
    return _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def _format_percent(percent: Fraction) -> str:
    """Show a percentage to at most 3 decimal places, with "…" when the exact value goes on further.

    Truncating (not rounding) keeps the shown value on the same side of a half as the exact one, so
    the working never shows 62.500 for a score that is published as 62.
    """
    thousandths = percent * 1000
    whole = thousandths.numerator // thousandths.denominator
    text = f"{whole // 1000}.{whole % 1000:03d}".rstrip("0").rstrip(".")
    return text if thousandths.denominator == 1 else f"{text}…"


@dataclass(frozen=True, slots=True)
class KeyQuestionResult:
    """The scored key question and its working.

    ``percent`` is a float: the nearest float to the exact percentage (exact whenever the percentage has
    a finite binary expansion, as 65.625 does). The published score and rating are worked out from the
    exact fraction, never from this float. ``limit_applied`` is None unless a statement scored 1 or 2
    lowered the rating below its band; the explanation mentions a limit even when it made no change.
    """

    scores: tuple[int, ...]
    total: int
    maximum: int
    percent: float
    published_score: int
    band_rating: Rating
    rating: Rating
    limit_applied: str | None
    explanation: str


def _validated_scores(scores: Sequence[int]) -> tuple[int, ...]:
    if isinstance(scores, str | bytes):
        raise ValueError(f"scores must be a sequence of whole numbers 1 to 4, not the string {scores!r}")
    values = tuple(scores)
    if not values:
        raise ValueError("a key question needs at least one quality statement score; none were given")
    for position, score in enumerate(values, start=1):
        # bool is an int subclass and 3.0 == 3, but neither is a score someone meant to give.
        if isinstance(score, bool) or not isinstance(score, int):
            raise ValueError(
                f"score {position} is {score!r} ({type(score).__name__}); each score must be a whole number 1 to 4"
            )
        if not 1 <= score <= 4:
            raise ValueError(f"score {position} is {score}; each score must be 1, 2, 3 or 4")
    return values


def score_key_question(scores: Sequence[int]) -> KeyQuestionResult:
    """Score a key question from its quality statement scores (each 1 to 4) and rate it.

    :raises ValueError: if ``scores`` is empty, or any score is not an int (bool and float included) from 1 to 4.
    """
    values = _validated_scores(scores)
    count = len(values)
    total = sum(values)
    maximum = 4 * count
    exact_percent = Fraction(100 * total, maximum)
    # floor(exact_percent + 1/2) in integers: 25t/n + 1/2 = (50t + n) / 2n. Half up, unlike round().
    published_score = (50 * total + count) // (2 * count)
    low, high, band_rating = next(band for band in _BANDS if band[0] <= published_score <= band[1])

    rating = band_rating
    limit_applied = None
    ones, twos = values.count(1), values.count(2)
    worst = 1 if ones else 2 if twos else None
    if worst is not None:
        cap = _SCORE_LIMITS[worst]
        if band_rating > cap:
            rating = cap
            limit_applied = f"a statement scored {worst}: {cap.label.lower()} at best"
            change = f"lowered from {band_rating.label.lower()} to {cap.label.lower()}"
        else:
            change = "no change"
        if ones and twos:
            who = (
                f"{_count_words(ones).capitalize()} {_plural(ones, 'statement', 'statements')} scored 1 "
                f"and {_count_words(twos)} scored 2; a score of 1 limits"
            )
        else:
            n = ones or twos
            who = f"{_count_words(n).capitalize()} {_plural(n, 'statement', 'statements')} scored {worst}, which limits"
        limit_sentence = f"{who} the rating to {cap.label.lower()} at best: {change}."
    else:
        limit_sentence = "No statement scored 1 or 2, so no limit applies."

    halves = " (halves round up)" if exact_percent.denominator == 2 else ""
    explanation = " ".join(
        [
            f"{_plural(count, 'Score', 'Scores')} {', '.join(map(str, values))} "
            f"{_plural(count, 'adds', 'add')} up to {total} out of a possible {maximum} "
            f"({count} {_plural(count, 'statement', 'statements')} × 4).",
            f"{total} ÷ {maximum} = {_format_percent(exact_percent)}%, published as {published_score}{halves}.",
            f"{published_score} is in the {band_rating.label.lower()} band ({low} to {high}).",
            limit_sentence,
            f"Rating: {rating.label.lower()}.",
        ]
    )
    return KeyQuestionResult(
        scores=values,
        total=total,
        maximum=maximum,
        percent=float(exact_percent),
        published_score=published_score,
        band_rating=band_rating,
        rating=rating,
        limit_applied=limit_applied,
        explanation=explanation,
    )


# --- Aggregating ratings (the ratings principles) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Decision:
    rating: Rating
    n: int
    threshold: int
    counts: dict[Rating, int]


def _threshold(n: int) -> int:
    """How many underlying ratings it takes to move the aggregate: 1 for N 1–3, 2 for N 4–8, 3 for N 9+."""
    return 1 if n <= 3 else 2 if n <= 8 else 3


def _decide(ratings: Sequence[Rating]) -> _Decision:
    values = tuple(ratings)
    if not values:
        raise ValueError("cannot aggregate no ratings; at least one underlying rating is needed")
    for position, rating in enumerate(values, start=1):
        if not isinstance(rating, Rating):
            raise ValueError(f"underlying rating {position} is {rating!r}, not a Rating")
    n = len(values)
    t = _threshold(n)
    counts = {rating: values.count(rating) for rating in Rating}
    inadequate = counts[Rating.INADEQUATE]
    requires_improvement = counts[Rating.REQUIRES_IMPROVEMENT]
    if inadequate >= t:
        result = Rating.INADEQUATE
    # An inadequate counts towards the requires improvement threshold too: otherwise, with N 9+, one
    # inadequate and two requires improvement would give good while three requires improvement give
    # requires improvement, so improving a rating could worsen the aggregate.
    elif requires_improvement + inadequate >= t or (n >= 4 and inadequate >= t - 1):
        result = Rating.REQUIRES_IMPROVEMENT
    elif counts[Rating.OUTSTANDING] >= t and requires_improvement == 0 and inadequate == 0:
        result = Rating.OUTSTANDING
    else:
        result = Rating.GOOD
    return _Decision(result, n, t, counts)


def aggregate(ratings: Sequence[Rating]) -> Rating:
    """Combine underlying ratings into one aggregated rating by the ratings principles.

    With N underlying ratings and a threshold T of 1 (N 1–3), 2 (N 4–8) or 3 (N 9+), the rules apply in
    this order and the first that matches decides:

    1. inadequate when at least T are inadequate;
    2. requires improvement when at least T are requires improvement or worse, or, for N of 4 or more,
       when at least T − 1 are inadequate (1 for N 4–8, 2 for N 9+); for N 1–3 a single inadequate has
       already made it inadequate, so the second clause does not apply there. Counting inadequate
       towards the first clause only matters for N 9+ (one inadequate and two requires improvement give
       requires improvement, not good); it keeps the rule monotonic, so a better underlying rating never
       gives a worse aggregate;
    3. outstanding when at least T are outstanding and all the rest are good (so any requires
       improvement or inadequate, even one below its own threshold, rules outstanding out);
    4. good otherwise.

    "No higher than requires improvement" is a cap, and as rule 1 has already ruled out inadequate the
    cap gives requires improvement. For five key questions this is the adult social care rule: two
    outstanding and three good give outstanding; one requires improvement and four good give good.
    As the principles are written, with N 9+ a single inadequate among good ratings gives good; any
    professional judgement beyond that belongs to the people who use this, not to the rule.

    :raises ValueError: if ``ratings`` is empty or holds anything that is not a ``Rating``.
    """
    return _decide(ratings).rating


def explain_aggregate(ratings: Sequence[Rating]) -> str:
    """Explain in plain English how ``aggregate`` combines ``ratings``.

    :raises ValueError: if ``ratings`` is empty or holds anything that is not a ``Rating``.
    """
    d = _decide(ratings)
    n, t = d.n, d.threshold
    outstanding = d.counts[Rating.OUTSTANDING]
    requires_improvement = d.counts[Rating.REQUIRES_IMPROVEMENT]
    inadequate = d.counts[Rating.INADEQUATE]
    band = "1 to 3" if n <= 3 else "4 to 8" if n <= 8 else "9 or more"
    parts = [
        f"{n} underlying {_plural(n, 'rating', 'ratings')}: "
        + ", ".join(f"{d.counts[r]} {r.label.lower()}" for r in reversed(Rating))
        + ".",
        f"With {band} ratings the threshold is {t}"
        + (f", and {t - 1} inadequate limits the rating to requires improvement at best." if n >= 4 else "."),
    ]
    if d.rating is Rating.INADEQUATE:
        parts.append(f"{inadequate} inadequate meets the threshold of {t} for inadequate.")
    elif d.rating is Rating.REQUIRES_IMPROVEMENT:
        if requires_improvement >= t:
            parts.append(
                f"{requires_improvement} requires improvement meets the threshold of {t}, "
                "which limits the rating to requires improvement at best."
            )
        elif inadequate < t - 1:
            parts.append(
                f"{requires_improvement} requires improvement and {inadequate} inadequate make "
                f"{requires_improvement + inadequate} requires improvement or worse, which meets the threshold "
                f"of {t} and limits the rating to requires improvement at best."
            )
        else:
            parts.append(
                f"{inadequate} inadequate is below the threshold of {t} for inadequate, "
                "but limits the rating to requires improvement at best."
            )
    elif d.rating is Rating.OUTSTANDING:
        rest = n - outstanding
        rest_text = f" and the other {rest} {_plural(rest, 'is', 'are')} good" if rest else ""
        parts.append(f"{outstanding} outstanding meets the threshold of {t}{rest_text}.")
    else:
        reasons = []
        if outstanding and outstanding < t:
            reasons.append(f"{outstanding} outstanding is below the threshold of {t} for outstanding")
        elif outstanding:
            below = requires_improvement + inadequate
            reasons.append(
                f"{outstanding} outstanding meets the threshold of {t}, but outstanding needs all the rest to be "
                f"good and {below} {_plural(below, 'is', 'are')} below good"
            )
        if inadequate:
            # Only with N 9+: fewer than T - 1 inadequate and fewer than T requires improvement or worse.
            reasons.append(
                f"{requires_improvement} requires improvement and {inadequate} inadequate are below the threshold "
                f"of {t}, and {inadequate} inadequate is below the {t - 1} that limits the rating to requires "
                "improvement at best"
            )
        elif requires_improvement:
            reasons.append(f"{requires_improvement} requires improvement is below the threshold of {t}")
        parts.append(("; ".join(reasons) + ", so it is good.").capitalize() if reasons else "All are good.")
    parts.append(f"Rating: {d.rating.label.lower()}.")
    return " ".join(parts)


# --- Enforcement ----------------------------------------------------------------------------------

ENFORCEMENT_ACTIONS: Mapping[str, Rating] = {
    "requirement_notice": Rating.REQUIRES_IMPROVEMENT,
    "warning_notice": Rating.INADEQUATE,
    "condition": Rating.INADEQUATE,
}


def limit_for_enforcement(rating: Rating, action: str) -> Rating:
    """Limit a key question's rating for an enforcement action taken under it.

    A requirement notice limits the rating to requires improvement at best; a warning notice or a
    condition makes it inadequate.

    :raises ValueError: if ``action`` is not one of ``ENFORCEMENT_ACTIONS`` or ``rating`` is not a ``Rating``.
    """
    if not isinstance(rating, Rating):
        raise ValueError(f"{rating!r} is not a Rating")
    try:
        cap = ENFORCEMENT_ACTIONS[action]
    except (KeyError, TypeError):
        raise ValueError(
            f"{action!r} is not an enforcement action that limits ratings; expected one of "
            + ", ".join(ENFORCEMENT_ACTIONS)
        ) from None
    return min(rating, cap)


# --- Initial scores from a rating under the previous model --------------------------------------

KEY_QUESTIONS: tuple[str, ...] = ("safe", "effective", "caring", "responsive", "well_led")

WORKFORCE_WELLBEING_AND_ENABLEMENT = "workforce_wellbeing_and_enablement"
ENVIRONMENTAL_SUSTAINABILITY = "environmental_sustainability_sustainable_development"
CARE_PROVISION_INTEGRATION_AND_CONTINUITY = "care_provision_integration_and_continuity"
PROVIDING_INFORMATION = "providing_information"

# The guidance calls it "environmental sustainability"; the framework's page title adds the rest.
_SLUG_ALIASES = {"environmental_sustainability": ENVIRONMENTAL_SUSTAINABILITY}
_APOSTROPHES = re.compile(r"['’]")
_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def statement_slug(name: str) -> str:
    """Return the stable slug for a quality statement (or key question) name, ignoring case and punctuation.

    :raises ValueError: if ``name`` is not a string or has no letters or digits.
    """
    if not isinstance(name, str):
        raise ValueError(f"a statement name must be a string, not {name!r}")
    folded = unicodedata.normalize("NFKD", name).casefold()
    slug = _NON_ALPHANUMERIC.sub("_", _APOSTROPHES.sub("", folded)).strip("_")
    if not slug:
        raise ValueError(f"{name!r} has no letters or digits to identify a statement by")
    return _SLUG_ALIASES.get(slug, slug)


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A quality statement as the rules need it: its key question and name (either may be spelt as shown)."""

    key_question: str
    name: str

    @property
    def slug(self) -> str:
        return statement_slug(self.name)

    @property
    def key_question_slug(self) -> str:
        return statement_slug(self.key_question)


def initial_score_key_question(statement: StatementRef, *, asc_framework: bool) -> str | None:
    """Return the key question whose previous rating gives ``statement`` its initial score, or None for none.

    Usually the statement's own key question. The exceptions: workforce wellbeing and enablement takes
    the well-led rating; environmental sustainability gets no initial score; and for adult social care
    previously inspected under the adult social care framework (``asc_framework``), care provision,
    integration and continuity takes the well-led rating and providing information the effective rating.

    :raises ValueError: if the statement's key question is not one of ``KEY_QUESTIONS``.
    """
    key_question = statement.key_question_slug
    if key_question not in KEY_QUESTIONS:
        raise ValueError(
            f"{statement.name!r} is under {statement.key_question!r}, which is not a key question; "
            f"expected one of {', '.join(KEY_QUESTIONS)}"
        )
    slug = statement.slug
    if slug == ENVIRONMENTAL_SUSTAINABILITY:
        return None
    if slug == WORKFORCE_WELLBEING_AND_ENABLEMENT:
        return "well_led"
    if asc_framework and slug == CARE_PROVISION_INTEGRATION_AND_CONTINUITY:
        return "well_led"
    if asc_framework and slug == PROVIDING_INFORMATION:
        return "effective"
    return key_question


def initial_scores(
    key_question_ratings: Mapping[str, Rating],
    statements: Sequence[StatementRef],
    *,
    asc_framework: bool,
) -> dict[str, int | None]:
    """Give each statement not assessed its initial score (4, 3, 2 or 1) from a previous key question rating.

    ``key_question_ratings`` maps key questions ("safe" … "well_led", or their names) to the location's
    published ratings under the previous model; ``statements`` are the statements not assessed this time.
    The result maps each statement's slug to its score (outstanding 4, good 3, requires improvement 2,
    inadequate 1), or to None for environmental sustainability; see ``initial_score_key_question`` for
    which rating each statement takes.

    :raises ValueError: if a statement's key question is unknown, two statements share a slug, or a needed
        key question has no rating (or a value that is not a ``Rating``).
    """
    ratings = {statement_slug(key): rating for key, rating in key_question_ratings.items()}
    scores: dict[str, int | None] = {}
    for statement in statements:
        slug = statement.slug
        if slug in scores:
            raise ValueError(f"statement {statement.name!r} ({slug}) is listed twice")
        source = initial_score_key_question(statement, asc_framework=asc_framework)
        if source is None:
            scores[slug] = None
            continue
        rating = ratings.get(source)
        if not isinstance(rating, Rating):
            raise ValueError(
                f"statement {statement.name!r} takes its initial score from the {source} rating, "
                f"but that rating is {rating!r}, not a Rating"
            )
        scores[slug] = int(rating)
    return scores


# --- Services that are not rated: regulations met or not ----------------------------------------


class Regulations(Enum):
    """The judgement for services that are not rated."""

    MET = "regulations_met"
    NOT_ALL_MET = "not_all_regulations_met"

    @property
    def slug(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return "Regulations met" if self is Regulations.MET else "Not all regulations met"


@dataclass(frozen=True, slots=True)
class RegulationsResult:
    """A regulations judgement, how many parts were met and not met, and the working."""

    judgement: Regulations
    met: int
    not_met: int
    explanation: str


def _judge(met: int, not_met: int, part: str, parts: str, whole: str) -> RegulationsResult:
    n = met + not_met
    counts = f"{n} {_plural(n, part, parts)} judged: {met} regulations met, {not_met} not all regulations met."
    if not_met:
        judgement = Regulations.NOT_ALL_MET
        reason = (
            f"{_count_words(not_met).capitalize()} {_plural(not_met, part, parts)} "
            f"{_plural(not_met, 'is', 'are')} judged not all regulations met, "
            f"and one is enough to make the {whole} not all regulations met."
        )
    else:
        judgement = Regulations.MET
        reason = f"Every {part} has regulations met, so the {whole} has regulations met."
    return RegulationsResult(judgement, met, not_met, f"{counts} {reason} Judgement: {judgement.label.lower()}.")


def judge_quality_statement(category_judgements: Sequence[bool]) -> RegulationsResult:
    """Judge a quality statement from its assessed evidence categories (True: regulations met).

    :raises ValueError: if there are no judgements or any is not a bool.
    """
    values = tuple(category_judgements)
    if not values:
        raise ValueError("a quality statement needs at least one assessed evidence category; none were given")
    for position, value in enumerate(values, start=1):
        if not isinstance(value, bool):
            raise ValueError(f"evidence category {position} is {value!r}; each judgement must be True or False")
    met = values.count(True)
    return _judge(met, len(values) - met, "evidence category", "evidence categories", "quality statement")


def judge_key_question_regulations(statement_judgements: Sequence[Regulations]) -> RegulationsResult:
    """Judge a key question from its quality statements' regulations judgements.

    :raises ValueError: if there are no judgements or any is not a ``Regulations``.
    """
    values = tuple(statement_judgements)
    if not values:
        raise ValueError("a key question needs at least one judged quality statement; none were given")
    for position, value in enumerate(values, start=1):
        if not isinstance(value, Regulations):
            raise ValueError(f"quality statement {position} is {value!r}, not a Regulations judgement")
    met = values.count(Regulations.MET)
    return _judge(met, len(values) - met, "quality statement", "quality statements", "key question")
