import pytest
from django.db import transaction

from cqcportal.audit.models import AuditEvent
from cqcportal.audit.selectors import audit_events_for
from cqcportal.audit.services import AuditEventCannotBeWrittenOutsideTransaction, audit_event_record
from cqcportal.tests.factories import ProviderUserFactory


@pytest.mark.django_db(transaction=True)
def test_audit_event_record_refuses_to_write_outside_a_transaction(location):
    with pytest.raises(AuditEventCannotBeWrittenOutsideTransaction):
        audit_event_record(by=None, subject=location, action="test.outside")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_audit_event_rolls_back_with_the_change(location):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_event_record(by=None, subject=location, action="test.rolled_back")
        raise RuntimeError("the change failed")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_audit_event_records_delegate_acting_on_behalf(provider_user, location):
    delegate = ProviderUserFactory(full_name="Dee Delegate", membership__provider=location.provider)
    with transaction.atomic():
        event = audit_event_record(
            by=delegate,
            on_behalf_of=provider_user,
            subject=location,
            action="test.act",
            from_state="a",
            to_state="b",
            reason="because",
        )
    assert event.provider_id == location.provider_id
    assert event.actor_description == (
        f"Dee Delegate (Colleague, {location.provider.name}), as delegate for Paula Provider"
    )
    assert list(audit_events_for(location)) == [event]


@pytest.mark.django_db
def test_audit_event_by_system_is_described_as_system(location):
    with transaction.atomic():
        event = audit_event_record(by=None, subject=location, action="test.system")
    assert event.actor_description == "System" and event.actor is None
