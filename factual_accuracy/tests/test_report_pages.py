import datetime

import pytest
from django.db import transaction
from django.urls import reverse

from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from factual_accuracy.models import Report, ReportState
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture


def _action(report, name):
    return reverse("factual_accuracy:report-action", args=[report.pk, name])


@pytest.mark.django_db
def test_report_pages_take_a_draft_through_to_the_provider_and_publication(client, inspector, completed, provider_user):  # noqa: F811
    client.force_login(inspector)
    response = client.post(reverse("factual_accuracy:report-new", args=[completed.pk]), follow=True)
    assert "Draft report started" in response.text
    report = Report.objects.get()
    url = reverse("factual_accuracy:report", args=[report.pk])
    # The provider cannot see a draft before it is sent to them.
    client.force_login(provider_user)
    assert client.get(url).status_code == 404
    client.force_login(inspector)
    client.post(_action(report, "submit"))
    response = client.post(_action(report, "return"), {"comments": ""}, follow=True)
    assert "Write what needs to change" in response.text
    client.force_login(StaffFactory())
    client.post(_action(report, "pass"))
    client.force_login(inspector)
    response = client.post(_action(report, "send"), follow=True)
    assert "the factual accuracy check has started" in response.text
    assert "How this date was worked out" in response.text
    client.force_login(provider_user)
    page = client.get(url)
    assert page.status_code == 200 and "There are no factual inaccuracies" in page.text
    response = client.post(_action(report, "no-inaccuracies"), follow=True)
    assert "The check is closed" in response.text
    # A second click is told plainly what happened.
    response = client.post(_action(report, "no-inaccuracies"), follow=True)
    assert "The factual accuracy check is closed because you told us there are no factual inaccuracies" in response.text
    client.force_login(inspector)
    client.post(_action(report, "ready"))
    client.post(_action(report, "publish"))
    assert Report.objects.get().state == ReportState.PUBLISHED


@pytest.mark.django_db
def test_report_page_of_another_provider_is_not_found(client, inspector, completed):  # noqa: F811
    from factual_accuracy.services import (
        report_create,
        report_quality_review_pass,
        report_send_for_factual_accuracy,
        report_submit_for_quality_review,
    )

    with transaction.atomic():
        report = report_create(by=inspector, assessment=completed)
    report_submit_for_quality_review(by=inspector, report=report)
    report_quality_review_pass(by=StaffFactory(), report=report)
    report_send_for_factual_accuracy(by=inspector, report=report, today=datetime.date(2026, 12, 18))
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    client.force_login(stranger)
    assert client.get(reverse("factual_accuracy:report", args=[report.pk])).status_code == 404
    assert client.post(_action(report, "no-inaccuracies")).status_code == 404
    assert Report.objects.get().state == ReportState.OUT_FOR_FACTUAL_ACCURACY
