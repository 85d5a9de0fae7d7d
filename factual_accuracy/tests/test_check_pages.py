"""The pages of the factual accuracy check as a person uses them: nothing typed is lost, strangers get a 404."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cqcportal.tests.factories import LocationFactory, ProviderUserFactory
from factual_accuracy import services
from factual_accuracy.models import Comment, CorrectionKind, ReportSection, ReportState, SupportingFile
from factual_accuracy.tests.test_check import DUE, PDF, SENT, at, out  # noqa: F401 - fixtures
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def colleague(location):
    return ProviderUserFactory(full_name="Colin Colleague", membership__provider=location.provider)


@pytest.fixture
def stranger(db):
    return ProviderUserFactory(membership__provider=LocationFactory().provider, membership__role="registered_manager")


def _section(report) -> ReportSection:
    return report.sections.filter(kind=ReportSection.Kind.STATEMENT).order_by("order").first()


def _section_url(report, section=None):
    return reverse("factual_accuracy:section", args=[report.pk, (section or _section(report)).pk])


@pytest.mark.django_db
def test_section_page_saves_a_draft_and_keeps_an_over_long_comment_in_the_box(client, out, colleague):  # noqa: F811
    client.force_login(colleague)
    url = _section_url(out)
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-module="govuk-character-count" data-maxlength="2000"' in page.text
    assert "Send your comments, or tell us there are none, by the end of Wednesday 6 January 2027" in page.text
    assert "How this date was worked out" in page.text
    long_text = "The rota shows twelve staff. " * 80  # 2,320 characters
    response = client.post(url, {"kind": CorrectionKind.INACCURATE, "text": long_text})
    assert response.status_code == 400
    assert "it must be 2,000 or fewer" in response.text
    assert long_text.strip() in response.text  # what they typed is still in the box
    assert not Comment.objects.exists()
    response = client.post(url, {"kind": CorrectionKind.INACCURATE, "text": "Twelve staff, not ten."}, follow=True)
    assert "Comment saved as a draft" in response.text
    assert Comment.objects.get().text == "Twelve staff, not ten."


@pytest.mark.django_db
def test_section_page_keeps_the_comment_when_the_file_is_refused_and_a_retry_works(client, out, colleague):  # noqa: F811
    client.force_login(colleague)
    url = _section_url(out)
    bad = SimpleUploadedFile("rota.pdf", b"MZ\x90\x00not a pdf", "application/pdf")
    response = client.post(url, {"kind": CorrectionKind.OMITTED, "text": "See our rota.", "file": bad}, follow=True)
    assert "Your comment is saved as a draft, but the file" in response.text
    assert "whatever its name says" in response.text
    comment = Comment.objects.get()
    assert not comment.files.exists()
    for name, content, message in [
        ("empty.pdf", b"", "Choose a file to upload"),  # Django's own check: an empty upload is no upload
        ("../../../etc/rota.pdf", PDF, "uploaded"),
    ]:
        response = client.post(
            reverse("factual_accuracy:file-add", args=[out.pk, comment.pk]),
            {"file": SimpleUploadedFile(name, content, "application/pdf")},
            follow=True,
        )
        assert message in response.text
    item = SupportingFile.objects.get()
    assert item.name == "rota.pdf"
    download = client.get(reverse("factual_accuracy:file", args=[out.pk, item.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == 'attachment; filename="rota.pdf"'


@pytest.mark.django_db
def test_drafts_and_files_are_private_to_the_provider_until_sent(client, out, colleague, stranger, inspector):  # noqa: F811
    comment = services.comment_save(
        by=colleague, report=out, section=_section(out), kind=CorrectionKind.INACCURATE, text="Private draft."
    )
    item = services.supporting_file_add(
        by=colleague, comment=comment, upload=SimpleUploadedFile("r.pdf", PDF, "application/pdf")
    )
    file_url = reverse("factual_accuracy:file", args=[out.pk, item.pk])
    client.force_login(inspector)
    assert "Private draft." not in client.get(reverse("factual_accuracy:report", args=[out.pk])).text
    assert client.get(file_url).status_code == 404
    client.force_login(stranger)
    for url in (
        reverse("factual_accuracy:report", args=[out.pk]),
        _section_url(out),
        file_url,
        reverse("factual_accuracy:submit", args=[out.pk]),
        reverse("factual_accuracy:comment-edit", args=[out.pk, comment.pk]),
        reverse("factual_accuracy:versions", args=[out.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("factual_accuracy:comment-delete", args=[out.pk, comment.pk])).status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()
    client.logout()
    assert client.get(file_url).status_code == 302  # to sign-in


@pytest.mark.django_db
def test_review_page_lists_everything_and_only_a_registered_person_sends(client, out, colleague, provider_user):  # noqa: F811
    comment = services.comment_save(
        by=colleague, report=out, section=_section(out), kind=CorrectionKind.TYPOGRAPHICAL, text="Spelling of Maple."
    )
    services.supporting_file_add(
        by=colleague, comment=comment, upload=SimpleUploadedFile("spelling.pdf", PDF, "application/pdf")
    )
    url = reverse("factual_accuracy:submit", args=[out.pk])
    client.force_login(colleague)
    page = client.get(url)
    assert "Spelling of Maple." in page.text and "spelling.pdf" in page.text
    assert "Only a registered person" in page.text and "Send 1 comment" not in page.text
    response = client.post(url, follow=True)
    assert "Only a registered person" in response.text
    client.force_login(provider_user)
    assert "Send 1 comment" in client.get(url).text
    response = client.post(url, follow=True)
    assert "Your comments have been sent" in response.text
    response = client.post(url, follow=True)  # a second click
    assert "Paula Provider sent your comments to us at 10:00" in response.text
    assert Comment.objects.get().submission is not None


@pytest.mark.django_db
def test_after_the_deadline_drafts_stay_readable_and_a_late_save_keeps_the_text(
    client,
    out,  # noqa: F811
    colleague,
    provider_user,
    clock,
):
    services.comment_save(
        by=colleague, report=out, section=_section(out), kind=CorrectionKind.INACCURATE, text="Drafted in time."
    )
    clock.move_to(at(DUE + datetime.timedelta(days=1), 9))
    client.force_login(provider_user)
    page = client.get(_section_url(out))
    assert "Drafted in time." in page.text
    response = client.post(_section_url(out), {"kind": CorrectionKind.INACCURATE, "text": "One more thing."})
    assert response.status_code == 400
    assert "closed at the end of Wednesday 6 January 2027" in response.text
    assert "One more thing." in response.text
    response = client.post(reverse("factual_accuracy:submit", args=[out.pk]), follow=True)
    assert "closed at the end of Wednesday 6 January 2027" in response.text
    report_page = client.get(reverse("factual_accuracy:report", args=[out.pk])).text
    assert "The factual accuracy check has closed" in report_page


@pytest.fixture
def clock():
    with time_machine.travel(at(SENT), tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_staff_respond_and_amend_a_score_on_their_pages(client, out, provider_user, inspector):  # noqa: F811
    section = _section(out)
    comment = services.comment_save(
        by=provider_user, report=out, section=section, kind=CorrectionKind.INACCURATE, text="We had 12 staff."
    )
    services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    client.force_login(inspector)
    client.post(reverse("factual_accuracy:report-action", args=[out.pk, "respond"]))
    url = reverse("factual_accuracy:comment-respond", args=[out.pk, comment.pk])
    response = client.post(url, {"outcome": "accepted", "response": ""})
    assert response.status_code == 400 and "Give the reasons" in response.text
    client.post(url, {"outcome": "accepted", "response": "The rota confirms 12."})
    assert Comment.objects.get().outcome == "accepted"
    edit = reverse("factual_accuracy:section", args=[out.pk, section.pk])
    response = client.post(edit, {"form": "rescore", "score": "3", "reason": "Unchanged"})
    assert response.status_code == 400 and "The score is already 3" in response.text
    response = client.post(edit, {"form": "rescore", "score": "4", "reason": "Rota evidence."}, follow=True)
    assert "Score amended" in response.text
    response = client.post(edit, {"form": "body", "body": "Twelve staff were on duty."}, follow=True)
    assert "Twelve staff were on duty." in response.text
    response = client.post(reverse("factual_accuracy:report-action", args=[out.pk, "check-pass"]), follow=True)
    assert "must be done by someone who was not on the assessment team" in response.text


@pytest.mark.django_db
def test_report_list_shows_reports_at_risk_and_late(client, inspector, completed):  # noqa: F811
    from django.db import transaction

    completed_end = completed.onsite_end_date or completed.completed_at.date()
    with transaction.atomic():
        report = services.report_create(by=inspector, assessment=completed)
    client.force_login(inspector)
    url = reverse("factual_accuracy:list")
    with time_machine.travel(at(completed_end + datetime.timedelta(days=7)), tick=False):
        client.force_login(inspector)
        page = client.get(url)
        assert "On track" in page.text and report.location.name in page.text
        assert report.location.name not in client.get(url + "?show=late").text
    with time_machine.travel(at(completed_end + datetime.timedelta(days=64)), tick=False):
        client.force_login(inspector)
        assert report.location.name in client.get(url + "?show=at-risk").text
    with time_machine.travel(at(completed_end + datetime.timedelta(days=90)), tick=False):
        client.force_login(inspector)
        page = client.get(url + "?show=late")
        assert report.location.name in page.text and "Late by" in page.text


@pytest.mark.django_db
def test_provider_cannot_open_the_staff_list_or_staff_actions(client, out, provider_user):  # noqa: F811
    client.force_login(provider_user)
    assert client.get(reverse("factual_accuracy:list")).status_code == 404
    # A staff step is not found for the provider, as on every other staff page.
    assert client.post(reverse("factual_accuracy:report-action", args=[out.pk, "publish"])).status_code == 404
    assert out.__class__.objects.get(pk=out.pk).state == ReportState.OUT_FOR_FACTUAL_ACCURACY


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 8])
def test_report_pages_query_budget_does_not_grow_with_comments(
    client,
    django_assert_max_num_queries,
    out,  # noqa: F811
    provider_user,
    inspector,
    n,
):
    section = _section(out)
    for i in range(n):
        comment = services.comment_save(
            by=provider_user, report=out, section=section, kind=CorrectionKind.INACCURATE, text=f"Point {i}."
        )
        services.supporting_file_add(
            by=provider_user, comment=comment, upload=SimpleUploadedFile(f"p{i}.pdf", PDF, "application/pdf")
        )
    services.query_ask(by=provider_user, report=out, question="When?")
    client.force_login(provider_user)
    # Reading a report that is not yet published writes an audit event (savepoint, insert, release): +3.
    for url, budget in [
        (reverse("factual_accuracy:report", args=[out.pk]), 25),
        (_section_url(out), 23),
        (reverse("factual_accuracy:submit", args=[out.pk]), 16),
    ]:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200
    services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    client.force_login(inspector)
    for url, budget in [
        # Each incl. the audit event of reading an unpublished report: +4 (savepoint, the actor's roles, insert,
        # release); the report page also checks the senior role for withdrawal.
        (reverse("factual_accuracy:report", args=[out.pk]), 25),
        (reverse("factual_accuracy:list"), 8),
        (reverse("factual_accuracy:versions", args=[out.pk]), 12),
    ]:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_report_page_sections_show_comments_files_and_links_to_each_side(client, out, provider_user, inspector):  # noqa: F811
    """The sections and comments (a Jinja2 fragment): escaped text, the right links, rating tags, counts."""
    section = _section(out)
    comment = services.comment_save(
        by=provider_user,
        report=out,
        section=section,
        kind=CorrectionKind.INACCURATE,
        text="We had <script>alert(1)</script> 12 staff.\n\nSee the rota.",
    )
    upload = SimpleUploadedFile("rota.pdf", PDF, content_type="application/pdf")
    services.supporting_file_add(by=provider_user, comment=comment, upload=upload)
    page = client.get(reverse("factual_accuracy:report", args=[out.pk]))  # signed out
    assert page.status_code == 302
    client.force_login(provider_user)
    text = client.get(reverse("factual_accuracy:report", args=[out.pk])).text
    assert f'href="{_section_url(out, section)}">Comment on this section' in text
    assert f"({section.title})</span></a> – 1 comment</p>" in text
    assert "<script>alert(1)</script>" not in text
    overall = out.sections.get(kind=ReportSection.Kind.OVERALL)
    assert f'id="section-{overall.pk}"' in text
    if overall.rating:
        assert f'app-rating app-rating--{overall.rating.replace("_", "-")}">{overall.rating_label}</strong>' in text

    services.factual_accuracy_submit(by=provider_user, report=out, today=SENT)
    client.force_login(inspector)
    client.post(reverse("factual_accuracy:report-action", args=[out.pk, "respond"]))
    text = client.get(reverse("factual_accuracy:report", args=[out.pk])).text
    respond = reverse("factual_accuracy:comment-respond", args=[out.pk, comment.pk])
    assert (
        f'href="{respond}">Respond<span class="govuk-visually-hidden"> to the comment by {provider_user.full_name}'
        in text
    )
    assert "<p>We had &lt;script&gt;alert(1)&lt;/script&gt; 12 staff.</p>\n\n<p>See the rota.</p>" in text
    file_row = SupportingFile.objects.get(comment=comment)
    assert f'href="{reverse("factual_accuracy:file", args=[out.pk, file_row.pk])}">rota.pdf</a> (' in text
    assert (
        f'href="{_section_url(out, section)}">Edit<span class="govuk-visually-hidden"> {section.title}</span> or amend'
        in text
    )
    assert "Remove<span" not in text  # files are removed on the provider's own comment pages, not here
