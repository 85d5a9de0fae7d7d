"""The role groups after a fresh migrate, and admin staff (not superusers) working in the back office."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from cqcportal.accounts.models import StaffRole
from cqcportal.tests.factories import ProviderUserFactory, StaffFactory


@pytest.mark.django_db
def test_roles_hold_permissions_of_apps_migrated_after_accounts():
    """The test database was made by migrate, as a fresh live one is: apps after accounts count too."""
    ops = set(Group.objects.get(name=str(StaffRole.OPERATIONS_MANAGER)).permissions.values_list("codename", flat=True))
    assert {"change_location", "change_provider", "view_location"} <= ops
    admin_staff = Group.objects.get(name=str(StaffRole.ADMIN_STAFF)).permissions
    codes = set(admin_staff.values_list("content_type__app_label", "codename"))
    for app_label, codename in [
        ("enforcement", "view_enforcementaction"),
        ("factual_accuracy", "view_report"),
        ("assessments", "view_ratingreview"),
        ("complaints", "view_complaint"),
        ("audit", "view_auditevent"),
        ("deadlines", "view_deadline"),
    ]:
        assert (app_label, codename) in codes
    # Viewing, not editing, is what the role adds: changes go through the services' buttons.
    assert ("enforcement", "change_enforcementaction") not in codes


@pytest.mark.django_db
def test_admin_staff_who_are_not_superusers_can_open_every_back_office_list(client):
    admin_user = StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=False)
    client.force_login(admin_user)
    failures = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        status = client.get(url).status_code
        if status != 200:
            failures.append(f"{url}: {status}")
    assert failures == []


@pytest.mark.django_db
def test_a_person_s_roles_are_read_once_for_all_checks_and_their_audit_line_until_their_roles_change():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cqcportal.accounts import rules as perms
    from cqcportal.audit.services import describe_actor

    staff = StaffFactory(full_name="Ola Manager", roles=[StaffRole.INSPECTOR])
    staff = type(staff).objects.get(pk=staff.pk)  # as a request loads them: nothing read yet
    with CaptureQueriesContext(connection) as ctx:
        assert not perms.is_senior_staff(staff)
        assert not perms.is_admin_staff(staff)
        assert describe_actor(staff) == "Ola Manager (Inspector)"
    assert len(ctx.captured_queries) == 1
    # Given a role, the same object knows it at once (and reads its roles again, once).
    staff.groups.add(Group.objects.get(name=str(StaffRole.OPERATIONS_MANAGER)))
    with CaptureQueriesContext(connection) as ctx:
        assert perms.is_senior_staff(staff)
        assert describe_actor(staff) == "Ola Manager (Inspector, Operations manager)"
    assert len(ctx.captured_queries) == 1
    staff.groups.remove(Group.objects.get(name=str(StaffRole.OPERATIONS_MANAGER)))
    assert not perms.is_senior_staff(staff)
    staff.groups.set([Group.objects.get(name=str(StaffRole.ADMIN_STAFF))])
    assert perms.is_admin_staff(staff) and not perms.is_senior_staff(staff)
    staff.groups.clear()
    assert not perms.is_admin_staff(staff)
    assert describe_actor(staff) == "Ola Manager (Regulator staff)"


@pytest.mark.django_db
def test_a_staff_member_s_roles_come_with_the_person_and_a_change_to_them_is_seen(django_assert_num_queries):
    # The signed-in person is read with their roles (cqcportal.accounts.backends), so a request's permission checks
    # and its audit line read none, through the request's lazy user too; changing the groups is seen at once.
    from django.utils.functional import SimpleLazyObject

    from cqcportal.accounts.backends import EmailBackend
    from cqcportal.accounts.rules import staff_role_names

    staff = StaffFactory(roles=[StaffRole.INSPECTOR, StaffRole.ASSESSOR])
    person = EmailBackend().get_user(staff.pk)
    lazy = SimpleLazyObject(lambda: person)
    with django_assert_num_queries(0):
        assert staff_role_names(lazy) == {str(StaffRole.INSPECTOR), str(StaffRole.ASSESSOR)}
        assert staff_role_names(person) == staff_role_names(lazy)
    person.groups.remove(Group.objects.get(name=str(StaffRole.ASSESSOR)))
    assert staff_role_names(lazy) == {str(StaffRole.INSPECTOR)}
    provider_person = EmailBackend().get_user(ProviderUserFactory().pk)
    with django_assert_num_queries(0):
        assert staff_role_names(provider_person) == frozenset()
