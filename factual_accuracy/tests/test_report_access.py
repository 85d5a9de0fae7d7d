"""Every reading of an unpublished report page is in the audit log, written by the statement that reads the report.

The report page reads its report and writes the record of the reading in one statement (a ``WITH`` clause:
``factual_accuracy.selectors.report_page_reads``), so the record is of the report as it was shown. These tests hold
that statement's row to what ``audit_access_record`` writes for the same reading, and check when there is none.
"""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cqcportal.audit.models import AuditEvent
from cqcportal.audit.services import DOCUMENT_VIEW, audit_event_build
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from factual_accuracy import services
from factual_accuracy.models import Report, ReportState
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

SENT = datetime.date(2026, 12, 18)


@pytest.fixture
def drafting(inspector, completed):  # noqa: F811
    with transaction.atomic():
        return services.report_create(by=inspector, assessment=completed)


@pytest.fixture
def sent(inspector, drafting):
    services.report_submit_for_quality_review(by=inspector, report=drafting)
    services.report_quality_review_pass(by=StaffFactory(), report=drafting)
    return services.report_send_for_factual_accuracy(by=inspector, report=drafting, today=SENT)


def _open(client, user, report):
    client.force_login(user)
    return client.get(reverse("factual_accuracy:report", args=[report.pk]))


def _readings(report):
    return list(AuditEvent.objects.filter(action=DOCUMENT_VIEW, object_id=str(report.pk)).order_by("pk"))


def _fields(event) -> dict:
    if hasattr(event, "_asdict"):
        row = event._asdict()
    else:
        row = {field.attname: getattr(event, field.attname) for field in event._meta.concrete_fields}
    return {key: value for key, value in row.items() if key not in ("id", "occurred_at")}


@pytest.mark.parametrize("who", ["inspector", "provider"])
def test_each_reading_is_the_row_audit_access_record_would_write(client, inspector, provider_user, sent, who):
    user = inspector if who == "inspector" else provider_user
    before = timezone.now()
    assert _open(client, user, sent).status_code == 200
    assert _open(client, user, sent).status_code == 200
    after = timezone.now()
    readings = _readings(sent)
    assert len(readings) == 2, "each reading is recorded once"
    report = Report.objects.select_related("location").get(pk=sent.pk)
    expected = audit_event_build(
        by=user,
        subject=report,
        action=DOCUMENT_VIEW,
        data={"document": "draft report", "state": ReportState.OUT_FOR_FACTUAL_ACCURACY},
    )
    for reading in readings:
        assert _fields(reading) == _fields(expected)
        assert before <= reading.occurred_at <= after
    assert readings[0].subject_description == f"Report on {report.location.name} (Out for factual accuracy check)"
    assert readings[0].provider_id == report.provider_id


def test_a_draft_is_recorded_with_its_state_and_a_published_report_is_not(client, inspector, drafting):
    assert _open(client, inspector, drafting).status_code == 200
    (reading,) = _readings(drafting)
    assert reading.data == {"document": "draft report", "state": "drafting"}
    assert reading.subject_description.endswith("(Drafting)")
    Report.objects.filter(pk=drafting.pk).update(state=ReportState.PUBLISHED, published_at=timezone.now())
    assert _open(client, inspector, drafting).status_code == 200
    assert len(_readings(drafting)) == 1, "a published report's reading is not recorded"


def test_a_page_not_shown_records_nothing(client, provider_user, drafting):
    # The provider cannot see the draft before it is sent to them; nor can another provider's people see it after.
    assert _open(client, provider_user, drafting).status_code == 404
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    assert _open(client, stranger, drafting).status_code == 404
    assert _readings(drafting) == []
    assert _open(client, StaffFactory(), drafting).status_code == 200
    assert len(_readings(drafting)) == 1


def test_long_names_are_written_as_audit_access_record_writes_them(client, inspector, drafting):
    # The longest names the register and the accounts hold.
    type(drafting.location).objects.filter(pk=drafting.location.pk).update(name="L" * 300)
    type(inspector).objects.filter(pk=inspector.pk).update(full_name="N" * 200)
    assert _open(client, inspector, drafting).status_code == 200
    (reading,) = _readings(drafting)
    report = Report.objects.select_related("location").get(pk=drafting.pk)
    inspector.refresh_from_db()
    expected = audit_event_build(
        by=inspector, subject=report, action=DOCUMENT_VIEW, data={"document": "draft report", "state": "drafting"}
    )
    assert reading.subject_description == expected.subject_description
    assert len(reading.subject_description) == 300
    assert reading.actor_description == expected.actor_description
