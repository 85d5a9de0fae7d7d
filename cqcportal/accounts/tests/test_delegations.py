import datetime

import pytest
from django.urls import reverse

from cqcportal.accounts import rules as perms
from cqcportal.accounts.models import Delegation, ProviderRole
from cqcportal.accounts.services import (
    DelegationCannotCreate,
    DelegationCannotRevoke,
    delegation_create,
    delegation_revoke,
)
from cqcportal.audit.models import AuditEvent
from cqcportal.tests.factories import ProviderUserFactory

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def colleague(provider_user):
    return ProviderUserFactory(full_name="Carl Colleague", membership__provider=provider_user.membership.provider)


def _create(provider_user, colleague, **kwargs):
    args = {
        "by": provider_user,
        "delegator": provider_user,
        "delegate": colleague,
        "start_date": TODAY,
        "end_date": TODAY + datetime.timedelta(days=10),
        "reason": "Annual leave",
        "today": TODAY,
    } | kwargs
    return delegation_create(**args)


@pytest.mark.django_db
def test_delegation_create_lets_delegate_act_on_behalf_and_audits(provider_user, colleague):
    delegation = _create(provider_user, colleague)
    allowed, on_behalf_of = perms.can_act_as_registered_person(
        colleague, provider_user.membership.provider, today=TODAY
    )
    assert allowed and on_behalf_of == provider_user
    # Outside the dates the colleague is just a colleague again.
    after = TODAY + datetime.timedelta(days=11)
    assert perms.can_act_as_registered_person(colleague, provider_user.membership.provider, today=after) == (
        False,
        None,
    )
    event = AuditEvent.objects.get(action="delegation.create")
    assert event.actor == provider_user and event.object_id == str(delegation.pk)
    assert event.provider_id == provider_user.membership.provider_id


@pytest.mark.django_db
def test_delegation_create_refuses_colleague_as_delegator(colleague, provider_user):
    with pytest.raises(DelegationCannotCreate, match="Only a registered person"):
        _create(colleague, provider_user, by=colleague, delegator=colleague, delegate=provider_user)


@pytest.mark.django_db
def test_delegation_create_refuses_delegate_at_another_provider(provider_user):
    stranger = ProviderUserFactory()
    with pytest.raises(DelegationCannotCreate, match="same organisation"):
        _create(provider_user, stranger)


@pytest.mark.django_db
def test_delegation_create_refuses_end_before_start_and_overlap(provider_user, colleague):
    with pytest.raises(DelegationCannotCreate, match="end date must be the same as or after"):
        _create(provider_user, colleague, end_date=TODAY - datetime.timedelta(days=1), start_date=TODAY)
    _create(provider_user, colleague)
    with pytest.raises(DelegationCannotCreate, match="already your delegate"):
        _create(provider_user, colleague, start_date=TODAY + datetime.timedelta(days=5))
    assert Delegation.objects.count() == 1


@pytest.mark.django_db
def test_delegation_revoke_twice_changes_nothing_the_second_time(provider_user, colleague):
    delegation = _create(provider_user, colleague)
    first = delegation_revoke(by=provider_user, delegation=delegation)
    second = delegation_revoke(by=provider_user, delegation=delegation)
    assert first.revoked_at == second.revoked_at
    assert AuditEvent.objects.filter(action="delegation.revoke").count() == 1
    with pytest.raises(DelegationCannotRevoke):
        delegation_revoke(by=colleague, delegation=delegation)


@pytest.mark.django_db
def test_delegation_form_keeps_input_on_error(client, provider_user, colleague):
    client.force_login(provider_user)
    url = reverse("register:delegation-new", args=[provider_user.membership.provider_id])
    response = client.post(
        url,
        {
            "delegate": colleague.pk,
            "start_date_0": "10",
            "start_date_1": "12",
            "start_date_2": "2030",
            "end_date_0": "1",
            "end_date_1": "12",
            "end_date_2": "2030",
            "reason": "Conference",
        },
    )
    assert response.status_code == 200
    assert "The end date must be the same as or after the start date" in response.text
    assert "Conference" in response.text
    assert Delegation.objects.count() == 0


@pytest.mark.django_db
def test_delegation_form_over_long_reason_is_refused_and_kept(client, provider_user, colleague):
    client.force_login(provider_user)
    url = reverse("register:delegation-new", args=[provider_user.membership.provider_id])
    long_reason = "x" * 501
    response = client.post(
        url,
        {
            "delegate": colleague.pk,
            "start_date_0": "1",
            "start_date_1": "12",
            "start_date_2": "2030",
            "end_date_0": "5",
            "end_date_1": "12",
            "end_date_2": "2030",
            "reason": long_reason,
        },
    )
    assert "500 characters or fewer" in response.text
    assert long_reason in response.text
    assert Delegation.objects.count() == 0


@pytest.mark.django_db
def test_delegation_form_creates_and_redirects(client, provider_user, colleague):
    client.force_login(provider_user)
    url = reverse("register:delegation-new", args=[provider_user.membership.provider_id])
    response = client.post(
        url,
        {
            "delegate": colleague.pk,
            "start_date_0": "1",
            "start_date_1": "12",
            "start_date_2": "2030",
            "end_date_0": "5",
            "end_date_1": "12",
            "end_date_2": "2030",
            "reason": "",
        },
        follow=True,
    )
    assert "can act for you from 1 December 2030 until 5 December 2030" in response.text
    assert Delegation.objects.get().delegate == colleague


@pytest.mark.django_db
def test_delegation_form_not_offered_to_colleague(client, colleague):
    client.force_login(colleague)
    response = client.get(reverse("register:delegation-new", args=[colleague.membership.provider_id]))
    assert response.status_code == 403
    assert ProviderRole.REGISTERED_MANAGER.label.lower() in response.text.lower()
