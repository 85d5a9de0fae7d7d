"""Fit and proper persons (directors): information of concern is recorded, passed to the provider, the
provider's response recorded and reviewed, and the outcome recorded. The referrer is never named to the provider.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from cqcportal.accounts import rules as perms
from cqcportal.audit.services import audit_event_record
from cqcportal.deadlines import selectors as deadline_selectors
from enforcement.models import ConcernOutcome, ConcernState, FitAndProperConcern


class ConcernCannotChange(Exception):
    """The concern is not in a state, or the person not in a role, that allows this; the message says which."""


def concerns_visible_to(user) -> QuerySet[FitAndProperConcern]:
    """All concerns for staff; for a provider user, their own organisation's once passed to them."""
    qs = FitAndProperConcern.objects.select_related("provider", "responded_by")
    if perms.is_regulator_staff(user):
        return qs
    membership = perms.membership_of(user)
    if membership is None:
        return qs.none()
    return qs.filter(provider_id=membership.provider_id).exclude(state=ConcernState.RECORDED)


def _move(concern, *, by, transition: str, audit: str, reason: str = "", **kwargs):
    locked = FitAndProperConcern.objects.select_for_update().get(pk=concern.pk)
    method = getattr(locked, transition)
    if not can_proceed(method):
        raise ConcernCannotChange(f"This concern is {locked.get_state_display().lower()}; that cannot happen now.")
    before = locked.state
    method(**kwargs)
    locked.save()
    # The audit reason never carries the referrer: provider users may read audit trails of their own records.
    audit_event_record(by=by, subject=locked, action=audit, from_state=before, to_state=locked.state, reason=reason)
    return locked


def _staff(by) -> None:
    if not perms.is_regulator_staff(by):
        raise ConcernCannotChange("Only the regulator's staff can do this.")


def concern_record(
    *, by, provider, director_name: str, concern: str, received_on: datetime.date, referrer_name="", referrer_contact=""
) -> FitAndProperConcern:
    """Record information of concern about a director. :raises ConcernCannotChange: when something is missing."""
    _staff(by)
    if not director_name.strip() or not concern.strip():
        raise ConcernCannotChange("Name the director and describe the concern.")
    if received_on > timezone.localdate():
        raise ConcernCannotChange("The date received cannot be in the future.")
    with transaction.atomic():
        row = FitAndProperConcern.objects.create(
            provider=provider,
            director_name=director_name.strip()[:200],
            concern=concern.strip(),
            referrer_name=referrer_name.strip()[:200],
            referrer_contact=referrer_contact.strip()[:300],
            received_on=received_on,
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        audit_event_record(by=by, subject=row, action="fit_and_proper.record", to_state=row.state)
    return row


def concern_pass_to_provider(*, by, concern: FitAndProperConcern, today: datetime.date) -> FitAndProperConcern:
    """Pass the concern to the provider's registered persons for a response (without the referrer's identity)."""
    from cqcportal.notifications.services import notification_queue

    _staff(by)
    with transaction.atomic():
        locked = _move(concern, by=by, transition="pass_to_provider", audit="fit_and_proper.pass", on=today)
        for person in deadline_selectors.provider_contacts(
            provider_id=locked.provider_id, location_id=None, today=today
        ):
            notification_queue(
                recipient=person,
                subject="Information of concern about a director: please respond",
                body=f"We have received information of concern about {locked.director_name}, a director of "
                f"{locked.provider.name}. Please read it in the portal and tell us how you have assured yourselves "
                "that they are fit and proper.",
                kind="fit_and_proper.passed",
                link_url=reverse("enforcement:concern", args=[locked.pk]),
                dedupe_key=f"concern:{locked.pk}:passed:{person.pk}",
            )
    return locked


def concern_respond(*, by, concern: FitAndProperConcern, text: str, today: datetime.date) -> FitAndProperConcern:
    """The provider's response, from a registered person or their delegate.

    :raises ConcernCannotChange: when ``by`` may not respond, the text is empty, or it was answered already.
    """
    allowed, on_behalf_of = perms.can_act_as_registered_person(by, concern, today=today)
    if not allowed:
        raise ConcernCannotChange("Only a registered person, or their delegate, can respond.")
    if not text.strip():
        raise ConcernCannotChange("Write your response.")
    with transaction.atomic():
        current = FitAndProperConcern.objects.select_for_update().get(pk=concern.pk)
        if not can_proceed(current.respond):
            raise ConcernCannotChange(
                f"This concern is {current.get_state_display().lower()}; it cannot be answered now."
            )
        current.respond(by=by, at=timezone.now(), text=text.strip())
        current.save()
        audit_event_record(
            by=by,
            on_behalf_of=on_behalf_of,
            subject=current,
            action="fit_and_proper.respond",
            from_state=ConcernState.WITH_PROVIDER,
            to_state=current.state,
        )
    return current


def concern_review(*, by, concern: FitAndProperConcern, notes: str) -> FitAndProperConcern:
    """Staff review the provider's response. :raises ConcernCannotChange: without notes or a response."""
    _staff(by)
    if not notes.strip():
        raise ConcernCannotChange("Write your review of the response.")
    with transaction.atomic():
        locked = FitAndProperConcern.objects.select_for_update().get(pk=concern.pk)
        if not can_proceed(locked.review):
            raise ConcernCannotChange(
                f"This concern is {locked.get_state_display().lower()}; it cannot be reviewed now."
            )
        locked.review(by=by, notes=notes.strip())
        locked.save()
        audit_event_record(
            by=by,
            subject=locked,
            action="fit_and_proper.review",
            from_state=ConcernState.RESPONDED,
            to_state=locked.state,
        )
    return locked


def concern_close(*, by, concern: FitAndProperConcern, outcome: str, notes: str) -> FitAndProperConcern:
    """Record the outcome: discuss, assess or take action. :raises ConcernCannotChange: unless reviewed."""
    _staff(by)
    if outcome not in ConcernOutcome.values:
        raise ConcernCannotChange("Choose the outcome: discuss, assess or take action.")
    with transaction.atomic():
        return _move(
            concern,
            by=by,
            transition="close",
            audit="fit_and_proper.close",
            reason=ConcernOutcome(outcome).label,
            outcome=outcome,
            notes=notes.strip(),
            at=timezone.now(),
        )
