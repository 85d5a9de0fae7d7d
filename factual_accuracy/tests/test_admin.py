"""The report in Django admin: state read-only, transitions are buttons that call the portal's services."""

import pytest
from django.db import transaction
from django.urls import reverse

from cqcportal.accounts.models import StaffRole
from cqcportal.audit.models import AuditEvent
from cqcportal.tests.factories import StaffFactory
from factual_accuracy import services
from factual_accuracy.models import Report, ReportState
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture


@pytest.mark.django_db
def test_admin_report_buttons_call_the_services_and_are_audited(client, inspector, completed):  # noqa: F811
    admin = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)
    with transaction.atomic():
        report = services.report_create(by=inspector, assessment=completed)
    client.force_login(admin)
    change = reverse("admin:factual_accuracy_report_change", args=[report.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert "Send to quality review" in page.text and "Publish</button>" not in page.text
    assert 'name="state"' not in page.text  # read-only: shown, not editable
    client.post(reverse("admin:factual_accuracy_report_transition", args=[report.pk, "submit"]))
    assert Report.objects.get().state == ReportState.IN_QUALITY_REVIEW
    assert AuditEvent.objects.get(action="report.quality_review.submit").actor == admin
    # A transition the state does not allow is refused by the service, with its message.
    response = client.post(
        reverse("admin:factual_accuracy_report_transition", args=[report.pk, "publish"]), follow=True
    )
    assert "that cannot happen now" in response.text
    # Withdrawing needs a senior role and a reason, as in the portal.
    response = client.post(
        reverse("admin:factual_accuracy_report_transition", args=[report.pk, "withdraw"]), {"reason": ""}, follow=True
    )
    assert "Only an operations manager" in response.text
    for name in ["comment", "supportingfile", "extensionrequest", "informationquery", "report"]:
        assert client.get(reverse(f"admin:factual_accuracy_{name}_changelist")).status_code == 200, name
