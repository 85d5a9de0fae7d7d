import datetime

import pytest
from django.urls import reverse

from cqcportal.register.models import KeyQuestion, PublishedRating, Region
from cqcportal.tests.factories import LocationFactory, ProviderFactory


@pytest.fixture
def rated_location(db):
    location = LocationFactory(name="Laburnum House", postcode="OL2 7AB", service_types=["Nursing homes"])
    PublishedRating.objects.bulk_create(
        PublishedRating(
            location=location,
            key_question=kq,
            rating="good" if kq != KeyQuestion.SAFE else "requires_improvement",
            report_date=datetime.date(2023, 5, 2),
            source=PublishedRating.Source.PREVIOUS_MODEL,
        )
        for kq in KeyQuestion
    )
    return location


@pytest.mark.django_db
def test_location_profile_shows_ratings_and_details(client, rated_location):
    response = client.get(reverse("register:location", args=[rated_location.cqc_id]))
    assert response.status_code == 200
    text = response.text
    assert "Laburnum House" in text
    assert "Requires improvement" in text and "Good" in text
    assert "2 May 2023" in text
    assert "Nursing homes" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"text": "laburnum"}, True),
        ({"text": "LABURNUM", "region": Region.NORTH_WEST}, True),
        ({"postcode": "ol2"}, True),
        ({"postcode": "OL27AB"}, True),
        ({"postcode": "OL3"}, False),
        ({"service_type": "Nursing homes"}, True),
        ({"service_type": "Dentist"}, False),
        ({"region": Region.LONDON}, False),
    ],
)
def test_register_search_filters(client, rated_location, params, found):
    response = client.get(reverse("register:search"), params)
    assert response.status_code == 200
    assert ("Laburnum House" in response.text) is found


@pytest.mark.django_db
def test_register_search_by_provider_name(client, rated_location):
    response = client.get(reverse("register:search"), {"text": rated_location.provider.name})
    assert "Laburnum House" in response.text


@pytest.mark.django_db
def test_register_search_with_no_match_says_so_and_what_to_try(client, rated_location):
    response = client.get(reverse("register:search"), {"text": "laburnum", "region": Region.LONDON})
    assert "0 results" in response.text
    assert "No registered services match. Try fewer words, or the start of the postcode." in response.text
    assert "Search by the name of a service or its provider" not in response.text


@pytest.mark.django_db
def test_register_search_empty_form_says_what_to_enter(client, rated_location):
    response = client.get(reverse("register:search"), {"text": ""})
    assert "Enter a name, a postcode, or choose a region" in response.text


@pytest.mark.django_db
def test_register_search_hides_deregistered_unless_asked(client):
    LocationFactory(name="Closed House", registration_status="deregistered", deregistration_date="2020-01-01")
    assert "Closed House" not in client.get(reverse("register:search"), {"text": "closed"}).text
    assert (
        "Closed House" in client.get(reverse("register:search"), {"text": "closed", "include_deregistered": "on"}).text
    )


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 30])
def test_public_pages_query_budget_does_not_grow(client, django_assert_max_num_queries, n):
    provider = ProviderFactory()
    locations = [LocationFactory(provider=provider, name=f"Budget House {i}") for i in range(n)]
    with django_assert_max_num_queries(6):
        assert client.get(reverse("register:search"), {"text": "budget"}).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("register:provider", args=[provider.cqc_id])).status_code == 200
    # 10: one more each for the special measures notice and the published enforcement actions.
    with django_assert_max_num_queries(10):
        assert client.get(reverse("register:location", args=[locations[0].cqc_id])).status_code == 200
