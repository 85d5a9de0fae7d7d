"""Assessments: plan, score with the version check, complete, and the working shown in the portal and in public."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentState, LocationRating, QualityStatement, StatementScore
from assessments.services import (
    AssessmentCannotChange,
    StatementScoreCannotSave,
    assessment_complete,
    assessment_create,
    assessment_start,
    statement_score_set,
)
from assessments.working import location_working
from cqcportal.alerts.models import PublicEvent
from cqcportal.register.models import KeyQuestion, PublishedRating
from cqcportal.tests.factories import LocationFactory, StaffFactory
from cqcportal.tests.flows import report_published

SAFE_EXAMPLE = [2, 3, 3, 2, 3, 3, 2, 3]  # the guidance's worked example: 21 of 32, 65.625%, good


@pytest.fixture
def statements(db):
    return list(QualityStatement.objects.order_by("order"))


@pytest.fixture
def started(inspector, location, statements):
    with transaction.atomic():
        assessment = assessment_create(
            by=inspector, location=location, kind="planned", announced=True, statements=statements
        )
        return assessment_start(by=inspector, assessment=assessment)


def _score_all(assessment, by, scores_by_kq):
    for statement in QualityStatement.objects.order_by("order"):
        scores = scores_by_kq[statement.key_question]
        index = list(
            QualityStatement.objects.filter(key_question=statement.key_question)
            .order_by("order")
            .values_list("pk", flat=True)
        ).index(statement.pk)
        score = scores[index % len(scores)]
        if score is None:
            continue
        with transaction.atomic():
            statement_score_set(
                by=by,
                assessment=assessment,
                statement=statement,
                score=score,
                summary="",
                judgement="",
                expected_version=0,
            )


@pytest.mark.django_db
def test_framework_is_loaded_with_34_statements_and_6_categories(statements):
    from assessments.models import EvidenceCategory

    counts = {
        kq: sum(1 for s in statements if s.key_question == kq)
        for kq in ["safe", "effective", "caring", "responsive", "well_led"]
    }
    assert counts == {"safe": 8, "effective": 6, "caring": 5, "responsive": 7, "well_led": 8}
    assert EvidenceCategory.objects.count() == 6


@pytest.mark.django_db
def test_assessment_default_scope_is_the_priority_statements(inspector, location):
    with transaction.atomic():
        assessment = assessment_create(by=inspector, location=location, kind="responsive", announced=False)
    assert assessment.statements.count() == 12


@pytest.mark.django_db
def test_assessment_scores_give_the_worked_example_and_overall_rating(started, inspector):
    _score_all(
        started, inspector, {"safe": SAFE_EXAMPLE, "effective": [3], "caring": [4], "responsive": [3], "well_led": [3]}
    )
    working = location_working(started.location, preview=started)
    safe = working.key_questions[0]
    assert (safe.result.percent, safe.result.published_score, safe.rating.slug) == (65.625, 66, "good")
    assert [line.source for line in safe.lines] == ["updated"] * 8
    caring = working.key_questions[2]
    assert caring.rating.slug == "outstanding"
    assert working.overall.slug == "good"


@pytest.mark.django_db
def test_assessment_complete_saves_ratings_and_records_public_event(started, inspector):
    _score_all(
        started, inspector, {"safe": [1, 4], "effective": [3], "caring": [3], "responsive": [3], "well_led": [2, 3]}
    )
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=started)
    saved = {r.key_question: r for r in LocationRating.objects.filter(location=started.location)}
    assert saved["safe"].rating == "requires_improvement"  # a 1 limits it, though 63% is in the good band
    assert saved["safe"].calculated_rating == "requires_improvement"
    assert "limits the rating to requires improvement" in saved["safe"].explanation
    assert saved["well_led"].rating == "good"
    assert saved["overall"].rating == "good"
    assert PublicEvent.objects.filter(location=started.location, kind="location_inspected").count() == 1


@pytest.mark.django_db
def test_assessment_complete_refused_while_statements_are_unscored(started, inspector):
    with pytest.raises(AssessmentCannotChange, match="34 statement"), transaction.atomic():
        assessment_complete(by=inspector, assessment=started)
    assert Assessment.objects.get(pk=started.pk).state == AssessmentState.IN_PROGRESS


@pytest.mark.django_db
def test_scores_carry_forward_with_their_dates(inspector, location, statements):
    safe = [s for s in statements if s.key_question == "safe"]
    with transaction.atomic():
        first = assessment_start(
            by=inspector,
            assessment=assessment_create(
                by=inspector, location=location, kind="planned", announced=True, statements=statements
            ),
        )
    _score_all(first, inspector, {"safe": [3], "effective": [3], "caring": [3], "responsive": [3], "well_led": [3]})
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=first, now=first.started_at.replace(year=2025))
    with transaction.atomic():
        second = assessment_start(
            by=inspector,
            assessment=assessment_create(
                by=inspector, location=location, kind="responsive", announced=False, statements=safe[:2]
            ),
        )
        for statement in safe[:2]:
            statement_score_set(
                by=inspector,
                assessment=second,
                statement=statement,
                score=1,
                summary="",
                judgement="",
                expected_version=0,
            )
        assessment_complete(by=inspector, assessment=second)
    working = location_working(location)
    lines = working.key_questions[0].lines
    assert [line.source for line in lines[:3]] == ["updated", "updated", "existing"]
    assert lines[2].dated.year == 2025 and lines[0].dated.year != 2025
    assert working.key_questions[0].rating.slug == "requires_improvement"


@pytest.mark.django_db
def test_first_scores_come_from_the_previous_rating(inspector):
    location = LocationFactory(service_types=["Residential homes"])
    PublishedRating.objects.bulk_create(
        PublishedRating(
            location=location,
            key_question=kq,
            rating="good" if kq != "well_led" else "outstanding",
            report_date=datetime.date(2022, 5, 1),
            source=PublishedRating.Source.PREVIOUS_MODEL,
        )
        for kq in KeyQuestion
    )
    working = location_working(location)
    caring = working.key_questions[2]
    wellbeing = next(line for line in caring.lines if line.statement.slug == "workforce_wellbeing_and_enablement")
    assert (wellbeing.score, wellbeing.source) == (4, "initial")  # takes the well-led rating
    well_led = working.key_questions[4]
    env = next(line for line in well_led.lines if line.statement.slug.startswith("environmental"))
    assert env.score is None
    assert working.overall is not None


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, 5, True, "3"])
def test_statement_score_out_of_range_is_refused(started, inspector, statements, bad):
    with pytest.raises(StatementScoreCannotSave, match="1 to 4"), transaction.atomic():
        statement_score_set(
            by=inspector,
            assessment=started,
            statement=statements[0],
            score=bad,
            summary="",
            judgement="",
            expected_version=0,
        )
    assert not StatementScore.objects.exists()


@pytest.mark.django_db
def test_statement_score_second_person_at_once_is_refused_and_first_kept(started, inspector, statements):
    colleague = _team_colleague(started)
    with transaction.atomic():
        statement_score_set(
            by=inspector,
            assessment=started,
            statement=statements[0],
            score=3,
            summary="mine",
            judgement="",
            expected_version=0,
        )
    # Both opened version 1; the colleague saves first, the inspector's save is then refused.
    with transaction.atomic():
        statement_score_set(
            by=colleague,
            assessment=started,
            statement=statements[0],
            score=2,
            summary="theirs",
            judgement="",
            expected_version=1,
        )
    with pytest.raises(StatementScoreCannotSave, match="Cara Colleague saved a score") as info, transaction.atomic():
        statement_score_set(
            by=inspector,
            assessment=started,
            statement=statements[0],
            score=4,
            summary="late",
            judgement="",
            expected_version=1,
        )
    assert info.value.current.score == 2
    row = StatementScore.objects.get()
    assert (row.score, row.summary, row.version) == (2, "theirs", 2)


@pytest.mark.django_db
def test_statement_page_bad_score_and_conflict_keep_what_was_typed(client, started, inspector, statements):
    client.force_login(inspector)
    url = reverse("assessments:statement", args=[started.pk, statements[0].slug])
    response = client.post(url, {"save_score": "1", "score": "5", "summary": "My careful findings", "version": "0"})
    assert "Choose a score from 1 to 4" in response.text
    assert "My careful findings" in response.text
    with transaction.atomic():
        statement_score_set(
            by=_team_colleague(started),
            assessment=started,
            statement=statements[0],
            score=2,
            summary="theirs",
            judgement="",
            expected_version=0,
        )
    response = client.post(url, {"save_score": "1", "score": "4", "summary": "My careful findings", "version": "0"})
    assert "Cara Colleague saved a score" in response.text
    assert "My careful findings" in response.text
    assert StatementScore.objects.get().score == 2


@pytest.mark.django_db
def test_statement_page_saves_and_workspace_shows_new_rating(client, started, inspector, statements):
    client.force_login(inspector)
    url = reverse("assessments:statement", args=[started.pk, statements[0].slug])
    response = client.post(
        url, {"save_score": "1", "score": "1", "summary": "Unsafe medicines storage", "version": "0"}, follow=True
    )
    assert "Score saved" in response.text
    assert "Scored 1" in response.text
    assert "limits the rating to requires improvement" in response.text


@pytest.mark.django_db
def test_workspace_lists_each_statement_with_its_link_tag_and_working_row(client, started, inspector, statements):
    """The statements in scope and the working's tables (Jinja2 fragments): links, tags, scores and dates."""
    first, second = statements[0], statements[1]
    client.force_login(inspector)
    client.post(
        reverse("assessments:statement", args=[started.pk, first.slug]),
        {"save_score": "1", "score": "3", "summary": "Safe & <b>sound</b>", "version": "0"},
    )
    text = client.get(reverse("assessments:workspace", args=[started.pk])).text
    first_link = reverse("assessments:statement", args=[started.pk, first.slug])
    second_link = reverse("assessments:statement", args=[started.pk, second.slug])
    assert f'<a class="govuk-link" href="{first_link}">{first.name}</a>' in text
    assert f'<a class="govuk-link" href="{second_link}">{second.name}</a>' in text
    after_first = text[text.index(first_link) :]
    assert after_first.index("Scored 3") < after_first.index(second_link)
    after_second = text[text.index(second_link) :]
    assert after_second.index("Not scored") < after_second.index("</li>")
    today = timezone.localdate().strftime("%-d %b %Y")
    row = f'<td class="govuk-table__cell">{first.name}</td>'
    assert row in text
    cells = text[text.index(row) :].split("</tr>", 1)[0]
    assert ">3</td>" in cells.replace("\n", "") and "Updated" in cells and today in cells
    assert "Overall: " in text
    assert "<b>sound</b>" not in text


@pytest.mark.django_db
def test_evidence_wrong_file_type_is_refused_with_message(client, started, inspector, statements):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.models import EvidenceCategory

    client.force_login(inspector)
    url = reverse("assessments:statement", args=[started.pk, statements[0].slug])
    response = client.post(
        url,
        {
            "add_evidence": "1",
            "category": EvidenceCategory.objects.first().pk,
            "note": "Rota gaps in March",
            "document": SimpleUploadedFile("rota.exe", b"MZ..."),
        },
    )
    assert "The file must be a PDF" in response.text
    assert "Rota gaps in March" in response.text


@pytest.mark.django_db
def test_assessment_pages_are_staff_only(client, provider_user, started):
    client.force_login(provider_user)
    for url in [reverse("assessments:caseload"), reverse("assessments:workspace", args=[started.pk])]:
        assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 6])
def test_assessment_pages_query_budget(client, django_assert_max_num_queries, inspector, location, statements, n):
    for _ in range(n):
        with transaction.atomic():
            assessment = assessment_start(
                by=inspector,
                assessment=assessment_create(
                    by=inspector, location=location, kind="planned", announced=True, statements=statements
                ),
            )
        _score_all(
            assessment, inspector, {"safe": [3], "effective": [3], "caring": [3], "responsive": [3], "well_led": [3]}
        )
        with transaction.atomic():
            assessment_complete(by=inspector, assessment=assessment)
    client.force_login(inspector)
    for url, budget in [
        (reverse("assessments:caseload"), 8),
        (reverse("assessments:workspace", args=[assessment.pk]), 20),  # +1: amended scores on the working
        (reverse("public:how-rated", args=[location.cqc_id]), 14),
        (reverse("assessments:statement", args=[assessment.pk, statements[0].slug]), 14),
    ]:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_how_rated_public_page_explains_the_working(client, started, inspector):
    _score_all(
        started, inspector, {"safe": SAFE_EXAMPLE, "effective": [3], "caring": [3], "responsive": [3], "well_led": [3]}
    )
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=started)
    report_published(started, by=inspector)
    response = client.get(reverse("public:how-rated", args=[started.location.cqc_id]))
    assert response.status_code == 200
    assert "How this rating was reached" in response.text
    assert "21 out of a possible 32" in response.text
    assert "65.625%" in response.text
    assert "Updated" in response.text


@pytest.mark.django_db
def test_departure_needs_a_rationale_and_is_shown_and_queued(client, started, inspector):
    _score_all(started, inspector, {"safe": [3], "effective": [3], "caring": [3], "responsive": [3], "well_led": [3]})
    client.force_login(inspector)
    url = reverse("assessments:depart", args=[started.pk])
    response = client.post(url, {"key_question": "safe", "rating": "requires_improvement", "rationale": "  "})
    assert "Write the rationale" in response.text
    from assessments.models import RatingDeparture

    assert not RatingDeparture.objects.exists()
    rationale = "Medicines errors found on the day outweigh the positive feedback."
    client.post(url, {"key_question": "safe", "rating": "requires_improvement", "rationale": rationale})
    departure = RatingDeparture.objects.get()
    assert (departure.calculated_rating, departure.rating, departure.review_state) == (
        "good",
        "requires_improvement",
        "awaiting_quality_review",
    )
    working = location_working(started.location, preview=started)
    assert working.key_questions[0].rating.slug == "requires_improvement"
    assert rationale in working.key_questions[0].explanation
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=started)
    report_published(started, by=inspector)
    response = client.get(reverse("public:how-rated", args=[started.location.cqc_id]))
    assert "Professional judgement" in response.text and rationale in response.text


@pytest.mark.django_db
def test_departure_refused_for_someone_not_authorised(started, inspector):
    from assessments.services import RatingCannotDepart, rating_depart

    _score_all(started, inspector, {"safe": [3], "effective": [3], "caring": [3], "responsive": [3], "well_led": [3]})
    with pytest.raises(RatingCannotDepart, match="Only the lead inspector"):
        rating_depart(by=StaffFactory(), assessment=started, key_question="safe", rating="good", rationale="x" * 30)


@pytest.mark.django_db
def test_suspended_and_not_rated_are_shown_as_states(client, started, inspector):
    from assessments.services import location_rating_suspend

    _score_all(started, inspector, {"safe": [3], "effective": [3], "caring": [3], "responsive": [3], "well_led": [3]})
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=started, not_rated_reason="Too few people using the service")
    url = reverse("public:how-rated", args=[started.location.cqc_id])
    assert "Inspected but not rated" in client.get(url).text
    location_rating_suspend(
        by=inspector, location=started.location, reason="Serious concerns under review", today=datetime.date(2027, 1, 4)
    )
    text = client.get(url).text
    assert "This rating was suspended on 4 January 2027: Serious concerns under review" in text
    profile = client.get(reverse("register:location", args=[started.location.cqc_id])).text
    assert "The rating was suspended on 4 January 2027: Serious concerns under review" in profile


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (["inadequate"], ["special_measures"]),
        (["requires_improvement", "requires_improvement"], ["consider_regulation_17_breach"]),
        (["requires_improvement"] * 3, ["management_review_meeting"]),
        (["good", "requires_improvement"], []),
        (["requires_improvement", "good"], []),
    ],
)
def test_flags_from_consecutive_outcomes(inspector, location, history, expected):
    from django.utils import timezone

    from assessments.models import AssessmentOutcome
    from assessments.working import location_flags

    for i, rating in enumerate(history):  # oldest first
        assessment = Assessment.objects.create(
            location=location, provider=location.provider, kind="planned", lead=inspector
        )
        AssessmentOutcome.objects.create(
            assessment=assessment,
            location=location,
            overall_rating=rating,
            completed_at=timezone.now() - datetime.timedelta(days=400 * (len(history) - i)),
        )
    assert location_flags(location) == expected


@pytest.mark.django_db
def test_assessment_information_request_gives_five_working_days(client, inspector, location, provider_user):
    from cqcportal.deadlines.models import Deadline

    with transaction.atomic():
        assessment = assessment_create(by=inspector, location=location, kind="planned", announced=True)
    client.force_login(inspector)
    url = reverse("assessments:assessment-information-request", args=[assessment.pk])
    response = client.post(url, follow=True)
    assert "5 working days to respond" in response.text
    info = assessment.information_requests.get()
    deadline = Deadline.objects.get(object_id=str(info.pk))
    assert deadline.kind == "assessment_information_request"
    assert deadline.rule_days == 5
    # A second click does not send a second request.
    response = client.post(url, follow=True)
    assert "already waiting for the provider" in response.text
    assert assessment.information_requests.count() == 1


@pytest.mark.django_db
def test_non_rated_service_is_judged_regulations_met_or_not(client, inspector, statements):
    from assessments.models import EvidenceCategory

    dentist = LocationFactory(name="Smile Dental", service_types=["Dentist"])
    safe = [s for s in statements if s.key_question == "safe"][:2]
    with transaction.atomic():
        assessment = assessment_start(
            by=inspector,
            assessment=assessment_create(
                by=inspector, location=dentist, kind="planned", announced=True, statements=safe
            ),
        )
    client.force_login(inspector)
    categories = list(EvidenceCategory.objects.order_by("order"))
    url = reverse("assessments:statement", args=[assessment.pk, safe[0].slug])
    response = client.post(url, {"save_judgement": "1"})
    assert "Judge at least one evidence category" in response.text
    client.post(
        url, {"save_judgement": "1", f"category_{categories[0].pk}": "met", f"category_{categories[3].pk}": "not_met"}
    )
    url2 = reverse("assessments:statement", args=[assessment.pk, safe[1].slug])
    client.post(url2, {"save_judgement": "1", f"category_{categories[0].pk}": "met"})
    # A score cannot be given to a service that is not rated... and completing needs every statement judged.
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=assessment)
    text = client.get(reverse("public:how-rated", args=[dentist.cqc_id])).text
    assert "This type of service is not rated" in text
    assert "Safe: Not all regulations met" in text
    assert "Effective: Not assessed" in text


@pytest.mark.django_db
def test_scope_can_be_changed_but_scored_statements_stay(client, started, inspector, statements):
    with transaction.atomic():
        statement_score_set(
            by=inspector,
            assessment=started,
            statement=statements[0],
            score=3,
            summary="",
            judgement="",
            expected_version=0,
        )
    client.force_login(inspector)
    url = reverse("assessments:scope", args=[started.pk])
    response = client.post(url, {"statements": [statements[1].pk]})
    assert "must stay in scope" in response.text
    assert started.statements.count() == 34
    client.post(url, {"statements": [statements[0].pk, statements[1].pk]})
    assert set(started.statements.values_list("pk", flat=True)) == {statements[0].pk, statements[1].pk}


@pytest.mark.django_db
def test_team_member_added_and_bad_input_refused(client, started, inspector):
    client.force_login(inspector)
    url = reverse("assessments:team-add", args=[started.pk])
    response = client.post(url, {"name": "", "role": "expert_by_experience"}, follow=True)
    assert "Enter the person" in response.text
    client.post(url, {"name": "Evie Expert", "role": "expert_by_experience"})
    assert started.team.filter(name="Evie Expert", role="expert_by_experience").exists()


@pytest.mark.django_db
def test_evidence_document_is_downloaded_by_staff_only(
    client, started, inspector, statements, provider_user, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.models import EvidenceCategory, EvidenceItem

    settings.MEDIA_ROOT = tmp_path
    client.force_login(inspector)
    url = reverse("assessments:statement", args=[started.pk, statements[0].slug])
    client.post(
        url,
        {
            "add_evidence": "1",
            "category": EvidenceCategory.objects.first().pk,
            "note": "Rota",
            "document": SimpleUploadedFile("rota.pdf", b"%PDF-1.4 rota"),
        },
    )
    item = EvidenceItem.objects.get()
    download = reverse("assessments:evidence-download", args=[started.pk, item.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 rota"
    assert 'attachment; filename="rota.pdf"' in response["Content-Disposition"]
    client.force_login(provider_user)
    assert client.get(download).status_code == 404


def _team_colleague(assessment):
    from assessments.services import assessment_team_add

    colleague = StaffFactory(full_name="Cara Colleague")
    with transaction.atomic():
        assessment_team_add(
            by=assessment.lead, assessment=assessment, name=colleague.full_name, role="assessor", user=colleague
        )
    return colleague


@pytest.mark.django_db
def test_staff_not_on_the_assessment_cannot_score_or_complete(started, statements):
    from cqcportal.accounts.models import StaffRole

    outsider = StaffFactory()
    with pytest.raises(StatementScoreCannotSave, match="lead, its team or a senior manager"), transaction.atomic():
        statement_score_set(
            by=outsider,
            assessment=started,
            statement=statements[0],
            score=3,
            summary="",
            judgement="",
            expected_version=0,
        )
    with pytest.raises(AssessmentCannotChange, match="lead, its team or a senior manager"), transaction.atomic():
        assessment_complete(by=outsider, assessment=started)
    manager = StaffFactory(roles=[StaffRole.OPERATIONS_MANAGER])
    with transaction.atomic():
        statement_score_set(
            by=manager,
            assessment=started,
            statement=statements[0],
            score=3,
            summary="",
            judgement="",
            expected_version=0,
        )


@pytest.mark.django_db
def test_enforcement_limit_in_force_caps_the_key_question_and_shows_on_the_working(client, started, inspector):
    from assessments.models import EnforcementLimit

    _score_all(started, inspector, {"safe": [4], "effective": [4], "caring": [4], "responsive": [4], "well_led": [4]})
    EnforcementLimit.objects.create(
        location=started.location,
        key_question="safe",
        action="warning_notice",
        reason="Unsafe staffing",
        in_force_from=datetime.date(2020, 1, 1),
    )
    EnforcementLimit.objects.create(
        location=started.location,
        key_question="well_led",
        action="requirement_notice",
        reason="Governance",
        in_force_from=datetime.date(2020, 1, 1),
        lifted_on=datetime.date(2021, 1, 1),
    )
    working = location_working(started.location, preview=started)
    safe, well_led = working.key_questions[0], working.key_questions[4]
    assert (safe.result.rating.slug, safe.rating.slug) == ("outstanding", "inadequate")
    assert "Enforcement (warning notice) limits it to inadequate" in safe.explanation
    assert well_led.rating.slug == "outstanding"  # lifted, so no longer applied
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=started)
    assert (
        LocationRating.objects.get(location=started.location, key_question="safe").enforcement_limit == "warning_notice"
    )
    report_published(started, by=inspector)
    assert "warning notice" in client.get(reverse("public:how-rated", args=[started.location.cqc_id])).text


@pytest.mark.django_db
def test_the_working_shows_only_the_newest_assessment_s_departures_and_the_changes_behind_the_scores_it_shows(
    inspector, location, statements
):
    """The location's departures and score changes are read for all its assessments at once (with its other
    reads); the working keeps the newest assessment's departures, and the changes of the scores it shows."""
    from assessments.models import RatingDeparture, StatementScoreChange

    first, second = statements[0], statements[1]
    with transaction.atomic():
        older = assessment_start(
            by=inspector,
            assessment=assessment_create(
                by=inspector, location=location, kind="planned", announced=True, statements=statements
            ),
        )
    _score_all(older, inspector, {kq: [3] for kq in ["safe", "effective", "caring", "responsive", "well_led"]})
    with transaction.atomic():
        assessment_complete(by=inspector, assessment=older)
    now = timezone.now()
    old_departure = RatingDeparture.objects.create(
        assessment=older,
        key_question="caring",
        calculated_rating="good",
        rating="outstanding",
        rationale="older",
        by=inspector,
        at=now,
    )
    for statement, reason in ((first, "superseded"), (second, "still shown")):
        StatementScoreChange.objects.create(
            assessment=older,
            statement=statement,
            from_score=2,
            to_score=3,
            reason=reason,
            context="x",
            changed_by=inspector,
            changed_at=now,
        )
    with transaction.atomic():
        newer = assessment_start(
            by=inspector,
            assessment=assessment_create(
                by=inspector, location=location, kind="responsive", announced=False, statements=[first]
            ),
        )
        statement_score_set(
            by=inspector, assessment=newer, statement=first, score=4, summary="", judgement="", expected_version=0
        )

    # Previewing the newer one: its score for the first statement replaces the older's, with none of its changes.
    preview = location_working(location, preview=newer)
    lines = {line.statement.pk: line for kq in preview.key_questions for line in kq.lines}
    assert (lines[first.pk].score, lines[first.pk].changes) == (4, [])
    assert [c.reason for c in lines[second.pk].changes] == ["still shown"]
    assert all(kq.departure is None for kq in preview.key_questions)  # the older assessment's is not the newest's
    # Without the preview the older assessment is the newest: its departure and both changes show.
    working = location_working(location)
    caring = next(kq for kq in working.key_questions if kq.key_question == "caring")
    assert caring.departure == old_departure
    lines = {line.statement.pk: line for kq in working.key_questions for line in kq.lines}
    assert [c.reason for c in lines[first.pk].changes] == ["superseded"]
    # A departure on the newer assessment shows in its preview.
    RatingDeparture.objects.create(
        assessment=newer,
        key_question="safe",
        calculated_rating="good",
        rating="requires_improvement",
        rationale="newer",
        by=inspector,
        at=now,
    )
    safe = next(kq for kq in location_working(location, preview=newer).key_questions if kq.key_question == "safe")
    assert safe.departure.rationale == "newer"
    with pytest.raises(ValueError, match="only an assessment of that location"):
        location_working(LocationFactory(), preview=newer)
