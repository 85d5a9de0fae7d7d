"""The report's state machine on the clock: quality review, the factual accuracy check and publication."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from assessments.models import QualityStatement
from assessments.services import assessment_complete, assessment_create, assessment_start, statement_score_set
from cqcportal.alerts.models import PublicEvent
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.notifications.models import Notification
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from factual_accuracy.models import Report, ReportState
from factual_accuracy.services import (
    ReportCannotChange,
    factual_accuracy_confirm_no_inaccuracies,
    report_create,
    report_independent_check_pass,
    report_mark_ready_to_publish,
    report_publish,
    report_quality_review_pass,
    report_quality_review_return,
    report_send_for_factual_accuracy,
    report_submit_for_quality_review,
)

LONDON = ZoneInfo("Europe/London")
SENT = datetime.date(2026, 12, 18)  # a Friday: 10 working days skip Christmas, Boxing Day and New Year


@pytest.fixture
def completed(inspector, location, provider_user):
    statements = list(QualityStatement.objects.filter(key_question="safe").order_by("order")[:2])
    with transaction.atomic():
        assessment = assessment_create(
            by=inspector, location=location, kind="planned", announced=True, statements=statements
        )
        assessment_start(by=inspector, assessment=assessment)
        for statement in statements:
            statement_score_set(
                by=inspector,
                assessment=assessment,
                statement=statement,
                score=3,
                summary="",
                judgement="",
                expected_version=0,
            )
        return assessment_complete(by=inspector, assessment=assessment)


def _reload(report) -> Report:
    return Report.objects.get(pk=report.pk)


def _out_for_fa(inspector, completed) -> Report:
    reviewer = StaffFactory()
    with transaction.atomic():
        report = report_create(by=inspector, assessment=completed)
    report = report_submit_for_quality_review(by=inspector, report=report)
    report = report_quality_review_pass(by=reviewer, report=report)
    return report_send_for_factual_accuracy(by=inspector, report=report, today=SENT)


@pytest.mark.django_db
def test_report_quality_review_return_needs_comments_and_goes_back_to_drafting(inspector, completed):
    with transaction.atomic():
        report = report_create(by=inspector, assessment=completed)
    report_submit_for_quality_review(by=inspector, report=report)
    with pytest.raises(ReportCannotChange, match="Write what needs to change"):
        report_quality_review_return(by=inspector, report=report, comments="  ")
    report = report_quality_review_return(by=inspector, report=report, comments="Tighten the safe summary.")
    assert (report.state, report.quality_review_comments) == (ReportState.DRAFTING, "Tighten the safe summary.")
    assert AuditEvent.objects.filter(action="report.quality_review.return", reason="Tighten the safe summary.").exists()


@pytest.mark.django_db
def test_report_one_live_report_per_assessment(inspector, completed):
    with transaction.atomic():
        report_create(by=inspector, assessment=completed)
    with pytest.raises(ReportCannotChange, match="already has a report"), transaction.atomic():
        report_create(by=inspector, assessment=completed)


@pytest.mark.django_db
def test_report_sent_for_factual_accuracy_gets_ten_working_days_and_emails_registered_persons(
    inspector, completed, provider_user
):
    report = _out_for_fa(inspector, completed)
    window = Deadline.objects.get(object_id=str(report.pk), kind=Kind.FACTUAL_ACCURACY_CHECK)
    assert window.due_date == datetime.date(2027, 1, 6)
    assert "Christmas Day" in window.explanation and "New Year" in window.explanation
    sent = Notification.objects.get(kind="report.factual_accuracy.sent")
    assert sent.recipient == provider_user
    assert "6 January 2027" in sent.subject
    # A second click finds it already out and changes nothing.
    with pytest.raises(ReportCannotChange, match="out for factual accuracy"):
        report_send_for_factual_accuracy(by=inspector, report=report, today=SENT)
    assert Deadline.objects.filter(object_id=str(report.pk), kind=Kind.FACTUAL_ACCURACY_CHECK).count() == 1


@pytest.mark.django_db
def test_report_no_inaccuracies_closes_at_once_then_publishes(inspector, completed, provider_user):
    report = _out_for_fa(inspector, completed)
    report = factual_accuracy_confirm_no_inaccuracies(by=provider_user, report=report, today=SENT)
    assert report.state == ReportState.FA_CLOSED_NO_INACCURACIES
    window = Deadline.objects.get(object_id=str(report.pk), kind=Kind.FACTUAL_ACCURACY_CHECK)
    assert window.state == DeadlineState.MET
    report = report_mark_ready_to_publish(by=inspector, report=report)
    report = report_publish(by=inspector, report=report)
    assert report.state == ReportState.PUBLISHED and report.published_at is not None
    target = Deadline.objects.get(object_id=str(report.pk), kind=Kind.PUBLICATION_TARGET)
    assert target.state == DeadlineState.MET
    assert PublicEvent.objects.filter(location=report.location, kind="report_published").count() == 1


@pytest.mark.django_db
def test_report_colleague_and_other_provider_cannot_close_the_check(inspector, completed, provider_user):
    report = _out_for_fa(inspector, completed)
    colleague = ProviderUserFactory(membership__provider=provider_user.membership.provider)
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    for person in (colleague, stranger):
        with pytest.raises(ReportCannotChange, match="Only a registered person"):
            factual_accuracy_confirm_no_inaccuracies(by=person, report=report, today=SENT)
    assert _reload(report).state == ReportState.OUT_FOR_FACTUAL_ACCURACY


@pytest.mark.django_db
def test_report_check_with_no_response_is_closed_by_the_sweep_once(inspector, completed, provider_user):
    report = _out_for_fa(inspector, completed)
    assert deadlines_sweep(now=datetime.datetime(2027, 1, 6, 23, 59, tzinfo=LONDON)).closed == 0
    assert _reload(report).state == ReportState.OUT_FOR_FACTUAL_ACCURACY
    result = deadlines_sweep(now=datetime.datetime(2027, 1, 7, 0, 0, tzinfo=LONDON))
    assert result.closed == 1
    assert _reload(report).state == ReportState.FA_CLOSED_NO_RESPONSE
    assert deadlines_sweep(now=datetime.datetime(2027, 1, 8, 9, tzinfo=LONDON)).closed == 0
    assert AuditEvent.objects.filter(action="report.factual_accuracy.no_response").count() == 1
    # A response after the close is refused plainly.
    with pytest.raises(ReportCannotChange, match="closed because its deadline passed with no response"):
        factual_accuracy_confirm_no_inaccuracies(by=provider_user, report=report, today=datetime.date(2027, 1, 7))


@pytest.mark.django_db
def test_report_independent_check_refused_for_the_assessment_team(inspector, completed):
    with transaction.atomic():
        report = report_create(by=inspector, assessment=completed)
    Report.objects.filter(pk=report.pk).update(state=ReportState.INDEPENDENT_CHECK)  # the comments flow comes next
    with pytest.raises(ReportCannotChange, match="not on the assessment team"):
        report_independent_check_pass(by=inspector, report=report)
    checker = StaffFactory()
    report = report_independent_check_pass(by=checker, report=report)
    assert (report.state, report.checked_by) == (ReportState.READY_TO_PUBLISH, checker)


@pytest.mark.django_db
def test_report_draft_starts_from_the_assessment(inspector, completed):
    with transaction.atomic():
        report = report_create(by=inspector, assessment=completed)
    sections = list(report.sections.order_by("order"))
    assert sections[0].kind == "overall"
    key_questions = [s for s in sections if s.kind == "key_question"]
    assert [s.title for s in key_questions] == ["Safe", "Effective", "Caring", "Responsive", "Well-led"]
    assert key_questions[0].score == 75 and key_questions[0].rating == "good"
    statements = [s for s in sections if s.kind == "statement"]
    assert len(statements) == 2 and all(s.score == 3 for s in statements)
