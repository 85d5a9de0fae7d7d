"""Writes for rating reviews: the provider's request within 15 working days of publication, the grounds check, the
independent review, the decision that may change any rating of the report, and the pause while a complaint about
the regulator (or, later, a challenge to enforcement) about the same location is open.

Every transition locks the review row, checks who may act, audits, and queues e-mail after commit.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from assessments.models import (
    REVIEW_MAX_WORDS,
    REVIEW_UNDER_WAY,
    KeyQuestionSlug,
    RatingChallenge,
    RatingDeparture,
    RatingReview,
    RatingReviewChange,
    RatingReviewState,
)
from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import StaffRole
from cqcportal.audit.services import audit_event_record
from cqcportal.core.public_cache import public_pages_changed
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.models import DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_meet, deadline_open, deadline_pause, deadline_resume


class RatingReviewCannotChange(Exception):
    """The review is not in a state, or the person not in a role, that allows this; the message says which."""


RATING_LABELS = {"overall": "Overall", **{kq.value: kq.label for kq in KeyQuestionSlug}}


def _in_word(ch: str) -> bool:
    # Letters, digits and combining marks (Hindi, Punjabi, Bengali, decomposed accents), and the joiners
    # inside words ("well-led", "don't").
    return unicodedata.category(ch)[0] in "LMN" or ch in "_'’‘-"


def count_words(text: str) -> int:
    """Words as a person counts them: "well-led" and "don't" are one word each; stray dashes are none."""
    count, token = 0, []
    for ch in (text or "") + " ":
        if _in_word(ch):
            token.append(ch)
            continue
        if token and any(unicodedata.category(c)[0] in "LN" for c in token):
            count += 1
        token = []
    return count


# --- Which report, and the window -----------------------------------------------------------------------------


def latest_rated_report(location_id: int):
    """The location's latest published report that awarded a rating, or None."""
    from django.db.models import Exists, OuterRef

    from factual_accuracy.models import Report, ReportSection, ReportState

    rated = ReportSection.objects.filter(report=OuterRef("pk"), kind=ReportSection.Kind.OVERALL).exclude(rating="")
    return (
        Report.objects.filter(location_id=location_id, state=ReportState.PUBLISHED)
        .filter(Exists(rated))
        .order_by("-published_at")
        .first()
    )


def rated_keys(report) -> list[str]:
    """The ratings a review can challenge: the overall rating and each key question the report rated."""
    from factual_accuracy.models import ReportSection

    keys = []
    for section in report.sections.filter(
        kind__in=[ReportSection.Kind.OVERALL, ReportSection.Kind.KEY_QUESTION]
    ).order_by("order"):
        if section.rating:
            keys.append("overall" if section.kind == ReportSection.Kind.OVERALL else section.key_question)
    return keys


def request_window(report):
    """The 15-working-day window to request a review, opened when the report was published."""
    return deadline_selectors.live_deadline_for(report, Kind.RATING_REVIEW_REQUEST_WINDOW) or (
        deadline_selectors.deadlines_for_case(report).filter(kind=Kind.RATING_REVIEW_REQUEST_WINDOW).first()
    )


def request_window_open(report) -> None:
    """Open the request window: called in the transaction that publishes a report with ratings."""
    deadline_open(
        case=report,
        kind=Kind.RATING_REVIEW_REQUEST_WINDOW,
        start_date=timezone.localdate(report.published_at),
        case_description=f"Request a review of the ratings of {report.location.name}",
        case_url=reverse("assessments:rating-review-request", args=[report.pk]),
        location=report.location,
    )


def _check_window(report, now: datetime.datetime) -> None:
    window = request_window(report)
    if window is None:
        raise RatingReviewCannotChange("This report has no window for a rating review.")
    if now > window.due_at:
        raise RatingReviewCannotChange(
            f"The time to request a review ended at the end of {window.due_date:%A %-d %B %Y} "
            f"(15 working days after the report was published). What you wrote is kept below."
        )


def _check_report(report) -> None:
    latest = latest_rated_report(report.location_id)
    if latest is None or latest.pk != report.pk:
        raise RatingReviewCannotChange(
            "A review can be requested only of the latest published report that gave ratings."
        )


def _check_challenges(report, challenges: dict[str, str]) -> dict[str, str]:
    allowed = set(rated_keys(report))
    cleaned = {k: v.strip() for k, v in challenges.items() if v and v.strip()}
    unknown = set(cleaned) - allowed
    if unknown:
        raise RatingReviewCannotChange("Choose only ratings this report gave.")
    return cleaned


# --- The provider's request ----------------------------------------------------------------------------------


def rating_review_draft_save(*, by, report, challenges: dict[str, str]) -> RatingReview:
    """Save the request as a draft (anyone at the provider may draft, over the word limit too, so nothing is lost).

    :raises RatingReviewCannotChange: when the person is not at the provider, the report is not the latest rated
        one, the window has closed, or the request was already sent.
    """
    if not perms.is_provider_user(by) or not perms.belongs_to_same_provider(by, report):
        raise RatingReviewCannotChange("Only the provider's own staff can draft a request for a review.")
    now = timezone.now()
    with transaction.atomic():
        from factual_accuracy.models import Report

        Report.objects.select_for_update().filter(pk=report.pk).first()  # one draft per report, even at once
        _check_report(report)
        review = RatingReview.objects.select_for_update().filter(report=report).first()
        if review is not None and review.state != RatingReviewState.DRAFTING:
            raise _already_sent(review)
        _check_window(report, now)
        cleaned = _check_challenges(report, challenges)
        if review is None:
            review = RatingReview.objects.create(
                report=report,
                location_id=report.location_id,
                provider_id=report.provider_id,
                created_by=by,
                created_at=now,
                updated_by=by,
                updated_at=now,
            )
        else:
            review.updated_by, review.updated_at = by, now
            review.save(update_fields=["updated_by", "updated_at"])
        review.challenges.exclude(key_question__in=cleaned).delete()
        for key, grounds in cleaned.items():
            RatingChallenge.objects.update_or_create(review=review, key_question=key, defaults={"grounds": grounds})
    return review


def _already_sent(review: RatingReview) -> RatingReviewCannotChange:
    return RatingReviewCannotChange(
        f"{review.submitted_by.full_name} requested a review of this report's ratings on "
        f"{timezone.localtime(review.submitted_at):%-d %B %Y at %H:%M}. Only one request can be made for each report."
    )


def rating_review_submit(*, by, review: RatingReview, today: datetime.date) -> RatingReview:
    """Send the request: only a registered manager, nominated individual or chief executive may.

    :raises RatingReviewCannotChange: when ``by`` may not submit, no rating is challenged, the words are over
        the limit, the window has closed, or it was sent already.
    """
    from cqcportal.notifications.services import notification_queue

    if not perms.is_registered_person_of(by, review):
        raise RatingReviewCannotChange(
            "Only the registered manager, the nominated individual or the chief executive can send the request. "
            "Your draft is saved for them to send."
        )
    now = timezone.now()
    with transaction.atomic():
        locked = RatingReview.objects.select_for_update().select_related("report", "location").get(pk=review.pk)
        if locked.state != RatingReviewState.DRAFTING:
            raise _already_sent(locked)
        _check_window(locked.report, now)
        challenges = list(locked.challenges.all())
        if not challenges:
            raise RatingReviewCannotChange("Choose at least one rating and say how our process was not followed.")
        words = sum(count_words(c.grounds) for c in challenges)
        if words > REVIEW_MAX_WORDS:
            raise RatingReviewCannotChange(
                f"Your request is {words} words; it must be {REVIEW_MAX_WORDS} words or fewer across all the "
                "ratings you challenge. Your draft is saved: shorten it and send again."
            )
        locked.submit(by=by, at=now)
        locked.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="rating_review.submit",
            from_state="drafting",
            to_state=locked.state,
            data={"ratings": [c.key_question for c in challenges], "words": words},
        )
        public_pages_changed()  # the profile says a review is taking place
        window = deadline_selectors.live_deadline_for(locked.report, Kind.RATING_REVIEW_REQUEST_WINDOW)
        if window is not None:
            deadline_meet(deadline=window, by=by, at=now)
        deadline_open(
            case=locked,
            kind=Kind.RATING_REVIEW_TARGET,
            start_date=today,
            case_description=f"Rating review of {locked.location.name}",
            case_url=reverse("assessments:rating-review", args=[locked.pk]),
            location=locked.location,
            owner=locked.report.assessment.lead,
            by=by,
        )
        _recheck(locked, by=by, today=today)
        for person in _reviewers_to_tell(locked):
            notification_queue(
                recipient=person,
                subject=f"Rating review requested: {locked.location.name}",
                body=f"{locked.provider.name} asked for a review of {len(challenges)} rating(s) of the report on "
                f"{locked.location.name}. Check the grounds first.",
                kind="rating_review.submitted",
                link_url=reverse("assessments:rating-review", args=[locked.pk]),
                dedupe_key=f"rating-review:{locked.pk}:submitted:{person.pk}",
            )
    return locked


def _reviewers_to_tell(review: RatingReview) -> list:
    from cqcportal.accounts.models import User

    return list(
        User.objects.filter(is_active=True, groups__name__in=[StaffRole.DEPUTY_DIRECTOR]).distinct().order_by("pk")
    ) or [review.report.assessment.lead]


# --- Staff steps ---------------------------------------------------------------------------------------------


def _move(review: RatingReview, *, by, transition: str, action: str, reason: str = "", **kwargs) -> RatingReview:
    locked = RatingReview.objects.select_for_update().select_related("report", "location").get(pk=review.pk)
    method = getattr(locked, transition)
    if not can_proceed(method):
        raise RatingReviewCannotChange(f"This review is {locked.get_state_display().lower()}; that cannot happen now.")
    before = locked.state
    method(**kwargs)
    locked.save()
    audit_event_record(by=by, subject=locked, action=action, from_state=before, to_state=locked.state, reason=reason)
    return locked


def _staff(by) -> None:
    if not perms.is_regulator_staff(by):
        raise RatingReviewCannotChange("Only the regulator's staff can do this.")


def rating_review_start_grounds_check(*, by, review: RatingReview) -> RatingReview:
    """Start checking the grounds. :raises RatingReviewCannotChange: unless it was just submitted."""
    _staff(by)
    with transaction.atomic():
        return _move(review, by=by, transition="start_grounds_check", action="rating_review.grounds_check", checker=by)


def rating_review_refuse(*, by, review: RatingReview, letter: str, today: datetime.date) -> RatingReview:
    """Refuse: the request shows no failure to follow the process. The provider gets the letter.

    :raises RatingReviewCannotChange: when there is no letter, or the grounds are not being checked.
    """
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    if not letter.strip():
        raise RatingReviewCannotChange("Write the letter explaining why there are no grounds for a review.")
    with transaction.atomic():
        locked = _move(
            review, by=by, transition="refuse", action="rating_review.refuse", reason=letter.strip(), letter=letter
        )
        _target_meet(locked, by=by)
        for person in deadline_selectors.provider_contacts(
            provider_id=locked.provider_id, location_id=locked.location_id, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"Your request for a rating review: {locked.location.name}",
                body=f"We have checked your request for a review of the ratings of {locked.location.name}. "
                f"We cannot review them, because:\n\n{letter.strip()}",
                kind="rating_review.refused",
                link_url=reverse("assessments:rating-review", args=[locked.pk]),
                dedupe_key=f"rating-review:{locked.pk}:refused:{person.pk}",
            )
    return locked


def rating_review_accept(*, by, review: RatingReview) -> RatingReview:
    """Accept the grounds for an independent review. :raises RatingReviewCannotChange: unless being checked."""
    _staff(by)
    with transaction.atomic():
        return _move(review, by=by, transition="accept", action="rating_review.accept")


def rating_review_assign_reviewer(*, by, review: RatingReview, reviewer=None, external: str = "") -> RatingReview:
    """Name the independent reviewer: a member of staff who was not on the assessment team, or an external one.

    :raises RatingReviewCannotChange: when the reviewer was on the team, is not staff, or none (or both) is given.
    """
    _staff(by)
    external = external.strip()[:200]
    if (reviewer is None) == (not external):
        raise RatingReviewCannotChange("Choose a member of staff, or give an external reviewer's name (not both).")
    if reviewer is not None:
        if not perms.is_regulator_staff(reviewer):
            raise RatingReviewCannotChange("The reviewer must be a member of staff, or recorded as external.")
        assessment = review.report.assessment
        if reviewer.pk == assessment.lead_id or assessment.team.filter(user=reviewer).exists():
            raise RatingReviewCannotChange(
                f"{reviewer.full_name} was on the assessment team; the reviewer must be independent of it."
            )
    with transaction.atomic():
        return _move(
            review,
            by=by,
            transition="assign_reviewer",
            action="rating_review.reviewer",
            reason=reviewer.full_name if reviewer else f"{external} (external)",
            reviewer=reviewer,
            external=external,
        )


def rating_review_recommend(*, by, review: RatingReview, text: str) -> RatingReview:
    """The independent reviewer's recommendation (an external reviewer's is recorded by staff).

    :raises RatingReviewCannotChange: when it is empty, or ``by`` is not the named reviewer.
    """
    _staff(by)
    if not text.strip():
        raise RatingReviewCannotChange("Write the recommendation.")
    with transaction.atomic():
        current = RatingReview.objects.select_for_update().get(pk=review.pk)
        if current.reviewer_id and current.reviewer_id != by.pk:
            raise RatingReviewCannotChange("Only the independent reviewer named on this review can recommend.")
        return _move(
            review,
            by=by,
            transition="recommend",
            action="rating_review.recommend",
            text=text.strip(),
            at=timezone.now(),
        )


def rating_review_decide(
    *, by, review: RatingReview, ratings: dict[str, str], reason: str, today: datetime.date
) -> RatingReview:
    """The decision, by a deputy director or the chief inspector: any rating of the report may change, up or down,
    challenged or not. The changes become the published ratings, the report gets a new version, and the working
    shows each change and why. ``ratings`` maps a key question (or "overall") to its new rating; a rating left out
    (or "" for overall) stays as calculated.

    :raises RatingReviewCannotChange: when ``by`` may not decide, there is no reason, a rating is not valid, or
        no recommendation has been made.
    """
    from assessments import ratings as rules
    from assessments.services import location_ratings_save
    from assessments.working import location_working
    from factual_accuracy.services import _freeze, _ratings_publish, _ratings_refresh

    if not perms.has_staff_role(StaffRole.DEPUTY_DIRECTOR, StaffRole.CHIEF_INSPECTOR).test(by):
        raise RatingReviewCannotChange("A deputy director or the chief inspector decides a rating review.")
    if not reason.strip():
        raise RatingReviewCannotChange("Give the reasons for the decision: the provider and the public read them.")
    valid = {r.slug for r in rules.Rating}
    if any(value and value not in valid for value in ratings.values()):
        raise RatingReviewCannotChange("Choose a rating from the list.")
    now = timezone.now()
    with transaction.atomic():
        locked = RatingReview.objects.select_for_update().select_related("report", "location").get(pk=review.pk)
        if not can_proceed(locked.decide):
            raise RatingReviewCannotChange(
                f"This review is {locked.get_state_display().lower()}; it cannot be decided now."
            )
        report = locked.report
        assessment = report.assessment
        before = _current_ratings(report)
        working = location_working(report.location, preview=assessment)
        calculated = {kq.key_question: kq.result.rating.slug for kq in working.key_questions if kq.result}
        for key in KeyQuestionSlug.values:
            chosen = ratings.get(key, "")
            if key not in before or not chosen or chosen == before[key]:
                continue
            _depart(assessment, key, calculated.get(key, before[key]), chosen, reason, by, now)
        # The overall follows the key questions unless the decision names it.
        working = location_working(report.location, preview=assessment)
        if ratings.get("overall"):
            aggregate = working.calculated_overall.slug if working.calculated_overall else ""
            if ratings["overall"] != (working.overall.slug if working.overall else ""):
                _depart(assessment, "overall", aggregate, ratings["overall"], reason, by, now)
        _ratings_refresh(report)
        after = _current_ratings(report)
        changes = [
            RatingReviewChange(review=locked, key_question=key, from_rating=before[key], to_rating=after[key])
            for key in before
            if after.get(key) and after[key] != before[key]
        ]
        RatingReviewChange.objects.bulk_create(changes)
        locked.decide(by=by, at=now, reason=reason.strip())
        locked.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="rating_review.decide",
            from_state=RatingReviewState.RECOMMENDED,
            to_state=locked.state,
            reason=reason.strip(),
            data={"changes": {c.key_question: [c.from_rating, c.to_rating] for c in changes}},
        )
        if changes:
            _freeze(report, by=by, reason="Ratings changed after a rating review", now=now)
            _ratings_publish(report, today=today)
            location_ratings_save(location=report.location, working=location_working(report.location), now=now)
        _target_meet(locked, by=by)
    return locked


def _current_ratings(report) -> dict[str, str]:
    from factual_accuracy.models import ReportSection

    return {
        ("overall" if s.kind == ReportSection.Kind.OVERALL else s.key_question): s.rating
        for s in report.sections.filter(kind__in=[ReportSection.Kind.OVERALL, ReportSection.Kind.KEY_QUESTION])
        if s.rating
    }


def _depart(assessment, key: str, calculated: str, chosen: str, reason: str, by, now) -> None:
    RatingDeparture.objects.update_or_create(
        assessment=assessment,
        key_question=key,
        defaults={
            "calculated_rating": calculated,
            "rating": chosen,
            "rationale": reason.strip(),
            "by": by,
            "at": now,
            "review_state": RatingDeparture.ReviewState.RATING_REVIEW,
        },
    )


def _target_meet(review: RatingReview, *, by) -> None:
    target = deadline_selectors.live_deadline_for(review, Kind.RATING_REVIEW_TARGET)
    if target is not None:
        deadline_meet(deadline=target, by=by, at=timezone.now())


def rating_review_publish_outcome(*, by, review: RatingReview, today: datetime.date) -> RatingReview:
    """Tell the provider and the public the outcome; the profile no longer says a review is taking place.

    :raises RatingReviewCannotChange: unless it has been decided.
    """
    from cqcportal.alerts.services import public_event_record
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    now = timezone.now()
    with transaction.atomic():
        locked = _move(review, by=by, transition="publish_outcome", action="rating_review.publish_outcome", at=now)
        changed = list(locked.changes.all())
        summary = (
            "; ".join(
                f"{RATING_LABELS.get(c.key_question, c.key_question)}: {_label(c.from_rating)} to {_label(c.to_rating)}"
                for c in changed
            )
            or "no rating changed"
        )
        public_event_record(
            location=locked.location,
            kind="report_published",
            occurred_at=now,
            title=f"Rating review of {locked.location.name} decided: {summary}",
            url=reverse("register:location", args=[locked.location.cqc_id]),
            dedupe_key=f"rating-review:{locked.pk}:outcome",
        )
        for person in deadline_selectors.provider_contacts(
            provider_id=locked.provider_id, location_id=locked.location_id, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"Outcome of the rating review: {locked.location.name}",
                body=f"We have reviewed the ratings of {locked.location.name}: {summary}.\n\n"
                f"Our reasons: {locked.decision_reason}",
                kind="rating_review.outcome",
                link_url=reverse("assessments:rating-review", args=[locked.pk]),
                dedupe_key=f"rating-review:{locked.pk}:outcome:{person.pk}",
            )
    return locked


def _label(slug: str) -> str:
    from assessments.ratings import Rating

    try:
        return Rating.from_slug(slug).label.lower()
    except ValueError:
        return slug


def rating_review_close(*, by, review: RatingReview) -> RatingReview:
    """Close a refused review or one whose outcome is published. :raises RatingReviewCannotChange: otherwise."""
    _staff(by)
    with transaction.atomic():
        return _move(review, by=by, transition="close", action="rating_review.close", at=timezone.now())


# --- Pausing ---------------------------------------------------------------------------------------------------

_PAUSE_SOURCES: list[Callable[[int], list[str]]] = []


def register_pause_source(source: Callable[[int], list[str]]) -> None:
    """Add a reason reviews may pause: ``source(location_id)`` returns why, in plain words, or an empty list.

    Complaints about the regulator register one; challenges to enforcement (appeals included) will too.
    """
    if source not in _PAUSE_SOURCES:
        _PAUSE_SOURCES.append(source)


def pause_reasons(location_id: int) -> list[str]:
    """Why rating reviews at the location must pause now (empty when they may run)."""
    return [reason for source in _PAUSE_SOURCES for reason in source(location_id)]


def rating_reviews_pause_recheck(*, location_id: int, by, today: datetime.date) -> int:
    """Pause the 50-working-day target of each review under way at the location while there is a reason to, and
    resume it when there is none; the paused days are added back. Returns how many targets changed."""
    changed = 0
    for review in RatingReview.objects.filter(location_id=location_id, state__in=REVIEW_UNDER_WAY):
        changed += _recheck(review, by=by, today=today)
    return changed


def _recheck(review: RatingReview, *, by, today: datetime.date) -> int:
    target = deadline_selectors.live_deadline_for(review, Kind.RATING_REVIEW_TARGET)
    if target is None:
        return 0
    reasons = pause_reasons(review.location_id)
    if reasons and target.state == DeadlineState.OPEN:
        deadline_pause(deadline=target, by=by, reason=" ".join(reasons)[:500], today=today)
        return 1
    if not reasons and target.state == DeadlineState.PAUSED:
        deadline_resume(deadline=target, by=by, today=today)
        return 1
    return 0
