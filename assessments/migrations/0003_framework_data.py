import json
from pathlib import Path

from django.db import migrations

from assessments.ratings import statement_slug

DATA = Path(__file__).resolve().parents[1] / "data" / "quality_statements.json"

KEY_QUESTIONS = {
    "Safe": "safe",
    "Effective": "effective",
    "Caring": "caring",
    "Responsive": "responsive",
    "Well-led": "well_led",
}

CATEGORIES = [
    ("peoples_experience", "People's experience of health and care services"),
    ("feedback_from_staff_and_leaders", "Feedback from staff and leaders"),
    ("feedback_from_partners", "Feedback from partners"),
    ("observation", "Observation"),
    ("processes", "Processes"),
    ("outcomes", "Outcomes"),
]

# A default set of priority statements for every rated service type; admin staff change it per type.
PRIORITY = {
    "safeguarding",
    "involving_people_to_manage_risks",
    "safe_and_effective_staffing",
    "medicines_optimisation",
    "assessing_needs",
    "consent_to_care_and_treatment",
    "kindness_compassion_and_dignity",
    "independence_choice_and_control",
    "person_centred_care",
    "equity_in_access",
    "governance_management_and_sustainability",
    "capable_compassionate_and_inclusive_leaders",
}


def load(apps, schema_editor):
    EvidenceCategory = apps.get_model("assessments", "EvidenceCategory")
    QualityStatement = apps.get_model("assessments", "QualityStatement")
    ServiceType = apps.get_model("register", "ServiceType")
    for order, (slug, name) in enumerate(CATEGORIES, start=1):
        EvidenceCategory.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})
    rated = list(ServiceType.objects.filter(is_rated=True))
    statements = json.loads(DATA.read_text(encoding="utf-8"))["quality_statements"]
    for order, item in enumerate(statements, start=1):
        slug = statement_slug(item["name"])
        statement, _ = QualityStatement.objects.update_or_create(
            slug=slug,
            defaults={
                "key_question": KEY_QUESTIONS[item["key_question"]],
                "name": item["name"],
                "api_id": item["api_quality_statement_id"] or "",
                "we_statement": item["we_statement"] or "",
                "order": order,
            },
        )
        if slug in PRIORITY:
            statement.priority_for.set(rated)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_framework_and_assessments"), ("register", "0002_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
