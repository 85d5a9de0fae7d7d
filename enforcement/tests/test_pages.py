"""Enforcement pages as people use them: staff record and serve, the provider drafts and sends, staff decide."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cqcportal.tests.factories import LocationFactory, ProviderUserFactory
from enforcement.models import ActionState, EnforcementAction, Representation
from enforcement.tests.test_enforcement import PDF, activity, clock, rated  # noqa: F401 - fixtures


@pytest.mark.django_db
def test_warning_notice_through_the_pages(
    client,
    rated,  # noqa: F811
    inspector,
    location,
    provider_user,
    activity,  # noqa: F811
    settings,
    tmp_path,
    django_assert_max_num_queries,
):
    settings.MEDIA_ROOT = tmp_path
    location.regulated_activities.add(activity)
    client.force_login(inspector)
    new = reverse("enforcement:new", args=[location.pk])
    response = client.post(new, {"kind": "warning_notice", "summary": "", "reason": "Medicines errors."})
    assert response.status_code == 400 and "Medicines errors." in response.text
    response = client.post(
        new,
        {
            "kind": "warning_notice",
            "summary": "You must manage medicines safely.",
            "reason": "Medicines errors at two visits.",
            "regulations": ["12"],
            "kq-12": "safe",
        },
        follow=True,
    )
    assert "Action recorded" in response.text
    action = EnforcementAction.objects.get()
    url = reverse("enforcement:action", args=[action.pk])
    # The provider does not see a draft action.
    client.force_login(provider_user)
    assert client.get(url).status_code == 404
    client.force_login(inspector)
    response = client.post(reverse("enforcement:step", args=[action.pk, "serve"]), follow=True)
    assert "Served" in response.text and "Wednesday 6 January 2027" in response.text
    client.force_login(provider_user)
    page = client.get(url)
    assert "Make representations" in page.text and "Not published" in page.text
    response = client.post(
        reverse("enforcement:representation-add", args=[action.pk]),
        {
            "regulated_activity": activity.pk,
            "text": "Our audit shows no errors since October.",
            "file": SimpleUploadedFile("audit.pdf", PDF, "application/pdf"),
        },
        follow=True,
    )
    assert "Saved as a draft" in response.text and "audit.pdf" in response.text
    response = client.post(reverse("enforcement:step", args=[action.pk, "send"]), follow=True)
    assert "Your representations have been sent" in response.text
    # Another provider sees nothing; a provider cannot take a staff step.
    stranger = ProviderUserFactory(
        membership__provider=LocationFactory().provider, membership__role="registered_manager"
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(provider_user)
    assert client.post(reverse("enforcement:step", args=[action.pk, "serve"])).status_code == 404
    client.force_login(inspector)
    # 15, and 4 for the audit event of reading an action not yet published (savepoint, roles, insert, release).
    with django_assert_max_num_queries(19):
        assert client.get(url).status_code == 200
    client.post(
        reverse("enforcement:step", args=[action.pk, "respond"]),
        {"representation": Representation.objects.get().pk, "response": "Noted."},
    )
    response = client.post(
        reverse("enforcement:step", args=[action.pk, "decide"]),
        {"decision": "adopt", "reason": "The notice stands."},
        follow=True,
    )
    assert "Decision recorded" in response.text
    action = EnforcementAction.objects.get()
    assert action.state == ActionState.IN_EFFECT and action.published_at is not None


@pytest.mark.django_db
def test_staff_see_the_response_target_days_used_and_left_and_the_limit_cause(
    client,
    rated,  # noqa: F811
    inspector,
    location,
    provider_user,
    activity,  # noqa: F811
    clock,  # noqa: F811
):
    import datetime

    from assessments.working import location_working
    from enforcement import services
    from enforcement.tests.test_enforcement import SERVED, _warning, at

    action = services.action_serve(by=inspector, action=_warning(inspector, location), today=SERVED)
    services.representation_save(by=provider_user, action=action, regulated_activity=activity, text="We disagree.")
    services.representations_submit(by=provider_user, action=action, today=SERVED)
    clock.move_to(at(datetime.date(2026, 12, 24)))
    client.force_login(inspector)
    page = client.get(reverse("enforcement:action", args=[action.pk])).text
    assert "4 of 20 working days used, 16 left" in page  # 21, 22, 23, 24 December
    safe = location_working(location).key_questions[0]
    assert "Cause: Warning notice served on 18 December 2026: Medicines are not managed safely" in safe.explanation


@pytest.mark.django_db
def test_admin_serve_button_calls_the_service(client, rated, inspector, location):  # noqa: F811
    from cqcportal.accounts.models import StaffRole
    from cqcportal.audit.models import AuditEvent
    from cqcportal.tests.factories import StaffFactory
    from enforcement.tests.test_enforcement import _warning

    action = _warning(inspector, location)
    admin_user = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    page = client.get(reverse("admin:enforcement_enforcementaction_change", args=[action.pk]))
    assert "Serve it" in page.text
    client.post(reverse("admin:enforcement_enforcementaction_serve", args=[action.pk]))
    assert EnforcementAction.objects.get().state == ActionState.SERVED
    assert AuditEvent.objects.filter(action="enforcement.serve", actor=admin_user).exists()
    response = client.post(reverse("admin:enforcement_enforcementaction_serve", args=[action.pk]), follow=True)
    assert "that cannot happen now" in response.text
    for name in [
        "enforcementaction",
        "representation",
        "appeal",
        "fitandproperconcern",
        "specialmeasures",
        "escalationtask",
    ]:
        assert client.get(reverse(f"admin:enforcement_{name}_changelist")).status_code == 200, name
