"""Scoring in the workspace and reading the public working, in real headless Chromium."""

import os

import pytest
from django.db import transaction
from playwright.sync_api import expect

from assessments.models import QualityStatement
from assessments.services import assessment_create
from cqcportal.core.tests.test_browser import accessibility_violations, sign_in
from cqcportal.tests.factories import LocationFactory, StaffFactory
from cqcportal.tests.flows import report_published

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_browser_inspector_scores_statements_and_watches_the_rating_change(page, live_server):
    inspector = StaffFactory(full_name="Isla Inspector", email="isla@regulator.example")
    location = LocationFactory(name="Maple Court", service_types=["Nursing homes"])
    safe = list(QualityStatement.objects.filter(key_question="safe").order_by("order")[:2])
    with transaction.atomic():
        assessment = assessment_create(by=inspector, location=location, kind="planned", announced=True, statements=safe)

    sign_in(page, live_server, inspector.email)
    page.goto(f"{live_server.url}/assessments/")
    # The caseload is drawn by Jinja2 from top to bottom (render_page): the same layout, as accessible.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your assessments")
    assert accessibility_violations(page) == []
    page.get_by_label("State").select_option("planned")
    page.get_by_role("button", name="Filter").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/assessments/?state=planned")
    page.get_by_role("link", name="Maple Court").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maple Court")
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.get_by_text("you can score statements now")).to_be_visible()

    page.get_by_role("link", name=safe[0].name).click()
    page.get_by_label("3 – Evidence shows a good standard").check()
    page.get_by_label("Summary of findings").fill("Staff know the safeguarding procedure well.")
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Save the score").click()
    expect(page.get_by_text("Score saved")).to_be_visible()
    safe_row = page.locator("table").first.get_by_role("row", name="Safe")
    expect(safe_row).to_contain_text("75%")
    expect(safe_row).to_contain_text("Good")

    page.get_by_role("link", name=safe[1].name).click()
    page.get_by_label("1 – Evidence shows significant shortfalls").check()
    page.get_by_role("button", name="Save the score").click()
    expect(page.get_by_text("Score saved")).to_be_visible()
    # 3 + 1 = 4 of 8 = 50%: requires improvement, and the 1 limits it there too.
    expect(safe_row).to_contain_text("50%")
    expect(safe_row).to_contain_text("Requires improvement")

    page.locator("summary", has_text="Complete the assessment").click()
    page.get_by_role("button", name="Complete the assessment").click()
    expect(page.get_by_text("Assessment completed")).to_be_visible()
    # The public sees the new scores once the report is published.
    report_published(assessment, by=inspector)
    page.goto(f"{live_server.url}/location/{location.cqc_id}/how-this-rating-was-reached/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How this rating was reached")
    expect(page.get_by_text("4 out of a possible 8").first).to_be_visible()
    assert accessibility_violations(page) == []
    assert assessment.pk
