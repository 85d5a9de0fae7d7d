from io import StringIO

import pytest
from django.core.management import call_command

from assessments.models import Assessment, InformationRequest, StatementScoreChange
from cqcportal.accounts.models import User
from cqcportal.deadlines.models import Deadline, DeadlineState
from cqcportal.deadlines.selectors import deadlines_for_case
from cqcportal.register.models import Location
from factual_accuracy.models import ExtensionRequest, Report, ReportState, SupportingFile
from factual_accuracy.selectors import report_window, reports_visible_to


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Location.objects.count(),
        Assessment.objects.count(),
        InformationRequest.objects.count(),
        Deadline.objects.count(),
        Report.objects.count(),
        SupportingFile.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_loads_every_role_case_and_report_state_and_is_safe_to_run_again(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the providers' evidence files
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "Demo sign-ins (password for all: demo-password-2026)" in text
    for email in [
        "inspector@regulator.example",
        "admin@regulator.example",
        "manager@provider.example",
        "ceo@nhs-trust.example",
        "colleague@provider.example",
        "manager@thames-court.example",
        "ni@werneth-lodge.example",
    ]:
        assert email in text
    counts = _counts()
    assert counts[1] >= 150
    assert set(Assessment.objects.values_list("state", flat=True)) == {
        "planned",
        "in_progress",
        "completed",
        "cancelled",
    }
    # At least one report in every state, each on its own completed assessment.
    assert set(Report.objects.values_list("state", flat=True)) == set(ReportState.values)
    assert f"Demo reports: {counts[5]} created, in these states: " in text
    for state in ReportState:
        assert state.label.lower() in text
    assert Report.objects.values("assessment").distinct().count() == counts[5]
    assert not Report.objects.exclude(assessment__state="completed").exists()
    # A rating review under way, with its independent reviewer named, and a complaint about us elsewhere.
    from assessments.models import RatingReview
    from cqcportal.complaints.models import Complaint

    review = RatingReview.objects.get()
    assert review.state == "independent_review" and review.reviewer.email == "opsmanager@regulator.example"
    assert Complaint.objects.get().location_id != review.location_id
    assert "Demo rating review:" in text
    from enforcement.models import EnforcementAction, FitAndProperConcern

    assert EnforcementAction.objects.get().state == "served"
    assert FitAndProperConcern.objects.get().state == "with_provider"
    assert "Demo enforcement: Warning notice, served" in text

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert counts == _counts()
    assert f"Demo reports: {counts[5]} already there, none created." in again.getvalue()


@pytest.mark.django_db
def test_seed_demo_reports_show_the_check_the_responses_and_publication(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    reports = {r.state: r for r in Report.objects.all()}

    # The check that ran out: the sweep closed its deadline and the report with "no response".
    for state in (ReportState.FA_CLOSED_NO_RESPONSE, ReportState.READY_TO_PUBLISH):
        window = report_window(reports[state])
        assert (window.state, window.closed_at is not None) == (DeadlineState.MISSED, True)

    # The check under way has more time granted, a question answered and one waiting, and a draft with evidence.
    out = reports[ReportState.OUT_FOR_FACTUAL_ACCURACY]
    extension = out.extension_requests.get()
    assert extension.state == ExtensionRequest.State.GRANTED
    assert report_window(out).due_date == extension.new_due_date > extension.due_date_when_asked
    assert sorted(q.answered_at is not None for q in out.queries.all()) == [False, True]
    draft = out.comments.get()
    assert draft.submission is None
    with draft.files.get().file.open("rb") as evidence:
        assert evidence.read(8) == b"%PDF-1.4"

    # The published report went through comments, responses, an amended score and an independent check.
    published = reports[ReportState.PUBLISHED]
    assert published.comments.filter(submission__isnull=False).count() == 3
    assert not published.comments.filter(outcome="").exists()
    assert published.checked_by.email == "opsmanager@regulator.example"
    assert published.versions.count() == 2
    change = StatementScoreChange.objects.get(assessment=published.assessment)
    assert (change.from_score, change.to_score) == (2, 3)
    assert published.sections.get(statement=change.statement).score == 3
    target = published.location.published_ratings.get(is_current=True, key_question="overall")
    assert target.report_link_id == str(published.pk)

    assert report_window(reports[ReportState.FA_CLOSED_COMMENTS]).state == DeadlineState.MET
    assert set(deadlines_for_case(reports[ReportState.WITHDRAWN]).values_list("state", flat=True)) == {
        DeadlineState.CANCELLED
    }

    # Every demo provider sign-in with a report sees it, and only its own organisation's.
    for email, states in {
        "manager@provider.example": {ReportState.PUBLISHED},
        "manager@thames-court.example": {ReportState.OUT_FOR_FACTUAL_ACCURACY},
        "ni@werneth-lodge.example": {ReportState.FA_CLOSED_NO_INACCURACIES, ReportState.RESPONDING},
        "ceo@nhs-trust.example": {ReportState.FA_CLOSED_COMMENTS, ReportState.INDEPENDENT_CHECK},
    }.items():
        user = User.objects.get(email=email)
        assert set(reports_visible_to(user).values_list("state", flat=True)) == states
