"""The assessment framework's reference data: six evidence categories and the 34 quality statements."""

import json
from pathlib import Path

from assessments.ratings import statement_slug

DATA = Path(__file__).resolve().parent / "data" / "quality_statements.json"

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


def framework_sync(*, EvidenceCategory=None, QualityStatement=None, ServiceType=None) -> None:
    """Create the categories and statements that are missing; existing rows (perhaps edited or retired) stay.

    Used by the data migration (with historical models) and after every migrate or test flush.
    """
    if EvidenceCategory is None:
        from assessments.models import EvidenceCategory, QualityStatement
        from cqcportal.register.models import ServiceType
    for order, (slug, name) in enumerate(CATEGORIES, start=1):
        EvidenceCategory.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    existing = set(QualityStatement.objects.values_list("slug", flat=True))
    rated = list(ServiceType.objects.filter(is_rated=True))
    statements = json.loads(DATA.read_text(encoding="utf-8"))["quality_statements"]
    for order, item in enumerate(statements, start=1):
        slug = statement_slug(item["name"])
        if slug in existing:
            continue
        statement = QualityStatement.objects.create(
            slug=slug,
            key_question=KEY_QUESTIONS[item["key_question"]],
            name=item["name"],
            api_id=item["api_quality_statement_id"] or "",
            we_statement=item["we_statement"] or "",
            order=order,
        )
        if slug in PRIORITY:
            statement.priority_for.set(rated)
