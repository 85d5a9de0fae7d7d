"""Complaints in the back office: listed, searched and read; changes go through the portal's pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cqcportal.accounts.models import StaffRole
from cqcportal.complaints.services import complaint_record
from cqcportal.tests.factories import StaffFactory


@pytest.mark.django_db
def test_admin_complaints_are_read_only_with_a_link_to_the_portal(client, inspector, location):
    complaint = complaint_record(
        by=inspector,
        location=location,
        complainant="Ann Smith",
        about="Rude on the phone.",
        received_date=timezone.localdate(),
        today=timezone.localdate(),
    )
    client.force_login(StaffFactory(roles=[StaffRole.ADMIN_STAFF], is_staff=True, is_superuser=True))
    changelist = reverse("admin:complaints_complaint_changelist")
    page = client.get(changelist, {"q": location.cqc_id})
    assert page.status_code == 200 and "Ann Smith" in page.text
    assert client.get(changelist, {"state__exact": "closed"}).text.count("Ann Smith") == 0
    change = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    assert change.status_code == 200
    assert 'name="state"' not in change.text and 'name="outcome"' not in change.text
    assert reverse("complaints:detail", args=[complaint.pk]) in change.text
    assert client.get(reverse("admin:complaints_complaint_add")).status_code == 403
    assert client.get(reverse("admin:complaints_complaint_delete", args=[complaint.pk])).status_code == 403
