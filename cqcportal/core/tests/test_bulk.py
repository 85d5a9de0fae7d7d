"""Set-based writes: COPY with its portable fallback, and a transition made on many rows at once."""

import datetime

import pytest
from django.db import connection, transaction
from django.utils import timezone

from assessments.models import InformationRequest, InformationRequestState
from cqcportal.audit.models import AuditEvent
from cqcportal.audit.services import audit_event_build, audit_events_record_many
from cqcportal.core.bulk import insert_rows
from cqcportal.core.transitions import transition_many
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.notifications.models import Notification

pytestmark = pytest.mark.django_db

FIELDS = ["recipient_id", "to_email", "subject", "body", "html_body", "link_url", "headers", "kind", "dedupe_key"]
FIELDS += ["created_at", "attempts", "last_error"]


def _rows(n, user, *, prefix="k"):
    now = timezone.now()
    return [
        (
            user.pk,
            f"p{i}@example.org",
            f"Subject {i}",
            f"Body {i}",
            "",
            "/x/",
            {"List-Id": f"l{i}"},
            "t",
            f"{prefix}{i}",
            now,
            0,
            "",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_insert_rows_returns_ids_in_row_order_on_copy_and_on_the_fallback(monkeypatch, inspector, vendor):
    if vendor == "other":
        monkeypatch.setattr(connection, "vendor", "sqlite")  # the fallback, bulk_create, runs anywhere
    with transaction.atomic():
        ids = insert_rows(Notification, FIELDS, _rows(3, inspector), with_ids=True)
    rows = {n.pk: n for n in Notification.objects.all()}
    assert [rows[pk].subject for pk in ids] == ["Subject 0", "Subject 1", "Subject 2"]
    assert rows[ids[2]].headers == {"List-Id": "l2"}  # JSON written as JSON, not as text
    assert rows[ids[0]].recipient == inspector


def test_insert_rows_fails_whole_on_a_repeated_unique_key(inspector):
    with transaction.atomic():
        insert_rows(Notification, FIELDS, _rows(2, inspector))
    with pytest.raises(Exception, match="notification_dedupe_once"), transaction.atomic():
        insert_rows(Notification, FIELDS, _rows(3, inspector, prefix="new") + _rows(1, inspector))
    assert Notification.objects.count() == 2


def test_transition_many_moves_only_rows_that_can_and_saves_what_the_transition_set(location, inspector):
    now = timezone.now()
    requests = InformationRequest.objects.bulk_create(
        InformationRequest(
            location=location, provider=location.provider, questions="q", requested_by=inspector, requested_at=now
        )
        for _ in range(3)
    )
    InformationRequest.objects.filter(pk=requests[2].pk).update(state=InformationRequestState.WITHDRAWN)
    with transaction.atomic():
        moved = transition_many(
            InformationRequest.objects.filter(pk__in=[r.pk for r in requests]),
            transition="close_no_response",
            fields=["state"],
        )
    assert sorted(r.pk for r in moved) == [requests[0].pk, requests[1].pk]
    states = dict(InformationRequest.objects.values_list("pk", "state"))
    assert states == {
        requests[0].pk: InformationRequestState.CLOSED_NO_RESPONSE,
        requests[1].pk: InformationRequestState.CLOSED_NO_RESPONSE,
        requests[2].pk: InformationRequestState.WITHDRAWN,
    }


def test_transition_many_runs_the_transitions_body_and_adds_also(location, inspector):
    from cqcportal.deadlines.rules import Kind
    from cqcportal.deadlines.services import deadline_open

    with transaction.atomic():
        deadline = deadline_open(
            case=location, kind=Kind.PUBLICATION_TARGET, start_date=datetime.date(2027, 3, 1), case_description="x"
        )
    at = timezone.now()
    with transaction.atomic():
        transition_many(
            [Deadline(pk=deadline.pk)],
            transition="miss",
            fields=["state", "closed_at", "met_on_time"],
            also={"next_action_at": None},
            at=at,
        )
    deadline = Deadline.objects.get(pk=deadline.pk)  # a protected state field cannot be refreshed in place
    assert (deadline.state, deadline.closed_at, deadline.met_on_time, deadline.next_action_at) == (
        DeadlineState.MISSED,
        at,
        False,
        None,
    )


def test_audit_events_record_many_writes_what_audit_event_build_describes(location):
    with transaction.atomic():
        rows = [audit_event_build(by=None, subject=location, action="test.bulk", reason=f"r{i}") for i in range(3)]
        audit_events_record_many(rows)
    events = list(AuditEvent.objects.filter(action="test.bulk").order_by("reason"))
    assert [e.reason for e in events] == ["r0", "r1", "r2"]
    assert {(e.actor_description, e.subject_description, e.provider_id) for e in events} == {
        ("System", str(location), location.provider_id)
    }


@pytest.mark.django_db(transaction=True)
def test_audit_events_record_many_refuses_outside_a_transaction(location):
    from cqcportal.audit.services import AuditEventCannotBeWrittenOutsideTransaction

    with pytest.raises(AuditEventCannotBeWrittenOutsideTransaction):
        audit_events_record_many([audit_event_build(by=None, subject=location, action="test.bulk")])
