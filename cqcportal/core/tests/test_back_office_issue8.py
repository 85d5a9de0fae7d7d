"""The back office admin staff live in: reassigning cases, resending notifications, exporting lists, the audit log,
every record's trail, and the audit of every reading of unpublished material."""

import csv
import datetime
import io

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments import review_services
from assessments.models import Assessment, AssessmentTeamMember, EvidenceCategory, QualityStatement
from assessments.services import assessment_create, evidence_add, information_request_send
from assessments.tests.test_rating_reviews import accepted, clock, report  # noqa: F401 - fixtures
from cqcportal.accounts.models import StaffRole, Team, User
from cqcportal.accounts.roles import roles_sync
from cqcportal.audit.models import AuditEvent
from cqcportal.audit.services import audit_access_record, audit_event_record
from cqcportal.complaints.services import complaint_record
from cqcportal.core.admin import csv_safe
from cqcportal.core.services import (
    CasesCannotReassign,
    NotificationCannotResend,
    cases_reassign,
    notification_resend,
)
from cqcportal.deadlines.models import Deadline
from cqcportal.notifications.models import Notification
from cqcportal.notifications.services import MAX_ATTEMPTS, notification_queue
from cqcportal.register.models import Location
from cqcportal.tests.factories import LocationFactory, ProviderUserFactory, StaffFactory
from enforcement import services as enforcement_services
from enforcement.fit_and_proper import concern_record
from factual_accuracy import services as report_services
from factual_accuracy.tests.test_report_flow import completed  # noqa: F401 - a fixture

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def admin_staff(db):
    return StaffFactory(full_name="Ada Admin", roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)


@pytest.fixture
def absent(db):
    return StaffFactory(full_name="Abel Absent")


@pytest.fixture
def cover(db):
    return StaffFactory(full_name="Cora Cover")


@pytest.fixture
def broker_sends(monkeypatch):
    """What would have gone to the broker after commit, as (task name, kwargs); nothing is really sent."""
    sent = []
    monkeypatch.setattr("cqcportal.notifications.queueing._send", lambda task, kwargs: sent.append((task.name, kwargs)))
    return sent


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _reassign(client, model, cases, **confirm):
    data = {"action": "reassign_cases", "_selected_action": [c.pk for c in cases]}
    if confirm:
        data.update({"confirm": "yes", **confirm})
    return client.post(_changelist(model), data)


# --- Reassignment -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reassign_locations_through_the_admin_moves_them_audits_and_tells_the_new_inspector(
    client, admin_staff, absent, cover, broker_sends, django_capture_on_commit_callbacks
):
    held = [LocationFactory(relationship_holder=absent), LocationFactory(relationship_holder=absent)]
    untouched = LocationFactory(relationship_holder=absent)
    client.force_login(admin_staff)
    page = _reassign(client, Location, held)
    assert page.status_code == 200
    assert "New inspector" in page.text and "Abel Absent" in page.text
    assert all(location.name in page.text for location in held) and untouched.name not in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = _reassign(client, Location, held, to_user=cover.pk, reason="Abel is on long-term leave.")
    assert response.status_code == 302
    assert set(Location.objects.filter(relationship_holder=cover)) == set(held)
    assert Location.objects.get(pk=untouched.pk).relationship_holder == absent
    events = AuditEvent.objects.filter(action="case.reassign").order_by("object_id")
    assert [e.object_id for e in events] == sorted(str(location.pk) for location in held)
    for event in events:
        assert event.actor == admin_staff
        assert event.reason == "Abel is on long-term leave."
        assert event.data["from"] == "Abel Absent" and event.data["to"] == "Cora Cover"
        assert event.data["role"] == "relationship holder"
        assert event.provider_id is not None
    told = Notification.objects.get(recipient=cover, kind="cases.reassign")
    assert told.subject == "2 cases passed to you"
    assert "Abel is on long-term leave." in told.body and held[0].name in told.body
    assert ("notifications.send", {"notification_id": told.pk}) in broker_sends
    # The location's own history says so too (django-simple-history).
    assert held[0].history.first().relationship_holder_id == cover.pk
    done = client.get(response.url)
    assert "2 locations moved to Cora Cover" in done.text


@pytest.mark.django_db
def test_reassign_assessment_moves_the_lead_their_open_targets_and_adds_them_to_the_team(
    client,
    admin_staff,
    inspector,
    cover,
    completed,  # noqa: F811
    broker_sends,
):
    with transaction.atomic():
        draft = report_services.report_create(by=inspector, assessment=completed)
    target = Deadline.objects.get(object_id=str(draft.pk), owner=inspector)
    client.force_login(admin_staff)
    response = _reassign(client, Assessment, [completed], to_user=cover.pk, reason="Isla has left the regulator.")
    assert response.status_code == 302
    assessment = Assessment.objects.get(pk=completed.pk)
    assert assessment.lead == cover
    assert Deadline.objects.get(pk=target.pk).owner == cover
    # The old lead stays on the team (they assessed it, so can never be its independent reviewer); the new one joins.
    assert set(assessment.team.values_list("user", flat=True)) == {inspector.pk, cover.pk}
    moved_target = AuditEvent.objects.get(
        action="case.reassign", content_type=ContentType.objects.get_for_model(Deadline), object_id=str(target.pk)
    )
    assert moved_target.data["role"] == "owner" and moved_target.reason == "Isla has left the regulator."
    assert AuditEvent.objects.filter(
        action="case.reassign", content_type=ContentType.objects.get_for_model(Assessment), object_id=str(assessment.pk)
    ).exists()
    assert "1 target(s) on those cases" in Notification.objects.get(recipient=cover).body


@pytest.mark.django_db
def test_reassign_a_published_assessment_is_refused_and_nothing_moves(
    admin_staff,
    inspector,
    cover,
    report,  # noqa: F811
):
    with pytest.raises(CasesCannotReassign, match="report published or withdrawn"):
        cases_reassign(by=admin_staff, cases=[report.assessment], to_user=cover, reason="Leaving.")
    assert Assessment.objects.get(pk=report.assessment_id).lead == inspector


@pytest.mark.django_db
def test_reassign_rating_review_reviewer_only_to_someone_independent(
    admin_staff,
    inspector,
    cover,
    accepted,  # noqa: F811
):
    reviewer = StaffFactory(full_name="Rhys Reviewer")
    review = review_services.rating_review_assign_reviewer(by=StaffFactory(), review=accepted, reviewer=reviewer)
    with pytest.raises(CasesCannotReassign, match="was on the assessment team"):
        cases_reassign(by=admin_staff, cases=[review], to_user=inspector, reason="Rhys is off sick.")
    result = cases_reassign(by=admin_staff, cases=[review], to_user=cover, reason="Rhys is off sick.")
    assert [(r.reviewer, was) for r, was in result.moved] == [(cover, reviewer)]
    # The new reviewer may now make the recommendation; the old one may not.
    with pytest.raises(review_services.RatingReviewCannotChange):
        review_services.rating_review_recommend(by=reviewer, review=review, text="Uphold.")
    review_services.rating_review_recommend(by=cover, review=review, text="Uphold.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("to", "reason", "message"),
    [
        ("same", "Leaving.", "Abel Absent is already the relationship holder of"),
        ("provider", "Leaving.", "is not a member of the regulator's staff"),
        ("inactive", "Leaving.", "account is not active"),
        ("cover", "   ", "Give the reason for reassigning"),
    ],
)
def test_reassign_refuses_plainly_and_moves_nothing(admin_staff, absent, cover, to, reason, message):
    locations = [LocationFactory(relationship_holder=absent), LocationFactory(relationship_holder=None)]
    to_user = {
        "same": absent,
        "provider": ProviderUserFactory(),
        "inactive": StaffFactory(is_active=False),
        "cover": cover,
    }[to]
    with pytest.raises(CasesCannotReassign, match=message):
        cases_reassign(by=admin_staff, cases=locations, to_user=to_user, reason=reason)
    assert Location.objects.get(pk=locations[0].pk).relationship_holder == absent
    assert Location.objects.get(pk=locations[1].pk).relationship_holder is None
    assert not AuditEvent.objects.filter(action="case.reassign").exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_reassign_page_refusals_keep_the_selection_and_say_why(client, admin_staff, absent, cover):
    location = LocationFactory(relationship_holder=absent)
    client.force_login(admin_staff)
    same = _reassign(client, Location, [location], to_user=absent.pk, reason="Leaving.")
    assert same.status_code == 200 and "Abel Absent is already the relationship holder" in same.text
    provider_person = ProviderUserFactory()
    outsider = _reassign(client, Location, [location], to_user=provider_person.pk, reason="Leaving.")
    assert "Choose an active member of staff" in outsider.text
    no_reason = _reassign(client, Location, [location], to_user=cover.pk, reason="")
    assert "Give the reason for reassigning" in no_reason.text
    assert f'name="_selected_action" value="{location.pk}"' in no_reason.text
    assert Location.objects.get(pk=location.pk).relationship_holder == absent


@pytest.mark.django_db
def test_staff_who_are_not_admin_staff_cannot_reassign(client, absent, cover):
    # The groups' permissions are synced after every migrate; in a fresh test database the register's
    # permissions do not exist yet when that runs, so sync again (it is idempotent).
    roles_sync()
    manager = StaffFactory(roles=[StaffRole.OPERATIONS_MANAGER], is_staff=True)
    location = LocationFactory(relationship_holder=absent)
    with pytest.raises(CasesCannotReassign, match="Only admin staff"):
        cases_reassign(by=manager, cases=[location], to_user=cover, reason="Leaving.")
    client.force_login(manager)
    changelist = client.get(_changelist(Location))
    assert changelist.status_code == 200  # they may see the register...
    assert "reassign_cases" not in changelist.text  # ...but are not offered the action
    response = _reassign(client, Location, [location], to_user=cover.pk, reason="Leaving.")
    assert response.status_code == 302
    assert Location.objects.get(pk=location.pk).relationship_holder == absent
    assert not AuditEvent.objects.filter(action="case.reassign").exists()


@pytest.mark.django_db
def test_reassign_deadline_owner_only_while_the_deadline_is_live(admin_staff, inspector, cover, completed):  # noqa: F811
    with transaction.atomic():
        draft = report_services.report_create(by=inspector, assessment=completed)
    target = Deadline.objects.get(object_id=str(draft.pk), owner=inspector)
    result = cases_reassign(by=admin_staff, cases=[target], to_user=cover, reason="Workload.")
    assert result.moved[0][0].owner == cover
    with transaction.atomic():
        from cqcportal.deadlines.services import deadline_cancel

        deadline_cancel(deadline=Deadline.objects.get(pk=target.pk), by=admin_staff, reason="Test")
    with pytest.raises(CasesCannotReassign, match="cancelled"):
        cases_reassign(by=admin_staff, cases=[Deadline.objects.get(pk=target.pk)], to_user=inspector, reason="Back.")


# --- Resending a notification ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resend_a_sent_notification_copies_it_queues_it_and_audits(
    client, admin_staff, inspector, broker_sends, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        original = notification_queue(recipient=inspector, subject="Your target", body="Due soon.", dedupe_key="t1")
    Notification.objects.filter(pk=original.pk).update(sent_at=timezone.now(), attempts=1)
    broker_sends.clear()
    client.force_login(admin_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _changelist(Notification), {"action": "resend", "_selected_action": [original.pk]}, follow=True
        )
    assert "1 notification(s) queued to be sent again" in response.text
    copy = Notification.objects.exclude(pk=original.pk).get()
    assert (copy.subject, copy.body, copy.recipient, copy.sent_at) == ("Your target", original.body, inspector, None)
    assert broker_sends == [("notifications.send", {"notification_id": copy.pk})]
    event = AuditEvent.objects.get(action="notification.resend")
    assert (event.actor, event.object_id, event.data["sent_as"]) == (admin_staff, str(original.pk), copy.pk)
    # Again: a second copy, with its own key.
    notification_resend(by=admin_staff, notification=original)
    assert Notification.objects.count() == 3


@pytest.mark.django_db
def test_resend_an_unsent_notification_requeues_the_same_row_and_a_given_up_one_is_copied(
    admin_staff, inspector, broker_sends, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        waiting = notification_queue(recipient=inspector, subject="A", body="B", dedupe_key="w1")
        given_up = notification_queue(recipient=inspector, subject="C", body="D", dedupe_key="g1")
    Notification.objects.filter(pk=given_up.pk).update(attempts=MAX_ATTEMPTS, last_error="SMTP down")
    broker_sends.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_resend(by=admin_staff, notification=waiting).pk == waiting.pk
        copy = notification_resend(by=admin_staff, notification=given_up)
    assert copy.pk not in (waiting.pk, given_up.pk) and copy.attempts == 0
    assert broker_sends == [
        ("notifications.send", {"notification_id": waiting.pk}),
        ("notifications.send", {"notification_id": copy.pk}),
    ]
    assert AuditEvent.objects.filter(action="notification.resend").count() == 2


@pytest.mark.django_db
def test_resend_is_refused_to_staff_who_are_not_admin_staff(client, inspector):
    with transaction.atomic():
        notification = notification_queue(recipient=inspector, subject="A", body="B", dedupe_key="r1")
    with pytest.raises(NotificationCannotResend):
        notification_resend(by=inspector, notification=notification)
    assert not AuditEvent.objects.filter(action="notification.resend").exists()


# --- CSV export -----------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("Oak House", "Oak House"),
        ("", ""),
    ],
)
def test_csv_safe_makes_formulas_text(text, safe):
    assert csv_safe(text) == safe


@pytest.mark.django_db
def test_csv_export_follows_the_lists_filters_and_search_and_escapes_formulas(client, admin_staff, absent):
    LocationFactory(name='=HYPERLINK("http://evil.example","Click")', postcode="OL1 1AA", relationship_holder=absent)
    LocationFactory(name="Oak House", postcode="OL2 2BB", relationship_holder=absent)
    LocationFactory(name="Elm House", region="London", postcode="E1 1AA")
    client.force_login(admin_staff)
    changelist = client.get(_changelist(Location), {"region": "North West"})
    export_url = reverse("admin:register_location_export")
    assert f'href="{export_url}?region=North+West"' in changelist.text
    rows = _csv(client.get(export_url, {"region": "North West"}))
    assert rows[0][:3] == ["Register id", "Name", "Provider"]
    names = sorted(row[1] for row in rows[1:])
    assert names == ['\'=HYPERLINK("http://evil.example","Click")', "Oak House"]
    assert all(row[-1] == f"Abel Absent <{absent.email}>" for row in rows[1:])
    searched = _csv(client.get(export_url, {"q": "Oak"}))
    assert [row[1] for row in searched[1:]] == ["Oak House"]


@pytest.mark.django_db
def test_csv_export_action_exports_the_selected_rows(client, admin_staff):
    keep, skip = LocationFactory(name="Keep House"), LocationFactory(name="Skip House")
    client.force_login(admin_staff)
    response = client.post(_changelist(Location), {"action": "export_selected_csv", "_selected_action": [keep.pk]})
    assert [row[1] for row in _csv(response)[1:]] == ["Keep House"]
    assert Location.objects.filter(pk=skip.pk).exists()


@pytest.mark.django_db
def test_csv_export_is_refused_to_people_who_cannot_see_the_list(client, inspector):
    inspector.is_staff = True
    inspector.save()
    client.force_login(inspector)
    assert client.get(reverse("admin:assessments_assessment_export")).status_code == 403


# --- The audit log ------------------------------------------------------------------------------------------


@pytest.fixture
def trail(admin_staff, inspector, absent):
    one, two = LocationFactory(name="Ash House"), LocationFactory(name="Birch House")
    with transaction.atomic():
        early = audit_event_record(by=inspector, subject=one, action="location.edit", reason="Early")
        late = audit_event_record(by=absent, subject=two, action="case.reassign", reason="Late")
        viewed = audit_event_record(by=inspector, subject=two, action="document.view", data={"document": "x"})
        state = audit_event_record(by=admin_staff, subject=one, action="x.move", from_state="a", to_state="b")
    AuditEvent.objects.filter(pk=early.pk).update(occurred_at=timezone.make_aware(datetime.datetime(2026, 1, 5, 9)))
    AuditEvent.objects.filter(pk=late.pk).update(occurred_at=timezone.make_aware(datetime.datetime(2026, 3, 9, 23)))
    return {"one": one, "two": two, "early": early, "late": late, "viewed": viewed, "state": state}


def _listed(client, **params) -> set[int]:
    response = client.get(_changelist(AuditEvent), params)
    assert response.status_code == 200, response
    return {event.pk for event in response.context["cl"].result_list}


@pytest.mark.django_db
def test_audit_log_filters_by_person_case_action_kind_and_dates(client, admin_staff, inspector, trail):
    client.force_login(admin_staff)
    t = trail
    assert _listed(client, person=inspector.full_name) == {t["early"].pk, t["viewed"].pk}
    assert _listed(client, person=str(inspector.pk)) == {t["early"].pk, t["viewed"].pk}
    assert _listed(client, person=inspector.email) == {t["early"].pk, t["viewed"].pk}
    record_type = ContentType.objects.get_for_model(Location).pk
    assert _listed(client, record_type=record_type, record=t["two"].pk) == {t["late"].pk, t["viewed"].pk}
    assert _listed(client, action="case.") == {t["late"].pk}
    assert _listed(client, kind="access") == {t["viewed"].pk}
    assert _listed(client, kind="state") == {t["state"].pk}
    assert _listed(client, kind="reassign") == {t["late"].pk}
    assert _listed(client, occurred_from="2026-01-01", occurred_to="2026-03-09") == {t["early"].pk, t["late"].pk}
    assert _listed(client, occurred_to="2026-01-05") == {t["early"].pk}
    assert _listed(client, q="Birch", occurred_from="2026-03-01", occurred_to="2026-03-31") == {t["late"].pk}
    # A bad date is the admin's usual "invalid filter" page, not an error.
    assert client.get(_changelist(AuditEvent), {"occurred_from": "yesterday"}).status_code == 302


@pytest.mark.django_db
def test_audit_log_is_read_only(client, admin_staff, trail):
    client.force_login(admin_staff)
    event = trail["early"]
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"reason": "Changed"})
    assert AuditEvent.objects.get(pk=event.pk).reason == "Early"
    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == 200 and 'type="submit"' not in page.text.split('id="content-main"')[1]


@pytest.mark.django_db
def test_each_record_shows_its_own_trail_escaped_with_a_link_to_the_log(client, admin_staff, inspector):
    location = LocationFactory()
    other = LocationFactory()
    with transaction.atomic():
        audit_event_record(by=inspector, subject=location, action="location.note", reason="<script>alert(1)</script>")
        audit_event_record(by=inspector, subject=other, action="location.other")
    client.force_login(admin_staff)
    page = client.get(reverse("admin:register_location_change", args=[location.pk]))
    assert "Audit trail" in page.text and "location.note" in page.text and "location.other" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    assert "record=" in page.text and "record_type=" in page.text


# --- Every page of the back office ------------------------------------------------------------------------------


@pytest.fixture
def busy_register(admin_staff, inspector, cover, accepted, report, location, provider_user):  # noqa: F811
    """Something of (nearly) everything: a published report under review, an enforcement action, evidence, a
    notification and its resend, and audit events."""
    enforcement_services.action_record(
        by=inspector,
        kind="warning_notice",
        provider=location.provider,
        location=location,
        summary="Medicines must be managed safely.",
        reason="Errors at two visits.",
        breaches=[("12", "safe")],
    )
    review_services.rating_review_assign_reviewer(by=admin_staff, review=accepted, reviewer=cover)
    team = Team.objects.create(name="North West 2", region="North West", operations_manager=admin_staff)
    User.objects.filter(pk__in=[inspector.pk, cover.pk]).update(team=team)
    today = timezone.localdate()
    with transaction.atomic():
        notification = notification_queue(recipient=inspector, subject="Hello", body="B", dedupe_key="every")
        assessment_create(by=inspector, location=location, kind="responsive", announced=False)
        information_request_send(by=inspector, location=location, questions="Your rota?", today=today)
    notification_resend(by=admin_staff, notification=notification)
    complaint_record(
        by=inspector,
        location=location,
        complainant="Pat Public",
        about="Slow replies",
        received_date=today,
        today=today,
    )
    concern_record(
        by=inspector,
        provider=location.provider,
        director_name="Dan Director",
        concern="Unpaid debts",
        received_on=today,
    )


@pytest.mark.django_db
def test_every_back_office_list_and_record_opens_for_admin_staff_within_budget(
    client, admin_staff, busy_register, django_assert_max_num_queries
):
    client.force_login(admin_staff)
    opened = 0
    for model, model_admin in admin.site._registry.items():
        with django_assert_max_num_queries(30):
            response = client.get(_changelist(model))
        assert response.status_code == 200, model
        obj = model_admin.get_queryset(response.wsgi_request).first()
        if obj is None:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        with django_assert_max_num_queries(45):
            response = client.get(url)
        assert response.status_code == 200, model
        opened += 1
    # Everything the flows above create opens; only tables they leave empty (axes' logs, solar schedules) do not.
    assert opened >= 23


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Location, Assessment, AuditEvent, Notification, Deadline])
def test_case_lists_query_count_does_not_grow_with_rows(client, admin_staff, inspector, model):
    def grow(n):
        for _ in range(n):
            location = LocationFactory(relationship_holder=inspector)
            with transaction.atomic():
                assessment_create(by=inspector, location=location, kind="responsive", announced=False)
                notification_queue(recipient=inspector, subject="S", body="B", dedupe_key=f"grow-{location.pk}")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_staff)
    grow(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(_changelist(model)).status_code == 200
    grow(6)
    with CaptureQueriesContext(connection) as many:
        assert client.get(_changelist(model)).status_code == 200
    assert len(many) == len(few)


# --- Reading unpublished material is audited ---------------------------------------------------------------------


def _views(user, subject) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            actor=user,
            content_type=ContentType.objects.get_for_model(subject),
            object_id=str(subject.pk),
            action__in=["document.view", "document.download"],
        )
    )


@pytest.mark.django_db
def test_reading_a_published_report_is_not_an_access_to_unpublished_material(client, inspector, report):  # noqa: F811
    client.force_login(inspector)
    assert client.get(reverse("factual_accuracy:report", args=[report.pk])).status_code == 200
    assert _views(inspector, report) == []


@pytest.mark.django_db
def test_reading_unpublished_material_is_audited(client, inspector, provider_user, completed, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    with transaction.atomic():
        draft = report_services.report_create(by=inspector, assessment=completed)
    client.force_login(inspector)
    assert client.get(reverse("factual_accuracy:report", args=[draft.pk])).status_code == 200
    assert client.get(reverse("factual_accuracy:versions", args=[draft.pk])).status_code == 200
    seen = _views(inspector, draft)
    assert [e.data["document"] for e in seen] == ["report versions", "draft report"]
    assert seen[0].data["state"] == "drafting"
    # Evidence files of an assessment.
    location = completed.location
    with transaction.atomic():
        running = assessment_create(by=inspector, location=location, kind="responsive", announced=False)
    item = evidence_add(
        by=inspector,
        assessment=running,
        statement=QualityStatement.objects.order_by("order").first(),
        category=EvidenceCategory.objects.order_by("order").first(),
        note="Rota",
        document=SimpleUploadedFile("rota.pdf", PDF, "application/pdf"),
    )
    download = client.get(reverse("assessments:evidence-download", args=[running.pk, item.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert [(e.action, e.data["evidence"]) for e in _views(inspector, running)] == [("document.download", item.pk)]
    # An unpublished enforcement action, by staff and by the provider once served.
    action = enforcement_services.action_record(
        by=inspector,
        kind="requirement_notice",
        provider=location.provider,
        location=location,
        summary="Keep better records.",
        reason="Records missing.",
        breaches=[("17", "well_led")],
    )
    assert client.get(reverse("enforcement:action", args=[action.pk])).status_code == 200
    assert [e.data["document"] for e in _views(inspector, action)] == ["unpublished enforcement action"]


@pytest.mark.django_db
def test_reading_a_rating_review_request_is_audited(client, inspector, accepted):  # noqa: F811
    client.force_login(inspector)
    assert client.get(reverse("assessments:rating-review", args=[accepted.pk])).status_code == 200
    assert [e.data["document"] for e in _views(inspector, accepted)] == ["rating review request"]


@pytest.mark.django_db(transaction=True)
def test_access_is_recorded_outside_any_transaction(inspector):
    # Views run in autocommit (no ATOMIC_REQUESTS); the record opens the transaction the audit row needs.
    location = LocationFactory()
    event = audit_access_record(by=inspector, subject=location, document="draft report")
    assert AuditEvent.objects.get(pk=event.pk).action == "document.view"


@pytest.mark.django_db
def test_staff_added_to_the_team_by_reassignment_can_open_the_workspace(client, admin_staff, inspector, cover):
    location = LocationFactory()
    with transaction.atomic():
        assessment = assessment_create(by=inspector, location=location, kind="responsive", announced=False)
    cases_reassign(by=admin_staff, cases=[assessment], to_user=cover, reason="Workload.")
    assert AssessmentTeamMember.objects.filter(assessment=assessment, user=cover).exists()
    assert cover.has_perm("assessments.conduct", Assessment.objects.get(pk=assessment.pk))


@pytest.mark.django_db
def test_a_persons_page_links_to_everything_they_did_in_the_audit_log(client, admin_staff, inspector, trail):
    client.force_login(admin_staff)
    page = client.get(reverse("admin:accounts_user_change", args=[inspector.pk]))
    link = f"{_changelist(AuditEvent)}?person={inspector.pk}"
    assert link in page.text
    assert _listed(client, person=inspector.pk) == {trail["early"].pk, trail["viewed"].pk}


@pytest.mark.django_db
def test_teams_list_their_operations_manager_and_member_count(client, admin_staff, inspector):
    team = Team.objects.create(name="North West 2", operations_manager=admin_staff)
    User.objects.filter(pk=inspector.pk).update(team=team)
    client.force_login(admin_staff)
    page = client.get(_changelist(Team))
    assert page.status_code == 200 and "North West 2" in page.text and "Ada Admin" in page.text
    assert [t.member_count for t in page.context["cl"].result_list] == [1]
