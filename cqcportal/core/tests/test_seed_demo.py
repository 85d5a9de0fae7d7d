from io import StringIO

import pytest
from django.core.management import call_command

from assessments.models import Assessment, InformationRequest
from cqcportal.accounts.models import User
from cqcportal.deadlines.models import Deadline
from cqcportal.register.models import Location
from factual_accuracy.models import Report


@pytest.mark.django_db
def test_seed_demo_loads_every_role_and_case_and_is_safe_to_run_again():
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
    ]:
        assert email in text
    counts = (
        User.objects.count(),
        Location.objects.count(),
        Assessment.objects.count(),
        InformationRequest.objects.count(),
        Deadline.objects.count(),
        Report.objects.count(),
    )
    assert counts[1] >= 150
    assert set(Assessment.objects.values_list("state", flat=True)) == {
        "planned",
        "in_progress",
        "completed",
        "cancelled",
    }
    assert set(Report.objects.values_list("state", flat=True)) == {"drafting", "out_for_factual_accuracy"}
    call_command("seed_demo", stdout=StringIO())
    assert counts == (
        User.objects.count(),
        Location.objects.count(),
        Assessment.objects.count(),
        InformationRequest.objects.count(),
        Deadline.objects.count(),
        Report.objects.count(),
    )
