"""A provider user reaches their own organisation's private pages and never another's."""

import pytest
from django.urls import reverse

from cqcportal.accounts.models import Delegation
from cqcportal.tests.factories import LocationFactory, ProviderFactory, ProviderUserFactory, StaffFactory


@pytest.fixture
def other(db):
    provider = ProviderFactory(name="Other Org Ltd")
    location = LocationFactory(provider=provider, name="Other House")
    user = ProviderUserFactory(membership__provider=provider, membership__role="registered_manager")
    return provider, location, user


def _private_urls(provider, location, member):
    return [
        reverse("register:organisation", args=[provider.pk]),
        reverse("register:organisation-location", args=[provider.pk, location.pk]),
        reverse("register:team", args=[provider.pk]),
        reverse("register:team-member", args=[provider.pk, member.pk]),
        reverse("register:delegation-new", args=[provider.pk]),
    ]


@pytest.mark.django_db
def test_private_pages_of_another_provider_are_not_found(client, provider_user, other):
    client.force_login(provider_user)
    for url in _private_urls(*other):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Other Org Ltd" not in response.text


@pytest.mark.django_db
def test_private_pages_mixing_own_provider_and_other_records_are_not_found(client, provider_user, location, other):
    client.force_login(provider_user)
    own = provider_user.membership.provider
    _, other_location, other_user = other
    for url in [
        reverse("register:organisation-location", args=[own.pk, other_location.pk]),
        reverse("register:team-member", args=[own.pk, other_user.pk]),
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_withdrawing_another_providers_delegation_is_not_found(client, provider_user, other):
    provider, _, other_user = other
    colleague = ProviderUserFactory(membership__provider=provider)
    delegation = Delegation.objects.create(
        delegator=other_user,
        delegate=colleague,
        provider=provider,
        start_date="2030-01-01",
        end_date="2030-01-05",
        created_by=other_user,
    )
    client.force_login(provider_user)
    response = client.post(reverse("register:delegation-withdraw", args=[provider.pk, delegation.pk]))
    assert response.status_code == 404
    delegation.refresh_from_db()
    assert delegation.revoked_at is None


@pytest.mark.django_db
def test_private_pages_of_own_provider_open(client, provider_user, location):
    client.force_login(provider_user)
    for url in _private_urls(provider_user.membership.provider, location, provider_user):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_private_pages_open_for_staff(client, inspector, other):
    client.force_login(inspector)
    for url in _private_urls(*other)[:4]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_private_pages_send_anonymous_visitors_to_sign_in(client, other):
    for url in _private_urls(*other):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:sign-in"))


@pytest.mark.django_db
def test_public_profiles_stay_public(client, other):
    provider, location, _ = other
    assert "Other House" in client.get(reverse("register:location", args=[location.cqc_id])).text
    assert "Other Org Ltd" in client.get(reverse("register:provider", args=[provider.cqc_id])).text
    assert client.get(reverse("register:location", args=["1-does-not-exist"])).status_code == 404


@pytest.mark.django_db
def test_dashboards_show_own_organisation_only(client, provider_user, location, other):
    client.force_login(provider_user)
    response = client.get(reverse("core:dashboard"))
    assert location.name in response.text
    assert "Other House" not in response.text


@pytest.mark.django_db
def test_dashboard_of_a_large_provider_shows_its_locations_a_page_at_a_time(client, provider_user, location):
    provider = provider_user.membership.provider
    LocationFactory.create_batch(54, provider=provider)  # 55 in all, as a chain's
    client.force_login(provider_user)
    first = client.get(reverse("core:dashboard")).text
    second = client.get(reverse("core:dashboard"), {"page": 2}).text
    names = sorted(provider.locations.values_list("name", flat=True))
    assert all(name in first for name in names[:50]) and names[50] not in first
    assert all(name in second for name in names[50:]) and names[0] not in second
    assert 'aria-label="Pages of your locations"' in first and "page=2" in first


@pytest.mark.django_db
def test_dashboard_pages_show_each_of_many_same_named_locations_once(client, provider_user, location):
    """Locations are ordered by status and name, then by id: with names repeated, no page repeats or skips one."""
    import re

    provider = provider_user.membership.provider
    LocationFactory.create_batch(220, provider=provider, name="Ashley Manor")
    # Rewritten rows move to the table's end: ties in the heap no longer follow the ids.
    every_third = list(provider.locations.values_list("pk", flat=True))[::3]
    provider.locations.filter(pk__in=every_third).update(postcode="AB1 2CD")
    client.force_login(provider_user)
    pages = [client.get(reverse("core:dashboard"), {"page": n}).text for n in (1, 2, 3, 4, 5)]
    shown = [int(pk) for page in pages for pk in re.findall(rf"/organisations/{provider.pk}/locations/(\d+)/", page)]
    assert sorted(shown) == sorted(provider.locations.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 15])
def test_private_pages_query_budget_does_not_grow(client, django_assert_max_num_queries, provider_user, location, n):
    provider = provider_user.membership.provider
    for _ in range(n):
        loc = LocationFactory(provider=provider)
        ProviderUserFactory(membership__provider=provider, membership__locations=[loc])
    client.force_login(provider_user)
    budgets = {
        reverse("core:dashboard"): 12,
        reverse("register:organisation", args=[provider.pk]): 12,
        reverse("register:organisation-location", args=[provider.pk, location.pk]): 14,
        reverse("register:team", args=[provider.pk]): 12,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_staff_dashboard_query_budget_does_not_grow(client, django_assert_max_num_queries, inspector, n):
    LocationFactory.create_batch(n, relationship_holder=inspector)
    client.force_login(inspector)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    assert f"with {n} registered location" in response.text


@pytest.mark.django_db
def test_provider_dashboard_shows_its_things_to_do_and_locations_with_their_ratings(
    client, provider_user, location, inspector
):
    """The dashboard's rows (rendered by Jinja2 fragments): each deadline with its date or that it is paused; each
    location with its link, "You manage" where the person does, and its overall rating or "Not yet rated"."""
    import datetime

    from django.db import transaction

    from cqcportal.deadlines.rules import Kind
    from cqcportal.deadlines.services import deadline_open, deadline_pause
    from cqcportal.register.models import PublishedRating

    provider = provider_user.membership.provider
    rated = LocationFactory(provider=provider, name="Rated <House> & Co")
    PublishedRating.objects.create(location=rated, key_question="overall", rating="good", source="assessment")
    today = datetime.date(2026, 12, 7)
    with transaction.atomic():
        open_one = deadline_open(
            case=location,
            kind=Kind.PROVIDER_INFORMATION_REQUEST,
            start_date=today,
            case_description="Send the <statement> of purpose",
            case_url="/cases/1/",
            provider=provider,
            location=location,
        )
        paused = deadline_open(
            case=rated,
            kind=Kind.PROVIDER_INFORMATION_REQUEST,
            start_date=today,
            case_description="Send the staff rota",
            case_url="/cases/2/",
            provider=provider,
            location=rated,
        )
    deadline_pause(deadline=paused, by=inspector, reason="A complaint is being looked at", today=today)
    client.force_login(provider_user)
    page = client.get(reverse("core:dashboard")).text
    assert (
        '<a class="govuk-link govuk-!-font-weight-bold" href="/cases/1/">Send the &lt;statement&gt; of purpose</a>'
        in page
    )
    assert f"Due by the end of {open_one.due_date:%A %-d %B %Y}" in page
    assert "Send the staff rota</a><br>" in page and "Paused: the clock has stopped" in page
    own_link = reverse("register:organisation-location", args=[provider.pk, location.pk])
    rated_link = reverse("register:organisation-location", args=[provider.pk, rated.pk])
    assert (
        f'<a class="govuk-link" href="{own_link}">{location.name}</a> '
        '<strong class="govuk-tag govuk-tag--blue">You manage</strong>' in page
    )
    assert f'<a class="govuk-link" href="{rated_link}">Rated &lt;House&gt; &amp; Co</a><br>' in page
    assert '<strong class="govuk-tag app-rating app-rating--good">Good</strong>' in page
    assert page.count("Not yet rated") == 1
    assert page.count("You manage") == 1


@pytest.mark.django_db
def test_staff_dashboard_shows_held_locations_with_their_links_and_ratings(client, inspector):
    """The held locations' rows (a Jinja2 fragment, links from one reverse): the location's and its provider's
    pages, the overall rating or "Not yet rated", names escaped."""
    from cqcportal.register.models import PublishedRating

    rated = LocationFactory(relationship_holder=inspector, name="Rated <House> & Co")
    PublishedRating.objects.create(
        location=rated, key_question="overall", rating="requires_improvement", source="assessment"
    )
    unrated = LocationFactory(relationship_holder=inspector, name="Beech View")
    LocationFactory(name="Not Held House")
    client.force_login(inspector)
    page = client.get(reverse("core:dashboard")).text
    for location, name in ((rated, "Rated &lt;House&gt; &amp; Co"), (unrated, "Beech View")):
        link = reverse("register:organisation-location", args=[location.provider_id, location.pk])
        assert f'<a class="govuk-link" href="{link}">{name}</a>' in page
        provider_link = reverse("register:organisation", args=[location.provider_id])
        assert f'<a class="govuk-link" href="{provider_link}">{location.provider.name}</a>' in page
    assert '<strong class="govuk-tag app-rating app-rating--requires-improvement">Requires improvement</strong>' in page
    assert page.count("Not yet rated") == 1 and "Not Held House" not in page


@pytest.mark.django_db
def test_staff_dashboard_shows_roles_targets_cases_waiting_held_count_and_latest_activity(client, inspector):
    """The staff dashboard's lists: the person's roles; their own live targets (bound on staff) and the cases
    waiting for providers, each by due date, paused ones marked; how many locations they hold, counted past the 50
    shown; the ten newest audit events, newest first."""
    import datetime
    import re

    from django.contrib.auth.models import Group
    from django.db import transaction

    from cqcportal.audit.models import AuditEvent
    from cqcportal.audit.services import audit_event_record
    from cqcportal.deadlines.models import Deadline
    from cqcportal.deadlines.rules import Kind
    from cqcportal.deadlines.services import deadline_meet, deadline_open, deadline_pause

    inspector.groups.add(Group.objects.get_or_create(name="Inspector")[0])
    inspector.groups.add(Group.objects.get_or_create(name="Assessor")[0])
    other = StaffFactory()
    held = LocationFactory.create_batch(51, relationship_holder=inspector)
    LocationFactory(relationship_holder=inspector, registration_status="deregistered")
    start = datetime.date(2026, 12, 7)

    cases = iter(held)

    def deadline(description, *, owner, binds, due, state="open"):
        case = next(cases)  # one live window per case and kind
        with transaction.atomic():
            made = deadline_open(
                case=case,
                kind=Kind.PROVIDER_INFORMATION_REQUEST,
                start_date=start,
                case_description=description,
                case_url=f"/cases/{description.split()[0].lower()}/",
                provider=case.provider,
                location=case,
            )
        Deadline.objects.filter(pk=made.pk).update(owner=owner, binds=binds, due_date=due)
        made = Deadline.objects.get(pk=made.pk)  # the protected state field cannot be refreshed in place
        with transaction.atomic():
            if state == "paused":
                deadline_pause(deadline=made, by=inspector, reason="A complaint is being looked at", today=start)
            elif state == "met":
                deadline_meet(deadline=made, by=inspector)

    deadline("Later target", owner=inspector, binds="staff", due=datetime.date(2027, 1, 20))
    deadline("Sooner target", owner=inspector, binds="staff", due=datetime.date(2027, 1, 6), state="paused")
    deadline("Met target", owner=inspector, binds="staff", due=datetime.date(2027, 1, 1), state="met")
    deadline("Colleague's target", owner=other, binds="staff", due=datetime.date(2027, 1, 2))
    deadline("Provider's window", owner=inspector, binds="provider", due=datetime.date(2027, 1, 8))
    with transaction.atomic():
        for n in range(12):
            event = audit_event_record(by=inspector, subject=held[n], action=f"test.event-{n:02}")
            AuditEvent.objects.filter(pk=event.pk).update(
                occurred_at=datetime.datetime(2027, 6, 1, 9, n, tzinfo=datetime.UTC)  # newer than the windows' events
            )

    client.force_login(inspector)
    page = client.get(reverse("core:dashboard")).text
    assert '<span class="govuk-caption-l">Assessor, Inspector</span>' in page
    targets = page[page.index("Your targets") : page.index("Waiting for providers")]
    assert targets.index("Sooner target") < targets.index("Later target")
    assert "Sooner target</a> – due 6 Jan 2027 (paused)" in targets and "Later target</a> – due 20 Jan 2027<" in targets
    waiting = page[page.index("Waiting for providers") : page.index("Locations you hold")]
    assert all("Met target" not in part and "Colleague" not in part for part in (targets, waiting))
    assert '<a class="govuk-link" href="/cases/provider&#x27;s/">Provider&#x27;s window</a> – due 8 Jan 2027' in waiting
    assert "You hold the relationship with 51 registered locations." in page
    activity = page[page.index("Latest activity") :]
    shown = [int(n) for n in re.findall(r"test\.event-(\d\d)", activity)]
    assert shown == list(range(11, 1, -1))
