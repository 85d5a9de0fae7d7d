"""Writes for enforcement: record and serve an action, the provider's representations within their window, the
decision after them, an appeal to the First-tier Tribunal and its outcome, and publication.

Every change locks the action row, checks who may act, audits, and queues e-mail after commit. Serving an action
against a key question limits its rating (``limit_for_enforcement``); the public sees the action, and the limit
on the published ratings, only once representations and appeals are complete, except urgent action at once.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from assessments.models import EnforcementLimit, KeyQuestionSlug
from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_event_record
from cqcportal.deadlines import selectors as deadline_selectors
from cqcportal.deadlines.registry import on_expiry
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.services import deadline_meet, deadline_open
from enforcement.models import (
    CRIMINAL,
    ActionKind,
    ActionState,
    Appeal,
    Breach,
    EnforcementAction,
    Proposal,
    Regulation,
    Representation,
    RepresentationFile,
)
from factual_accuracy.uploads import FileCannotUpload, check_upload

__all__ = ["FileCannotUpload"]


class EnforcementCannotChange(Exception):
    """The action is not in a state, or the person not in a role, that allows this; the message says which."""


WINDOW_KIND = {
    ActionKind.WARNING_NOTICE: Kind.REPRESENTATIONS_WARNING_NOTICE,
    ActionKind.NOTICE_OF_PROPOSAL: Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL,
}
# The rating limit each kind of action applies to the key questions it names (ratings.limit_for_enforcement).
LIMIT = {
    ActionKind.REQUIREMENT_NOTICE: EnforcementLimit.Action.REQUIREMENT_NOTICE,
    ActionKind.WARNING_NOTICE: EnforcementLimit.Action.WARNING_NOTICE,
    ActionKind.NOTICE_OF_PROPOSAL: EnforcementLimit.Action.CONDITION,
    ActionKind.URGENT: EnforcementLimit.Action.CONDITION,
}


def _staff(by) -> None:
    if not perms.is_regulator_staff(by):
        raise EnforcementCannotChange("Only the regulator's staff can do this.")


def _url(action: EnforcementAction) -> str:
    return reverse("enforcement:action", args=[action.pk])


def _move(action: EnforcementAction, *, by, transition: str, audit: str, reason: str = "", **kwargs):
    locked = EnforcementAction.objects.select_for_update(of=("self",)).select_related("location").get(pk=action.pk)
    method = getattr(locked, transition)
    if not can_proceed(method):
        raise EnforcementCannotChange(f"This action is {locked.get_state_display().lower()}; that cannot happen now.")
    before = locked.state
    method(**kwargs)
    locked.save()
    audit_event_record(
        by=by, subject=locked, action=audit, from_state=before, to_state=locked.state, reason=reason, provider=None
    )
    return locked


# --- Recording and serving ------------------------------------------------------------------------------------


def action_record(
    *,
    by,
    kind: str,
    provider,
    summary: str,
    reason: str,
    breaches: list[tuple[str, str]],
    location=None,
    assessment=None,
    proposal: str = "",
) -> EnforcementAction:
    """Record the decision to take an action (not yet served): what, against whom, which regulations, and why.

    ``breaches`` are (regulation, key question) pairs. :raises EnforcementCannotChange: when something is missing
    or not valid.
    """
    _staff(by)
    if kind not in ActionKind.values:
        raise EnforcementCannotChange("Choose the kind of action.")
    if kind in (ActionKind.NOTICE_OF_PROPOSAL, ActionKind.URGENT) and proposal not in Proposal.values:
        raise EnforcementCannotChange(
            "Say what the notice does to the registration (conditions, suspension, cancellation)."
        )
    if not summary.strip() or not reason.strip():
        raise EnforcementCannotChange("Describe the action and give the reason for the decision.")
    if location is not None and location.provider_id != provider.pk:
        raise EnforcementCannotChange("The location is not one of this provider's.")
    for regulation, key_question in breaches:
        if regulation not in Regulation.values or key_question not in KeyQuestionSlug.values:
            raise EnforcementCannotChange(
                "Choose regulations of the 2014 regulations and the key question each affects."
            )
    if kind not in CRIMINAL and not breaches:
        raise EnforcementCannotChange("Name at least one regulation that was breached.")
    with transaction.atomic():
        action = EnforcementAction.objects.create(
            kind=kind,
            proposal=proposal if kind in (ActionKind.NOTICE_OF_PROPOSAL, ActionKind.URGENT) else "",
            provider=provider,
            location=location,
            assessment=assessment,
            summary=summary.strip(),
            decided_by=by,
            decided_at=timezone.now(),
            decision_reason=reason.strip(),
        )
        Breach.objects.bulk_create(Breach(action=action, regulation=r, key_question=k) for r, k in breaches)
        audit_event_record(by=by, subject=action, action="enforcement.record", to_state=action.state, reason=reason)
    return action


def action_serve(*, by, action: EnforcementAction, today: datetime.date) -> EnforcementAction:
    """Serve the action on the provider. Warning notices and notices of proposal open their representations window
    (10 working days; 28 days); the others take effect at once. Ratings of the key questions named are limited.

    :raises EnforcementCannotChange: when it was served already.
    """
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    with transaction.atomic():
        if action.kind in WINDOW_KIND:
            locked = _move(action, by=by, transition="serve", audit="enforcement.serve", on=today)
            window = deadline_open(
                case=locked,
                kind=WINDOW_KIND[ActionKind(locked.kind)],
                start_date=today,
                case_description=f"Representations on the {locked.get_kind_display().lower()}",
                case_url=_url(locked),
                provider=locked.provider,
                location=locked.location,
                by=by,
            )
            told = (
                f"You may make written representations by the end of {window.due_date:%A %-d %B %Y}.\n\n"
                f"How this date was worked out: {window.explanation}"
            )
        else:
            locked = _move(action, by=by, transition="serve_in_effect", audit="enforcement.serve", on=today)
            told = "It takes effect today."
            if locked.kind == ActionKind.URGENT:
                _appeal_window_open(locked, today=today, by=by)
        _limits_apply(locked, today=today)
        if locked.kind not in WINDOW_KIND:
            _publish(locked)  # nothing to wait for; urgent action appears at once
        _reviews_recheck(locked, by=by, today=today)
        for person in deadline_selectors.provider_contacts(
            provider_id=locked.provider_id, location_id=locked.location_id, today=today
        ):
            notification_queue(
                recipient=person,
                subject=f"{locked.get_kind_display()} served on {locked.provider.name}",
                body=f"We have served a {locked.get_kind_display().lower()} on {locked.provider.name}"
                + (f" about {locked.location.name}" if locked.location else "")
                + f".\n\n{locked.summary}\n\n{told}",
                kind="enforcement.served",
                link_url=_url(locked),
                dedupe_key=f"enforcement:{locked.pk}:served:{person.pk}",
            )
    return locked


def _limits_apply(action: EnforcementAction, *, today: datetime.date) -> None:
    """Each key question a served civil action names is limited from today; the ratings are recalculated."""
    if action.kind not in LIMIT or action.location_id is None:
        return
    key_questions = sorted({b.key_question for b in action.breaches.all()})
    EnforcementLimit.objects.bulk_create(
        EnforcementLimit(
            location_id=action.location_id,
            key_question=kq,
            action=LIMIT[ActionKind(action.kind)],
            reason=f"{action.get_kind_display()} served on {today:%-d %B %Y}: {action.summary}"[:500],
            in_force_from=today,
            source_action=action,
        )
        for kq in key_questions
    )
    _ratings_recalculate(action)


def _limits_lift(action: EnforcementAction, *, today: datetime.date) -> None:
    EnforcementLimit.objects.filter(source_action=action, lifted_on__isnull=True).update(lifted_on=today)
    _ratings_recalculate(action)


def _ratings_recalculate(action: EnforcementAction) -> None:
    from assessments.services import location_is_rated, location_ratings_save
    from assessments.working import location_working

    if action.location_id is None or not location_is_rated(action.location):
        return
    location_ratings_save(location=action.location, working=location_working(action.location), now=timezone.now())


# --- Representations -------------------------------------------------------------------------------------------


def _window_open(action: EnforcementAction, now: datetime.datetime):
    if action.state != ActionState.SERVED or action.kind not in WINDOW_KIND:
        raise EnforcementCannotChange(
            "Representations can no longer be made on this action; what you wrote is kept below."
        )
    window = deadline_selectors.live_deadline_for(action, WINDOW_KIND[ActionKind(action.kind)])
    if window is not None and now > window.due_at:
        raise EnforcementCannotChange(
            f"The time for representations ended at the end of {window.due_date:%A %-d %B %Y}. "
            "We can no longer take them; your drafts are kept below."
        )
    return window


def _provider_colleague(by, action: EnforcementAction) -> None:
    if not perms.is_provider_user(by) or not perms.belongs_to_same_provider(by, action):
        raise EnforcementCannotChange("Only the provider's own staff can make representations.")


def representation_save(
    *, by, action: EnforcementAction, regulated_activity, text: str, representation: Representation | None = None
) -> Representation:
    """Save a draft representation about one regulated activity (anyone at the provider may draft).

    :raises EnforcementCannotChange: when the text is empty or over 20,000 characters, the activity already has
        one, or the window has closed.
    """
    _provider_colleague(by, action)
    text = text.strip()
    if not text:
        raise EnforcementCannotChange("Write your representations.")
    if len(text) > 20000:
        raise EnforcementCannotChange(f"Your representations are {len(text):,} characters; the limit is 20,000.")
    now = timezone.now()
    with transaction.atomic():
        locked = EnforcementAction.objects.select_for_update().get(pk=action.pk)
        _window_open(locked, now)
        if representation is None:
            if Representation.objects.filter(action=locked, regulated_activity=regulated_activity).exists():
                raise EnforcementCannotChange(
                    f"There are already representations about {regulated_activity.name}: change those instead."
                )
            return Representation.objects.create(
                action=locked, regulated_activity=regulated_activity, text=text, created_by=by, updated_at=now
            )
        row = Representation.objects.select_for_update().get(pk=representation.pk, action=locked)
        if row.submitted_at is not None:
            raise EnforcementCannotChange("These representations have been sent and can no longer be changed.")
        row.text, row.updated_at = text, now
        row.save(update_fields=["text", "updated_at"])
        return row


def representation_file_add(*, by, representation: Representation, upload) -> RepresentationFile:
    """Attach evidence to a draft representation after checking its content, size and name.

    :raises FileCannotUpload: when the file is empty, too big or not a type we take (the text is kept).
    :raises EnforcementCannotChange: when it was sent or the window has closed.
    """
    from django.core.files.base import File

    from factual_accuracy.services import _files_delete

    action = representation.action
    _provider_colleague(by, action)
    checked = check_upload(upload, name=upload.name or "", size=upload.size or 0)
    saved: list[str] = []
    try:
        with transaction.atomic():
            locked = EnforcementAction.objects.select_for_update().get(pk=action.pk)
            _window_open(locked, timezone.now())
            row = Representation.objects.select_for_update().get(pk=representation.pk)
            if row.submitted_at is not None:
                raise EnforcementCannotChange("These representations have been sent; files can no longer be added.")
            item = RepresentationFile(
                representation=row,
                name=checked.safe_name,
                file_type=checked.file_type,
                size=checked.size,
                uploaded_by=by,
                uploaded_at=timezone.now(),
            )
            item.file.save(checked.safe_name, File(upload), save=False)
            saved.append(item.file.name)
            item.save()
    except Exception:
        _files_delete(saved)
        raise
    return item


def representations_submit(*, by, action: EnforcementAction, today: datetime.date) -> list[Representation]:
    """Send the drafts: only a registered person or their active delegate. The window is met, the action waits
    for our decision, and the 20-working-day response target starts.

    :raises EnforcementCannotChange: when ``by`` may not send, there is nothing to send, or the window closed.
    """
    allowed, on_behalf_of = perms.can_act_as_registered_person(by, action, today=today)
    if not allowed:
        raise EnforcementCannotChange(
            "Only a registered person, or a colleague they have named as their delegate, can send representations. "
            "Your drafts are saved."
        )
    now = timezone.now()
    with transaction.atomic():
        locked = EnforcementAction.objects.select_for_update(of=("self",)).select_related("location").get(pk=action.pk)
        window = _window_open(locked, now)
        drafts = list(Representation.objects.filter(action=locked, submitted_at__isnull=True))
        if not drafts:
            raise EnforcementCannotChange("There are no representations to send.")
        Representation.objects.filter(pk__in=[d.pk for d in drafts]).update(
            submitted_by=by, on_behalf_of=on_behalf_of, submitted_at=now
        )
        locked = _move(
            locked,
            by=by,
            transition="close_representations",
            audit="enforcement.representations.submit",
            reason=f"{len(drafts)} representation(s) sent.",
        )
        if window is not None:
            deadline_meet(deadline=window, by=by, on_behalf_of=on_behalf_of, at=now)
        deadline_open(
            case=locked,
            kind=Kind.REPRESENTATIONS_RESPONSE_TARGET,
            start_date=today,
            case_description="Respond to the representations",
            case_url=_url(locked),
            provider=locked.provider,
            location=locked.location,
            owner=locked.decided_by,
            by=by,
        )
        _reviews_recheck(locked, by=by, today=today)
        from cqcportal.notifications.services import notification_queue

        notification_queue(
            recipient=locked.decided_by,
            subject=f"Representations received: {locked.get_kind_display().lower()} on {locked.provider.name}",
            body=f"{locked.provider.name} sent {len(drafts)} representation(s). Respond to each; the target is 20 "
            "working days.",
            kind="enforcement.representations",
            link_url=_url(locked),
            dedupe_key=f"enforcement:{locked.pk}:representations",
        )
    return list(Representation.objects.filter(pk__in=[d.pk for d in drafts]))


@on_expiry(Kind.REPRESENTATIONS_WARNING_NOTICE)
@on_expiry(Kind.REPRESENTATIONS_NOTICE_OF_PROPOSAL)
def representations_window_closed(*, deadline, now: datetime.datetime) -> None:
    """No representations in time: a warning notice stands and is published; a notice of proposal waits for our
    decision (adopt, or withdraw). Run by the sweep."""
    action = EnforcementAction.objects.select_for_update().get(pk=deadline.object_id)
    if action.state != ActionState.SERVED:
        return
    today = timezone.localdate(now)
    action = _move(
        action, by=None, transition="close_representations", audit="enforcement.representations.none", reason=""
    )
    if action.kind == ActionKind.WARNING_NOTICE:
        action = _move(action, by=None, transition="confirm", audit="enforcement.confirm", on=today)
        _publish(action)


def representation_respond(*, by, representation: Representation, response: str) -> Representation:
    """Answer one representation; when all are answered the response target is met.

    :raises EnforcementCannotChange: when the response is empty or the representation was never sent.
    """
    _staff(by)
    if not response.strip():
        raise EnforcementCannotChange("Write the response.")
    now = timezone.now()
    with transaction.atomic():
        locked = EnforcementAction.objects.select_for_update().get(pk=representation.action_id)
        row = Representation.objects.select_for_update().get(pk=representation.pk)
        if row.submitted_at is None:
            raise EnforcementCannotChange("These representations were never sent to us.")
        row.response, row.responded_by, row.responded_at = response.strip(), by, now
        row.save(update_fields=["response", "responded_by", "responded_at"])
        audit_event_record(by=by, subject=locked, action="enforcement.representations.respond", data={"id": row.pk})
        if not Representation.objects.filter(
            action=locked, submitted_at__isnull=False, responded_at__isnull=True
        ).exists():
            target = deadline_selectors.live_deadline_for(locked, Kind.REPRESENTATIONS_RESPONSE_TARGET)
            if target is not None:
                deadline_meet(deadline=target, by=by, at=now)
    return row


def action_decide(
    *, by, action: EnforcementAction, adopt: bool, reason: str, today: datetime.date
) -> EnforcementAction:
    """After representations (or none): adopt the action or withdraw it. An adopted warning notice stands and is
    published; an adopted notice of proposal becomes a notice of decision, which may be appealed within 28 days.
    A withdrawn action lifts its rating limits.

    :raises EnforcementCannotChange: when there is no reason, a representation is unanswered, or it is not time.
    """
    _staff(by)
    if not reason.strip():
        raise EnforcementCannotChange("Give the reason for the decision.")
    with transaction.atomic():
        current = EnforcementAction.objects.select_for_update().get(pk=action.pk)
        waiting = Representation.objects.filter(
            action=current, submitted_at__isnull=False, responded_at__isnull=True
        ).count()
        if waiting:
            raise EnforcementCannotChange(f"{waiting} representation(s) still need a response.")
        if not adopt:
            locked = _move(
                current, by=by, transition="withdraw", audit="enforcement.withdraw", reason=reason, why=reason
            )
            _limits_lift(locked, today=today)
        elif current.kind == ActionKind.NOTICE_OF_PROPOSAL:
            locked = _move(
                current, by=by, transition="serve_decision", audit="enforcement.decision", reason=reason, on=today
            )
            _appeal_window_open(locked, today=today, by=by)
        else:
            locked = _move(current, by=by, transition="confirm", audit="enforcement.confirm", reason=reason, on=today)
            _publish(locked)
        _reviews_recheck(locked, by=by, today=today)
        _tell_provider(locked, today=today, step="decided", what=_decision_words(locked), reason=reason)
    return locked


def _decision_words(action: EnforcementAction) -> str:
    if action.state == ActionState.WITHDRAWN:
        return f"We have withdrawn the {action.get_kind_display().lower()}."
    if action.state == ActionState.DECISION_SERVED:
        return (
            "We have decided to adopt the proposal and have served a notice of decision. You may appeal to the "
            "First-tier Tribunal within 28 days."
        )
    return f"The {action.get_kind_display().lower()} stands."


def _tell_provider(action: EnforcementAction, *, today: datetime.date, step: str, what: str, reason: str) -> None:
    from cqcportal.notifications.services import notification_queue

    for person in deadline_selectors.provider_contacts(
        provider_id=action.provider_id, location_id=action.location_id, today=today
    ):
        notification_queue(
            recipient=person,
            subject=f"Our decision: {action.get_kind_display().lower()} on {action.provider.name}",
            body=f"{what}\n\nOur reasons: {reason.strip()}",
            kind=f"enforcement.{step}",
            link_url=_url(action),
            dedupe_key=f"enforcement:{action.pk}:{step}:{person.pk}",
        )


# --- Appeals -----------------------------------------------------------------------------------------------------


def _appeal_window_open(action: EnforcementAction, *, today: datetime.date, by) -> None:
    deadline_open(
        case=action,
        kind=Kind.TRIBUNAL_APPEAL_WINDOW,
        start_date=today,
        case_description="Appeal to the First-tier Tribunal",
        case_url=_url(action),
        provider=action.provider,
        location=action.location,
        by=by,
    )


@on_expiry(Kind.TRIBUNAL_APPEAL_WINDOW)
def appeal_window_closed(*, deadline, now: datetime.datetime) -> None:
    """No appeal within 28 days: a notice of decision takes effect and, complete, is published (run by the sweep)."""
    action = EnforcementAction.objects.select_for_update().get(pk=deadline.object_id)
    if action.state == ActionState.DECISION_SERVED:
        action = _move(
            action, by=None, transition="take_effect", audit="enforcement.effect", on=timezone.localdate(now)
        )
        _publish(action)


def appeal_record(*, by, action: EnforcementAction, lodged_on: datetime.date, today: datetime.date) -> Appeal:
    """Record that the provider appealed to the First-tier Tribunal (staff record it from the tribunal's notice).

    :raises EnforcementCannotChange: when the action cannot be appealed, or the appeal was lodged after its window.
    """
    _staff(by)
    with transaction.atomic():
        current = EnforcementAction.objects.select_for_update().get(pk=action.pk)
        window = deadline_selectors.deadlines_for_case(current).filter(kind=Kind.TRIBUNAL_APPEAL_WINDOW).first()
        if window is None:
            raise EnforcementCannotChange("This action cannot be appealed to the tribunal.")
        if lodged_on > window.due_date:
            raise EnforcementCannotChange(f"The appeal window ended on {window.due_date:%-d %B %Y}.")
        locked = _move(current, by=by, transition="appeal", audit="enforcement.appeal")
        appeal = Appeal.objects.create(action=locked, lodged_on=lodged_on, recorded_by=by)
        if window.state in ("open", "paused"):
            deadline_meet(deadline=window, by=by, at=timezone.now())
        _reviews_recheck(locked, by=by, today=today)
    return appeal


def appeal_outcome_record(*, by, action: EnforcementAction, outcome: str, notes: str, on: datetime.date) -> Appeal:
    """Record the tribunal's decision. Allowed: the action ends and its limits are lifted; otherwise it stands and,
    complete, is published.

    :raises EnforcementCannotChange: when the outcome is not one of the list or there is no appeal.
    """
    _staff(by)
    if outcome not in Appeal.Outcome.values:
        raise EnforcementCannotChange("Choose the tribunal's decision.")
    with transaction.atomic():
        locked = _move(
            action,
            by=by,
            transition="record_appeal_outcome",
            audit="enforcement.appeal_outcome",
            reason=notes,
            outcome=f"{Appeal.Outcome(outcome).label} ({on:%-d %B %Y}). {notes}".strip(),
        )
        appeal = Appeal.objects.select_for_update().get(action=locked)
        appeal.outcome, appeal.outcome_on, appeal.outcome_notes = outcome, on, notes.strip()
        appeal.save()
        if outcome == Appeal.Outcome.ALLOWED:
            _limits_lift(locked, today=on)
        elif locked.published_at is None:
            _publish(locked)
        _reviews_recheck(locked, by=by, today=timezone.localdate())
    return appeal


# --- Publication and the pause of rating reviews -----------------------------------------------------------------


def _publish(action: EnforcementAction) -> None:
    """Put the action on the public profile; the published ratings now show its limits."""
    from cqcportal.alerts.services import public_event_record

    now = timezone.now()
    EnforcementAction.objects.filter(pk=action.pk, published_at__isnull=True).update(published_at=now)
    action.published_at = now
    audit_event_record(by=None, subject=action, action="enforcement.publish")
    if action.location_id is None:
        return
    public_event_record(
        location=action.location,
        kind="enforcement_published",
        occurred_at=now,
        title=f"{action.get_kind_display()}: {action.location.name}",
        url=reverse("register:location", args=[action.location.cqc_id]),
        dedupe_key=f"enforcement:{action.pk}:published",
    )
    if published_ratings_refresh(action.location, today=timezone.localdate(now)):
        from enforcement.special_measures import special_measures_check

        # Published enforcement can take the overall rating to inadequate: special measures follow.
        special_measures_check(location=action.location, by=action.decided_by, today=timezone.localdate(now))


def published_ratings_refresh(location, *, today: datetime.date) -> int:
    """Bring the profile's published ratings in line with the public working (published assessments and the
    enforcement published so far); the previous rows stay as history. Returns how many changed."""
    from assessments.services import location_is_rated
    from assessments.working import location_working
    from cqcportal.register.models import KeyQuestion, PublishedRating

    if not location_is_rated(location):
        return 0
    working = location_working(location, published_only=True)
    wanted = {kq.key_question: kq.rating.slug for kq in working.key_questions if kq.rating}
    if working.overall:
        wanted["overall"] = working.overall.slug
    current = {
        r.key_question: r
        for r in PublishedRating.objects.filter(
            location=location, is_current=True, source=PublishedRating.Source.ASSESSMENT
        )
    }
    changed = [kq for kq, rating in wanted.items() if kq in current and current[kq].rating != rating]
    if not changed:
        return 0
    PublishedRating.objects.filter(pk__in=[current[kq].pk for kq in changed]).update(is_current=False)
    PublishedRating.objects.bulk_create(
        PublishedRating(
            location=location,
            key_question=KeyQuestion.OVERALL if kq == "overall" else kq,
            rating=wanted[kq],
            report_date=current[kq].report_date,
            report_link_id=current[kq].report_link_id,
            source=PublishedRating.Source.ASSESSMENT,
        )
        for kq in changed
    )
    return len(changed)


def open_challenge_reasons(location_id: int) -> list[str]:
    """Challenges to enforcement at the location that pause its rating reviews: representations made and not
    yet decided on, and appeals to the tribunal not yet decided."""
    from django.db.models import Exists, OuterRef

    sent = Representation.objects.filter(action=OuterRef("pk"), submitted_at__isnull=False)
    reasons = []
    for action in (
        EnforcementAction.objects.filter(location_id=location_id)
        .filter(state__in=[ActionState.REPRESENTATIONS_CLOSED, ActionState.APPEALED])
        .annotate(challenged=Exists(sent))
    ):
        if action.state == ActionState.APPEALED:
            reasons.append(
                f"An appeal to the First-tier Tribunal against a {action.get_kind_display().lower()} is open."
            )
        elif action.challenged:
            reasons.append(f"Representations on a {action.get_kind_display().lower()} are being considered.")
    return reasons


def _reviews_recheck(action: EnforcementAction, *, by, today: datetime.date) -> None:
    from assessments.review_services import rating_reviews_pause_recheck

    if action.location_id is not None:
        rating_reviews_pause_recheck(location_id=action.location_id, by=by, today=today)
