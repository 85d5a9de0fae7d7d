"""The staff pages of complaints: list, record, detail with escalate and close; others are told "not found"."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cqcportal.complaints.models import Complaint, ComplaintStage, ComplaintState
from cqcportal.complaints.services import complaint_close, complaint_record
from cqcportal.deadlines.models import Deadline
from cqcportal.deadlines.rules import Kind
from cqcportal.tests.factories import LocationFactory, StaffFactory


def _record(by, location, *, complainant="Ann Smith", received=None) -> Complaint:
    received = received or timezone.localdate()
    return complaint_record(
        by=by,
        location=location,
        complainant=complainant,
        about="The inspector did not speak to the registered manager.",
        received_date=received,
        today=timezone.localdate(),
    )


def _new(place, **overrides) -> dict:
    today = timezone.localdate()
    return {
        "location": place.cqc_id if place else "",
        "complainant": "Bob Jones",
        "about": "Our feedback was ignored.",
        "received_day": str(today.day),
        "received_month": str(today.month),
        "received_year": str(today.year),
        **overrides,
    }


@pytest.mark.django_db
def test_complaint_pages_record_escalate_and_close(client, inspector, location):
    client.force_login(inspector)
    assert "Record a complaint" in client.get(reverse("complaints:list")).text
    assert client.get(reverse("complaints:new")).status_code == 200
    response = client.post(reverse("complaints:new"), _new(location), follow=True)
    complaint = Complaint.objects.get()
    assert response.redirect_chain[-1][0] == reverse("complaints:detail", args=[complaint.pk])
    assert "Complaint recorded" in response.text and location.name in response.text
    assert "Move to formal investigation" in response.text and "7 working days left" in response.text
    assert complaint.location == location and complaint.recorded_by == inspector
    response = client.post(reverse("complaints:escalate", args=[complaint.pk]), follow=True)
    assert "Moved to formal investigation" in response.text
    assert "30 working days left" in response.text
    assert Complaint.objects.get().stage == ComplaintStage.FORMAL
    response = client.post(reverse("complaints:close", args=[complaint.pk]), {"outcome": "Apologised."}, follow=True)
    assert "Complaint closed" in response.text and "Apologised." in response.text
    assert Complaint.objects.get().state == ComplaintState.CLOSED
    assert "Close the complaint" not in response.text


@pytest.mark.django_db
def test_complaint_new_without_a_location(client, inspector):
    client.force_login(inspector)
    client.post(reverse("complaints:new"), _new(None))
    complaint = Complaint.objects.get()
    assert complaint.location is None
    assert "Not about one location" in client.get(reverse("complaints:detail", args=[complaint.pk])).text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message", "field_id"),
    [
        ({"received_day": "31", "received_month": "2"}, "must be a real date", "id_received_day"),
        ({"received_day": "", "received_month": "", "received_year": ""}, "Enter the date", "id_received_day"),
        ({"received_year": ""}, "must include a year", "id_received_year"),
        ({"received_year": "2999"}, "today or in the past", "id_received_day"),
        ({"location": "1-000000000"}, "No location has that register id", "id_location"),
        ({"complainant": ""}, "Enter the name of the person who complained", "id_complainant"),
        ({"complainant": "x" * 201}, "200 characters or fewer", "id_complainant"),
        ({"about": "   "}, "Enter what the complaint is about", "id_about"),
    ],
)
def test_complaint_new_errors_keep_what_was_typed(client, inspector, location, overrides, message, field_id):
    client.force_login(inspector)
    data = _new(location, **overrides)
    response = client.post(reverse("complaints:new"), data)
    assert response.status_code == 200
    text = response.text
    assert "There is a problem" in text and message in text and f'href="#{field_id}"' in text
    assert "<title>Error: " in text
    for name in ("location", "complainant", "received_day", "received_month", "received_year"):
        if data[name]:
            assert f'value="{data[name]}"' in text, name
    if data["about"].strip():
        assert data["about"] in text
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_complaint_close_without_an_outcome_says_so_and_a_late_close_keeps_the_text(client, inspector, location):
    complaint = _record(inspector, location)
    client.force_login(inspector)
    url = reverse("complaints:close", args=[complaint.pk])
    response = client.post(url, {"outcome": ""})
    assert response.status_code == 200 and "Enter the outcome of the complaint" in response.text
    assert Complaint.objects.get().state == ComplaintState.OPEN
    # Someone else closed it while this page was open: told so, and the outcome typed stays in the box.
    complaint_close(
        by=StaffFactory(), complaint=complaint, outcome="Closed by a colleague.", today=complaint.received_date
    )
    response = client.post(url, {"outcome": "My own outcome."})
    assert "closed already" in response.text and "My own outcome." in response.text
    assert Complaint.objects.get().outcome == "Closed by a colleague."
    response = client.post(reverse("complaints:escalate", args=[complaint.pk]), follow=True)
    assert "This complaint is closed" in response.text


@pytest.mark.django_db
def test_complaint_pages_are_not_found_for_provider_users(client, inspector, location, provider_user):
    complaint = _record(inspector, location)
    client.force_login(provider_user)
    for url in (
        reverse("complaints:list"),
        reverse("complaints:new"),
        reverse("complaints:detail", args=[complaint.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("complaints:new"), _new(location)).status_code == 404
    assert client.post(reverse("complaints:escalate", args=[complaint.pk])).status_code == 404
    assert client.post(reverse("complaints:close", args=[complaint.pk]), {"outcome": "x"}).status_code == 404
    assert Complaint.objects.get().state == ComplaintState.OPEN and Complaint.objects.count() == 1


@pytest.mark.django_db
def test_complaint_pages_send_anonymous_people_to_sign_in(client):
    response = client.get(reverse("complaints:list"))
    assert response.status_code == 302 and reverse("accounts:sign-in") in response.url


@pytest.mark.django_db
def test_complaint_detail_of_a_missing_complaint_is_not_found(client, inspector):
    client.force_login(inspector)
    assert client.get(reverse("complaints:detail", args=[999])).status_code == 404
    assert client.post(reverse("complaints:escalate", args=[999])).status_code == 404


@pytest.mark.django_db
def test_complaint_list_shows_open_first_and_filters(client, inspector, location):
    today = timezone.localdate()
    closed = _record(inspector, location, complainant="Closed Person", received=today - datetime.timedelta(days=30))
    complaint_close(by=inspector, complaint=closed, outcome="Done.", today=today)
    _record(inspector, location, complainant="Open Person")
    client.force_login(inspector)
    text = client.get(reverse("complaints:list")).text
    assert text.index("Open Person") < text.index("Closed Person")
    due = Deadline.objects.get(kind=Kind.COMPLAINT_INFORMAL, state="open").due_date
    assert f"Due {due:%-d %b %Y}" in text and "7 working days left" in text
    open_only = client.get(reverse("complaints:list"), {"show": "open"}).text
    assert "Open Person" in open_only and "Closed Person" not in open_only
    closed_only = client.get(reverse("complaints:list"), {"show": "closed"}).text
    assert "Closed Person" in closed_only and "Open Person" not in closed_only


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 20])
def test_complaint_pages_query_budget_does_not_grow(client, django_assert_max_num_queries, inspector, n):
    complaints = [_record(inspector, LocationFactory()) for _ in range(n)]
    for complaint in complaints[: n // 2]:
        complaint_close(by=inspector, complaint=complaint, outcome="Resolved.", today=timezone.localdate())
    client.force_login(inspector)
    budgets = {
        reverse("complaints:list"): 6,
        reverse("complaints:list") + "?show=open": 6,
        reverse("complaints:detail", args=[complaints[-1].pk]): 9,
        reverse("complaints:detail", args=[complaints[0].pk]): 9,
        reverse("complaints:new"): 3,
    }
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
