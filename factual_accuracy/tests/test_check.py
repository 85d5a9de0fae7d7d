"""The provider's factual accuracy check and the staff's responses, through the services, on PostgreSQL."""

import datetime
import io
import re
import zipfile
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from assessments.models import LocationRating, StatementScore, StatementScoreChange
from cqcportal.audit.models import AuditEvent
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.rules import Kind
from cqcportal.notifications.models import Notification
from cqcportal.register.models import PublishedRating
from cqcportal.tests.factories import ProviderUserFactory, StaffFactory
from factual_accuracy import services
from factual_accuracy.models import (
    Comment,
    CorrectionKind,
    ExtensionRequest,
    Report,
    ReportSection,
    ReportState,
    Submission,
)
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture
from factual_accuracy.uploads import MAX_BYTES, FileCannotUpload, check_upload, safe_name

LONDON = ZoneInfo("Europe/London")
SENT = datetime.date(2026, 12, 18)  # Friday: the 10th working day is Wednesday 6 January 2027
DUE = datetime.date(2027, 1, 6)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(at(SENT), tick=False) as traveller:
        yield traveller


@pytest.fixture
def out(clock, inspector, completed):  # noqa: F811
    with transaction.atomic():
        report = services.report_create(by=inspector, assessment=completed)
    services.report_submit_for_quality_review(by=inspector, report=report)
    services.report_quality_review_pass(by=StaffFactory(), report=report)
    return services.report_send_for_factual_accuracy(by=inspector, report=report, today=SENT)


@pytest.fixture
def colleague(location):
    return ProviderUserFactory(membership__provider=location.provider, membership__role="colleague")


def _reload(report) -> Report:
    return Report.objects.get(pk=report.pk)


def _statement_sections(report):
    return list(report.sections.filter(kind=ReportSection.Kind.STATEMENT).order_by("order"))


def _draft(report, by, *, text="The staffing figure is 12, not 10.", section=None):
    section = section or _statement_sections(report)[0]
    return services.comment_save(by=by, report=report, section=section, kind=CorrectionKind.INACCURATE, text=text)


# --- Uploads -------------------------------------------------------------------------------------------------


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "expected_type", "expected_name"),
    [
        (PDF, "rota.pdf", "pdf", "rota.pdf"),
        (PDF, "rota.docx", "pdf", "rota.pdf"),  # named wrongly, but really a PDF: kept as what it is
        (_docx(), "policy.docx", "docx", "policy.docx"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "photo.PNG", "png", "photo.png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "../../etc/passwd.jpg", "jpeg", "passwd.jpg"),
        (PDF, "C:\\Users\\amy\\Desktop\\<script>rota.pdf", "pdf", "script_rota.pdf"),
        (PDF, "....pdf", "pdf", "file.pdf"),
    ],
)
def test_check_upload_types_files_by_content_and_makes_names_safe(content, name, expected_type, expected_name):
    checked = check_upload(io.BytesIO(content), name=name, size=len(content))
    assert (checked.file_type, checked.safe_name) == (expected_type, expected_name)


@pytest.mark.parametrize(
    ("content", "name", "size", "message"),
    [
        (b"MZ\x90\x00 a windows program", "minutes.pdf", 21, "not one of those inside, whatever its name says"),
        (b"<html><script>alert(1)</script>", "report.pdf", 31, "must be a PDF, a Word or Excel document"),
        (b"PK\x03\x04 not really a zip", "policy.docx", 20, "must be a PDF"),
        (b"", "empty.pdf", 0, "The selected file is empty"),
        (PDF, "huge.pdf", MAX_BYTES + 1, "It must be smaller than 10 MB"),
    ],
)
def test_check_upload_refuses_wrong_type_empty_and_oversize(content, name, size, message):
    with pytest.raises(FileCannotUpload, match=message):
        check_upload(io.BytesIO(content), name=name, size=size)


def test_safe_name_keeps_the_extension_within_the_length_limit():
    assert safe_name("a" * 300 + ".pdf", ".pdf") == "a" * 96 + ".pdf"


# --- Drafting --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_comment_colleague_drafts_and_edits_and_staff_cannot(out, colleague, inspector):
    comment = _draft(out, colleague)
    assert comment.submission_id is None
    edited = services.comment_save(
        by=colleague,
        report=out,
        section=comment.section,
        kind=CorrectionKind.TYPOGRAPHICAL,
        text="Typo: 'Cheif'.",
        comment=comment,
    )
    assert Comment.objects.get(pk=comment.pk).text == edited.text == "Typo: 'Cheif'."
    with pytest.raises(services.ReportCannotChange, match="provider's own staff"):
        _draft(out, inspector)


@pytest.mark.django_db
def test_comment_too_long_is_refused_with_its_length_and_nothing_saved(out, colleague):
    with pytest.raises(services.ReportCannotChange, match="2,001 characters; it must be 2,000"):
        _draft(out, colleague, text="x" * 2001)
    assert not Comment.objects.exists()
    assert _draft(out, colleague, text="x" * 2000).text == "x" * 2000


@pytest.mark.django_db
def test_comment_on_another_reports_section_is_refused(out, colleague, inspector):
    other = ReportSection(report_id=out.pk + 999, pk=10**6)
    with pytest.raises(services.ReportCannotChange, match="not part of this report"):
        services.comment_save(by=colleague, report=out, section=other, kind="omitted", text="x")


@pytest.mark.django_db
def test_supporting_file_is_stored_under_a_safe_name_and_a_bad_one_leaves_the_comment(
    out, colleague, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    comment = _draft(out, colleague)
    item = services.supporting_file_add(
        by=colleague, comment=comment, upload=SimpleUploadedFile("../../rota.pdf", PDF, "application/pdf")
    )
    assert item.name == "rota.pdf" and item.file_type == "pdf" and item.size == len(PDF)
    assert ".." not in item.file.name and item.file.name.startswith(f"factual-accuracy/{out.pk}/")
    with item.file.open("rb") as stored:
        assert stored.read() == PDF
    with pytest.raises(FileCannotUpload, match="whatever its name says"):
        services.supporting_file_add(
            by=colleague, comment=comment, upload=SimpleUploadedFile("evil.pdf", b"MZ\x90\x00", "application/pdf")
        )
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert comment.files.count() == 1


# --- Sending -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_only_by_a_registered_person_and_closes_the_check(out, colleague, provider_user, inspector):
    _draft(out, colleague)
    with pytest.raises(services.ReportCannotChange, match="Only a registered person"):
        services.factual_accuracy_submit(by=colleague, report=out, today=SENT)
    submission = services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    report = _reload(out)
    assert report.state == ReportState.FA_CLOSED_COMMENTS
    assert Comment.objects.get().submission == submission
    window = Deadline.objects.get(kind=Kind.FACTUAL_ACCURACY_CHECK)
    assert window.state == DeadlineState.MET and window.met_on_time
    assert Notification.objects.filter(recipient=inspector, kind="report.factual_accuracy.comments").exists()
    assert AuditEvent.objects.filter(action="report.factual_accuracy.submit", actor=provider_user).exists()
    # A second click is told who sent them and when; nothing changes.
    with pytest.raises(services.ReportCannotChange, match="Paula Provider sent your comments to us at 10:00"):
        services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    assert Submission.objects.count() == 1


@pytest.mark.django_db
def test_submit_with_nothing_to_send_is_refused(out, provider_user):
    with pytest.raises(services.ReportCannotChange, match="There are no comments to send"):
        services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    assert _reload(out).state == ReportState.OUT_FOR_FACTUAL_ACCURACY


@pytest.mark.django_db
def test_submit_after_the_deadline_is_refused_and_the_drafts_stay(out, colleague, provider_user, clock):
    comment = _draft(out, colleague)
    clock.move_to(at(DUE, 23, 59))  # the last minute of the 10th working day: still in time
    _draft(out, colleague, text="Second point.")
    clock.move_to(at(DUE + datetime.timedelta(days=1), 0, 0))  # midnight, London: closed, sweep or no sweep
    with pytest.raises(services.ReportCannotChange, match="closed at the end of Wednesday 6 January 2027"):
        services.factual_accuracy_submit(by=provider_user, report=out, today=DUE + datetime.timedelta(days=1))
    with pytest.raises(services.ReportCannotChange, match="can no longer take comments"):
        _draft(out, colleague, text="Too late.")
    assert Comment.objects.get(pk=comment.pk).text == comment.text
    assert Comment.objects.filter(submission__isnull=True).count() == 2
    assert _reload(out).state == ReportState.OUT_FOR_FACTUAL_ACCURACY


@pytest.mark.django_db
def test_submit_with_delegate_records_on_behalf_of(out, location, provider_user):
    from cqcportal.accounts.models import Delegation

    delegate = ProviderUserFactory(membership__provider=location.provider, membership__role="colleague")
    Delegation.objects.create(
        delegator=provider_user,
        delegate=delegate,
        start_date=SENT - datetime.timedelta(days=1),
        end_date=SENT + datetime.timedelta(days=30),
        reason="Leave",
        created_by=provider_user,
        provider=location.provider,
    )
    _draft(out, delegate)
    submission = services.factual_accuracy_submit(by=delegate, report=out, today=SENT)
    assert (submission.submitted_by, submission.on_behalf_of) == (delegate, provider_user)


# --- Extensions and questions ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_extension_granted_moves_the_deadline_and_keeps_both_dates(out, provider_user, inspector):
    with pytest.raises(services.ReportCannotChange, match="Tell us why"):
        services.extension_request(by=provider_user, report=out, reason=" ", today=SENT)
    asked = services.extension_request(by=provider_user, report=out, reason="Our manager is in hospital.", today=SENT)
    with pytest.raises(services.ReportCannotChange, match="already asked"):
        services.extension_request(by=provider_user, report=out, reason="Again", today=SENT)
    new_due = datetime.date(2027, 1, 13)
    decided = services.extension_decide(
        by=inspector, request=asked, grant=True, reason="Exceptional: illness.", new_due_date=new_due, today=SENT
    )
    assert (decided.state, decided.due_date_when_asked, decided.new_due_date) == ("granted", DUE, new_due)
    window = Deadline.objects.get(kind=Kind.FACTUAL_ACCURACY_CHECK)
    assert window.due_date == new_due
    assert window.extensions.get().from_due_date == DUE
    assert Notification.objects.filter(recipient=provider_user, kind="report.extension.decided").exists()
    with pytest.raises(services.ReportCannotChange, match="already decided"):
        services.extension_decide(by=inspector, request=asked, grant=False, reason="No", today=SENT)


@pytest.mark.django_db
def test_extension_refused_leaves_the_date_and_a_colleague_cannot_ask(out, provider_user, colleague, inspector):
    with pytest.raises(services.ReportCannotChange, match="Only a registered person"):
        services.extension_request(by=colleague, report=out, reason="Busy", today=SENT)
    asked = services.extension_request(by=provider_user, report=out, reason="Busy week.", today=SENT)
    services.extension_decide(by=inspector, request=asked, grant=False, reason="Not exceptional.", today=SENT)
    assert ExtensionRequest.objects.get().state == "refused"
    assert Deadline.objects.get(kind=Kind.FACTUAL_ACCURACY_CHECK).due_date == DUE


@pytest.mark.django_db
def test_question_goes_to_the_assessment_team_and_the_answer_back(out, colleague, inspector):
    with pytest.raises(services.ReportCannotChange, match="501 characters"):
        services.query_ask(by=colleague, report=out, question="x" * 501)
    query = services.query_ask(
        by=colleague, report=out, question="Which day was the medicines audit?", section=_statement_sections(out)[0]
    )
    assert Notification.objects.filter(recipient=inspector, kind="report.query.asked").exists()
    services.query_answer(by=inspector, query=query, answer="Tuesday 8 December.")
    assert Notification.objects.filter(recipient=colleague, kind="report.query.answered").exists()
    with pytest.raises(services.ReportCannotChange, match="already answered"):
        services.query_answer(by=inspector, query=query, answer="Again")


# --- Responses, amended scores, the independent check, versions and publication --------------------------------


@pytest.fixture
def responding(out, colleague, provider_user, inspector):
    first, second = _statement_sections(out)
    _draft(out, colleague, section=first, text="Staff training was 95% complete, not 80%.")
    _draft(out, colleague, section=second, text="You left out our new falls audit.")
    services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    return services.report_start_responding(by=inspector, report=out)


@pytest.mark.django_db
def test_responses_amend_score_check_and_publish(responding, inspector, location, client):
    report = responding
    first, _second = _statement_sections(report)
    comments = list(Comment.objects.order_by("section__order"))
    with pytest.raises(services.ReportCannotChange, match="2 comment\\(s\\) still need a response"):
        services.report_send_for_independent_check(by=inspector, report=report)
    with pytest.raises(services.ReportCannotChange, match="reasons"):
        services.comment_respond(by=inspector, comment=comments[0], outcome="accepted", response=" ")
    services.comment_respond(
        by=inspector, comment=comments[0], outcome="accepted", response="The training record shows 95%."
    )
    services.comment_respond(
        by=inspector, comment=comments[1], outcome="not_accepted", response="The audit post-dates our visit."
    )
    services.section_edit(by=inspector, section=first, body="Training was 95% complete.")
    section = services.report_statement_rescore(
        by=inspector, section=first, score=4, reason="Training records sent with the factual accuracy comments."
    )
    assert section.score == 4
    assert StatementScore.objects.get(statement=first.statement).score == 4
    change = StatementScoreChange.objects.get()
    assert (change.from_score, change.to_score, change.context) == (3, 4, "factual_accuracy")
    safe = report.sections.get(kind=ReportSection.Kind.KEY_QUESTION, key_question="safe")
    assert safe.score == 88  # (4 + 3) / 8 = 87.5%, published as 88
    assert LocationRating.objects.get(location=location, key_question="safe").published_score == 88

    services.report_send_for_independent_check(by=inspector, report=report)
    versions = list(report.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].reason == "Amended after the provider's comments"
    with pytest.raises(services.ReportCannotChange, match="not on the assessment team"):
        services.report_independent_check_pass(by=inspector, report=report)
    services.report_independent_check_pass(by=StaffFactory(), report=report)
    # Before publication the public sees neither the report nor the new scores.
    client.logout()
    profile = client.get(f"/location/{location.cqc_id}/")
    assert "Assessment in progress" in profile.text
    assert f"/reports/{report.pk}/" not in profile.text
    assert client.get(f"/location/{location.cqc_id}/reports/{report.pk}/").status_code == 404
    assert "Changed from 3 to 4" not in client.get(f"/location/{location.cqc_id}/how-this-rating-was-reached/").text

    published = services.report_publish(by=inspector, report=report)
    assert published.state == ReportState.PUBLISHED
    assert PublishedRating.objects.get(location=location, key_question="safe", is_current=True).report_link_id == str(
        report.pk
    )
    page = client.get(f"/location/{location.cqc_id}/reports/{report.pk}/")
    assert page.status_code == 200 and "Training was 95% complete." in page.text
    profile = client.get(f"/location/{location.cqc_id}/")
    assert "Assessment in progress" not in profile.text and f"/reports/{report.pk}/" in profile.text
    working = client.get(f"/location/{location.cqc_id}/how-this-rating-was-reached/").text
    assert "Changed from 3 to 4 after the provider&#x27;s factual accuracy comments" in working
    assert Notification.objects.filter(kind="report.published").exists()


@pytest.mark.django_db
def test_versions_page_shows_what_changed_section_by_section(responding, inspector, client):
    report = responding
    first = _statement_sections(report)[0]
    for comment in Comment.objects.all():
        services.comment_respond(by=inspector, comment=comment, outcome="partly_accepted", response="In part.")
    services.section_edit(by=inspector, section=first, body="Training was 95% complete at the visit.")
    services.report_send_for_independent_check(by=inspector, report=report)
    client.force_login(inspector)
    page = client.get(f"/reports/{report.pk}/versions/?from=1&to=2")
    assert page.status_code == 200
    assert "What changed from version 1 to version 2" in page.text
    assert "<ins>Training was 95% complete at the visit.</ins>" in page.text
    assert page.text.count("app-diff") == 1  # only the edited section


@pytest.mark.django_db
def test_report_page_counts_its_versions_and_names_who_sent_the_comments(responding, inspector, provider_user, client):
    """The version count and the submission come with the report's own read; each must still be right."""
    report = responding
    client.force_login(inspector)
    page = client.get(f"/reports/{report.pk}/").text
    assert re.search(r"Versions</dt><dd [^>]*>1 – <a ", page)  # as sent for the check
    assert f"Comments sent by {provider_user.full_name} at" in page
    for comment in Comment.objects.all():
        services.comment_respond(by=inspector, comment=comment, outcome="partly_accepted", response="In part.")
    services.section_edit(by=inspector, section=_statement_sections(report)[0], body="Amended.")
    services.report_send_for_independent_check(by=inspector, report=report)
    page = client.get(f"/reports/{report.pk}/").text
    assert re.search(r"Versions</dt><dd [^>]*>2 – <a ", page)  # and as amended


# --- Two people at once -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_registered_persons_sending_at_once_leave_one_submission(location, inspector, provider_user):
    from cqcportal.tests.concurrency import race
    from factual_accuracy.tests.test_report_flow import _out_for_fa

    nominated = ProviderUserFactory(
        full_name="Nina Nominated", membership__provider=location.provider, membership__role="nominated_individual"
    )
    with time_machine.travel(at(SENT), tick=False):
        report = _out_for_fa(inspector, _completed(inspector, location))
        _draft(report, provider_user)
        results = race(
            lambda: services.factual_accuracy_submit(by=provider_user, report=report, today=SENT),
            lambda: services.factual_accuracy_submit(by=nominated, report=report, today=SENT),
        )
    sent = [r for r in results if isinstance(r, Submission)]
    refused = [r for r in results if isinstance(r, services.ReportCannotChange)]
    assert len(sent) == 1 and len(refused) == 1, results
    assert "sent your comments to us" in str(refused[0])
    assert Submission.objects.count() == 1
    assert Report.objects.get().state == ReportState.FA_CLOSED_COMMENTS


@pytest.mark.django_db(transaction=True)
def test_sending_comments_and_no_inaccuracies_at_once_leave_one_outcome(location, inspector, provider_user):
    from cqcportal.tests.concurrency import race
    from factual_accuracy.tests.test_report_flow import _out_for_fa

    nominated = ProviderUserFactory(membership__provider=location.provider, membership__role="nominated_individual")
    with time_machine.travel(at(SENT), tick=False):
        report = _out_for_fa(inspector, _completed(inspector, location))
        _draft(report, provider_user)
        results = race(
            lambda: services.factual_accuracy_submit(by=provider_user, report=report, today=SENT),
            lambda: services.factual_accuracy_confirm_no_inaccuracies(by=nominated, report=report, today=SENT),
        )
    assert sum(isinstance(r, services.ReportCannotChange) for r in results) == 1, results
    state = Report.objects.get().state
    assert state in (ReportState.FA_CLOSED_COMMENTS, ReportState.FA_CLOSED_NO_INACCURACIES)
    assert Submission.objects.count() == (1 if state == ReportState.FA_CLOSED_COMMENTS else 0)
    assert Deadline.objects.get(kind=Kind.FACTUAL_ACCURACY_CHECK).state == DeadlineState.MET


@pytest.mark.django_db(transaction=True)
def test_sweep_closing_while_the_provider_sends_at_the_deadline_leaves_one_outcome(location, inspector, provider_user):
    from cqcportal.deadlines.sweep import deadlines_sweep
    from cqcportal.tests.concurrency import race
    from factual_accuracy.tests.test_report_flow import _out_for_fa

    with time_machine.travel(at(SENT), tick=False) as clock:
        report = _out_for_fa(inspector, _completed(inspector, location))
        _draft(report, provider_user)
        clock.move_to(at(DUE + datetime.timedelta(days=1), 0, 0))
        results = race(
            lambda: services.factual_accuracy_submit(
                by=provider_user, report=report, today=DUE + datetime.timedelta(days=1)
            ),
            lambda: deadlines_sweep(now=at(DUE + datetime.timedelta(days=1), 0, 0)),
        )
    # Midnight has passed in London: the server's clock says the provider is late, whichever runs first.
    assert isinstance(results[0], services.ReportCannotChange), results
    assert Report.objects.get().state == ReportState.FA_CLOSED_NO_RESPONSE
    assert Comment.objects.filter(submission__isnull=True).count() == 1


def _completed(inspector, location):
    from assessments.models import QualityStatement
    from assessments.services import assessment_complete, assessment_create, assessment_start, statement_score_set

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


# --- E-mail --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_factual_accuracy_email_has_plain_text_and_html_with_the_deadline_and_link(
    clock,
    inspector,
    completed,  # noqa: F811
    provider_user,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    completed.location.name = "Maple <Court> & Co"
    completed.location.save()
    with transaction.atomic():
        report = services.report_create(by=inspector, assessment=completed)
    services.report_submit_for_quality_review(by=inspector, report=report)
    services.report_quality_review_pass(by=StaffFactory(), report=report)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_send_for_factual_accuracy(by=inspector, report=report, today=SENT)
    (message,) = [m for m in mail.outbox if m.to == [provider_user.email]]
    assert message.subject == "Draft report on Maple <Court> & Co: check it by 6 January 2027"
    assert "by the end of Wednesday 6 January 2027" in message.body
    assert f"/reports/{report.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Maple &lt;Court&gt; &amp; Co" in html and "<Court>" not in html
    assert f'href="{settings.PORTAL_BASE_URL}/reports/{report.pk}/"' in html


@pytest.mark.django_db(transaction=True)
def test_withdrawing_while_the_provider_sends_leaves_one_outcome(location, inspector, provider_user):
    from cqcportal.accounts.models import StaffRole
    from cqcportal.tests.concurrency import race
    from factual_accuracy.tests.test_report_flow import _out_for_fa

    manager = StaffFactory(roles=[StaffRole.OPERATIONS_MANAGER])
    with time_machine.travel(at(SENT), tick=False):
        report = _out_for_fa(inspector, _completed(inspector, location))
        _draft(report, provider_user)
        results = race(
            lambda: services.factual_accuracy_submit(by=provider_user, report=report, today=SENT),
            lambda: services.report_withdraw(
                by=manager,
                report=report,
                reason="Wrong location assessed.",
                seen_state=ReportState.OUT_FOR_FACTUAL_ACCURACY,
            ),
        )
    assert sum(isinstance(r, services.ReportCannotChange) for r in results) == 1, results
    state = Report.objects.get().state
    assert state in (ReportState.FA_CLOSED_COMMENTS, ReportState.WITHDRAWN)
    assert Submission.objects.count() == (1 if state == ReportState.FA_CLOSED_COMMENTS else 0)
    window = Deadline.objects.get(kind=Kind.FACTUAL_ACCURACY_CHECK)
    assert window.state == (DeadlineState.MET if state == ReportState.FA_CLOSED_COMMENTS else DeadlineState.CANCELLED)


@pytest.mark.django_db
def test_every_report_email_has_plain_text_and_escaped_html(out, inspector, colleague, provider_user):
    """Every notification of the flow, with script typed into each free text that an e-mail quotes."""
    script = "<script>alert(1)</script>"
    query = services.query_ask(by=colleague, report=out, question=f"Which day? {script}")
    services.query_answer(by=inspector, query=query, answer=f"Tuesday {script}")
    asked = services.extension_request(by=provider_user, report=out, reason=f"Illness {script}", today=SENT)
    services.extension_decide(by=inspector, request=asked, grant=False, reason=f"No {script}", today=SENT)
    _draft(out, colleague)
    services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    services.report_start_responding(by=inspector, report=out)
    for comment in Comment.objects.all():
        services.comment_respond(by=inspector, comment=comment, outcome="accepted", response="Agreed.")
    services.report_send_for_independent_check(by=inspector, report=out)
    services.report_independent_check_pass(by=StaffFactory(), report=out)
    services.report_publish(by=inspector, report=out)
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {
        "report.factual_accuracy.sent",
        "report.query.asked",
        "report.query.answered",
        "report.extension.requested",
        "report.extension.decided",
        "report.factual_accuracy.comments",
        "report.published",
    } <= kinds
    quoted = 0
    for notification in Notification.objects.all():
        assert notification.body.strip() and notification.html_body.startswith("<p>")
        assert "<script>" not in notification.html_body
        assert "/reports/" in notification.body and 'href="' in notification.html_body
        if script in notification.body:
            quoted += 1
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in notification.html_body
    assert quoted >= 4
