"""Load a realistic demo register and people in every role, and print the demo sign-ins.

Safe to run again: everything is created only if it is missing.
"""

import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment, EvidenceCategory, InformationRequest, QualityStatement
from assessments.services import (
    assessment_cancel,
    assessment_complete,
    assessment_create,
    assessment_start,
    information_request_send,
    information_request_submit,
    location_rating_suspend,
    regulations_judge,
    statement_score_set,
)
from cqcportal.accounts.models import Delegation, ProviderRole, StaffRole, Team, User
from cqcportal.accounts.services import delegation_create, provider_user_create, staff_user_create
from cqcportal.deadlines.rules import working_days_before
from cqcportal.register.importer import register_import, summary_lines
from cqcportal.register.models import KeyQuestion, Location, Provider, PublishedRating, Region, ServiceType
from factual_accuracy.models import Report
from factual_accuracy.services import (
    report_create,
    report_quality_review_pass,
    report_send_for_factual_accuracy,
    report_submit_for_quality_review,
)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo on purpose
DATA = Path(__file__).resolve().parents[2] / "demo_data"

STAFF = [
    ("inspector@regulator.example", "Isla Inspector", [StaffRole.INSPECTOR]),
    ("assessor@regulator.example", "Asha Assessor", [StaffRole.ASSESSOR]),
    ("coordinator@regulator.example", "Cole Coordinator", [StaffRole.REGULATORY_COORDINATOR]),
    ("opsmanager@regulator.example", "Olu Operations", [StaffRole.OPERATIONS_MANAGER]),
    ("deputy@regulator.example", "Dana Deputy", [StaffRole.DEPUTY_DIRECTOR]),
    ("chief@regulator.example", "Chris Chief", [StaffRole.CHIEF_INSPECTOR]),
    ("admin@regulator.example", "Ada Admin", [StaffRole.ADMIN_STAFF]),
]

# Fictional providers that fill the gaps in the real Oldham sample: an NHS trust, and other regions.
EXTRA_PROVIDERS = [
    {
        "cqc_id": "DEMO-P-NHS1",
        "name": "Pennine Valley NHS Foundation Trust",
        "type": Provider.Type.NHS_TRUST,
        "sector_type": "NHS Healthcare Organisation",
        "region": Region.NORTH_WEST,
        "town": "Rochdale",
        "postcode": "OL12 0NB",
        "locations": [
            (
                "DEMO-L-NHS1",
                "Pennine Valley General Hospital",
                "Hospital",
                Region.NORTH_WEST,
                "Rochdale",
                "OL12 0NB",
                "good",
            ),
            (
                "DEMO-L-NHS2",
                "Moorside Community Mental Health Services",
                "Community services - Mental Health",
                Region.NORTH_WEST,
                "Oldham",
                "OL1 2JH",
                "requires_improvement",
            ),
        ],
    },
    {
        "cqc_id": "DEMO-P-LDN1",
        "name": "Thames Court Care Ltd",
        "type": Provider.Type.ORGANISATION,
        "sector_type": "Social Care Org",
        "region": Region.LONDON,
        "town": "London",
        "postcode": "SE1 7PB",
        "locations": [
            (
                "DEMO-L-LDN1",
                "Thames Court Nursing Home",
                "Nursing homes",
                Region.LONDON,
                "London",
                "SE1 7PB",
                "outstanding",
            ),
            ("DEMO-L-LDN2", "Thames Court Home Care", "Homecare agencies", Region.LONDON, "London", "SE11 4AA", "good"),
        ],
    },
    {
        "cqc_id": "DEMO-P-SW1",
        "name": "Dr Priya Nair",
        "type": Provider.Type.INDIVIDUAL,
        "sector_type": "Primary Medical Services",
        "region": Region.SOUTH_WEST,
        "town": "Exeter",
        "postcode": "EX1 1HS",
        "locations": [
            (
                "DEMO-L-SW1",
                "Cathedral Green Surgery",
                "Doctors/Gps",
                Region.SOUTH_WEST,
                "Exeter",
                "EX1 1HS",
                "inadequate",
            ),
        ],
    },
    {
        "cqc_id": "DEMO-P-YH1",
        "name": "Ridings Smile Partnership",
        "type": Provider.Type.PARTNERSHIP,
        "sector_type": "Primary Dental Care",
        "region": Region.YORKSHIRE_AND_THE_HUMBER,
        "town": "Leeds",
        "postcode": "LS1 4DY",
        "locations": [
            (
                "DEMO-L-YH1",
                "Ridings Dental Practice",
                "Dentist",
                Region.YORKSHIRE_AND_THE_HUMBER,
                "Leeds",
                "LS1 4DY",
                None,
            ),
        ],
    },
]


class Command(BaseCommand):
    help = "Load the demo register (real Oldham rows plus fictional providers) and demo users in every role."

    def handle(self, *args, **options):
        bodies = []
        for name in ("providers_sample.json", "locations_sample.json"):
            payload = json.loads((DATA / name).read_text())
            bodies.extend(r["body"] for r in payload["responses"])
        summary = register_import(bodies=bodies, by=None)
        for line in summary_lines(summary):
            self.stdout.write(f"Register import: {line}")
        with transaction.atomic():
            self._extra_register()
            people = self._people()
            self._cases()
            self._assessments()
            self._reports()
        self._print_logins(people)

    def _extra_register(self):
        for spec in EXTRA_PROVIDERS:
            provider, _ = Provider.objects.get_or_create(
                cqc_id=spec["cqc_id"],
                defaults={k: spec[k] for k in ("name", "type", "sector_type", "region", "town", "postcode")}
                | {"registration_date": datetime.date(2014, 4, 1), "address_line_1": "1 Demo Street"},
            )
            for cqc_id, name, service, region, town, postcode, rating in spec["locations"]:
                location, created = Location.objects.get_or_create(
                    cqc_id=cqc_id,
                    defaults={
                        "provider": provider,
                        "name": name,
                        "region": region,
                        "town": town,
                        "postcode": postcode,
                        "address_line_1": "1 Demo Street",
                        "local_authority": town,
                        "registration_date": datetime.date(2015, 6, 1),
                        "care_home": service == "Nursing homes",
                        "number_of_beds": 40 if service == "Nursing homes" else None,
                    },
                )
                if created:
                    location.service_types.set(ServiceType.objects.filter(name=service))
                    if rating:
                        PublishedRating.objects.bulk_create(
                            PublishedRating(
                                location=location,
                                key_question=kq,
                                rating=rating,
                                report_date=datetime.date(2024, 11, 14),
                                source=PublishedRating.Source.PREVIOUS_MODEL,
                            )
                            for kq in KeyQuestion
                        )

    def _people(self) -> list[tuple[str, str, str]]:
        people = []
        for email, name, roles in STAFF:
            if not User.objects.filter(email=email).exists():
                staff_user_create(
                    email=email,
                    full_name=name,
                    roles=roles,
                    password=DEMO_PASSWORD,
                    is_staff=StaffRole.ADMIN_STAFF in roles,
                    is_superuser=StaffRole.ADMIN_STAFF in roles,
                )
            people.append((email, name, ", ".join(str(r) for r in roles)))
        inspector = User.objects.get(email="inspector@regulator.example")
        # The inspector holds the relationship with a realistic caseload: the registered Oldham care homes.
        Location.objects.filter(registration_status="registered", relationship_holder__isnull=True).filter(
            service_types__name__in=["Residential homes", "Nursing homes", "Homecare agencies"]
        ).update(relationship_holder=inspector)
        Location.objects.filter(cqc_id__startswith="DEMO-L-").update(relationship_holder=inspector)

        oldham = (
            Provider.objects.filter(locations__registration_status="registered", type=Provider.Type.ORGANISATION)
            .exclude(cqc_id__startswith="DEMO-")
            .order_by("name")
            .first()
        )
        nhs = Provider.objects.get(cqc_id="DEMO-P-NHS1")
        thames = Provider.objects.get(cqc_id="DEMO-P-LDN1")
        provider_people = [
            ("manager@provider.example", "Maria Manager", oldham, ProviderRole.REGISTERED_MANAGER, True),
            ("ni@provider.example", "Nadia Nominated", oldham, ProviderRole.NOMINATED_INDIVIDUAL, False),
            ("colleague@provider.example", "Colin Colleague", oldham, ProviderRole.COLLEAGUE, False),
            ("ceo@nhs-trust.example", "Charlotte Chief-Executive", nhs, ProviderRole.CHIEF_EXECUTIVE, False),
            ("manager@nhs-trust.example", "Mo Manager", nhs, ProviderRole.REGISTERED_MANAGER, True),
            ("manager@thames-court.example", "Tom Thames", thames, ProviderRole.REGISTERED_MANAGER, True),
        ]
        for email, name, provider, role, manages in provider_people:
            if not User.objects.filter(email=email).exists():
                locations = list(provider.locations.filter(registration_status="registered")[:2]) if manages else []
                provider_user_create(
                    email=email,
                    full_name=name,
                    provider=provider,
                    role=role,
                    locations=locations,
                    password=DEMO_PASSWORD,
                )
            people.append((email, name, f"{ProviderRole(role).label}, {provider.name}"))
        # A registered manager on leave: the colleague acts for them this fortnight.
        manager = User.objects.get(email="manager@provider.example")
        colleague = User.objects.get(email="colleague@provider.example")
        today = timezone.localdate()
        if not Delegation.objects.filter(delegator=manager, delegate=colleague).exists():
            delegation_create(
                by=manager,
                delegator=manager,
                delegate=colleague,
                start_date=today,
                end_date=today + datetime.timedelta(days=14),
                reason="Annual leave",
                today=today,
            )
        return people

    def _cases(self):
        """Information requests in every state, so the clock has work: reminders, a close, a staff target."""
        inspector = User.objects.get(email="inspector@regulator.example")
        ops = User.objects.get(email="opsmanager@regulator.example")
        team, _ = Team.objects.get_or_create(name="Adult social care, North West 2", defaults={"region": "North West"})
        if team.operations_manager_id is None:
            team.operations_manager = ops
            team.save()
        if inspector.team_id is None:
            inspector.team = team
            inspector.save(update_fields=["team"])
        today = timezone.localdate()
        heathbank = User.objects.get(email="manager@provider.example").membership.locations.first()
        thames = Location.objects.get(cqc_id="DEMO-L-LDN1")
        thames_care = Location.objects.get(cqc_id="DEMO-L-LDN2")
        nhs = Location.objects.get(cqc_id="DEMO-L-NHS1")
        plans = [
            # (location, working days ago sent, answered?)
            (heathbank, 3, False),  # open, due in 12 working days
            (thames, 11, False),  # the 5-day reminder is due: the sweep sends it on start
            (thames_care, 20, False),  # past its deadline: the sweep closes it with "no response"
            (nhs, 6, True),  # answered: the inspector's 10-day review target is running
        ]
        for location, days_ago, answered in plans:
            if location is None or InformationRequest.objects.filter(location=location).exists():
                continue
            sent = working_days_before(today, days_ago)
            info = information_request_send(
                by=inspector,
                location=location,
                questions="Please send your current staffing rota, your last three months' incident log and "
                "your safeguarding policy.",
                today=sent,
                now=timezone.make_aware(datetime.datetime.combine(sent, datetime.time(10))),
            )
            if answered:
                answerer = User.objects.filter(membership__provider=location.provider).first()
                information_request_submit(
                    by=answerer,
                    request=info,
                    response="Attached: rota for March, incident log, safeguarding policy (v4).",
                    today=today,
                )

    def _assessments(self):
        """Assessments in every state, and scores of different ages carried forward."""
        if Assessment.objects.exists():
            return
        inspector = User.objects.get(email="inspector@regulator.example")
        statements = list(QualityStatement.objects.filter(retired_at__isnull=True).order_by("order"))
        thames = Location.objects.get(cqc_id="DEMO-L-LDN1")
        # A full assessment in 2024, then a responsive one this year on three safe statements.
        full = assessment_create(by=inspector, location=thames, kind="planned", announced=True, statements=statements)
        assessment_start(by=inspector, assessment=full, now=timezone.make_aware(datetime.datetime(2024, 10, 1, 9)))
        pattern = {
            "safe": [3, 4, 3, 3],
            "effective": [4, 3],
            "caring": [4],
            "responsive": [3, 4],
            "well_led": [4, 3, 3],
        }
        for index, statement in enumerate(statements):
            scores = pattern[statement.key_question]
            statement_score_set(
                by=inspector,
                assessment=full,
                statement=statement,
                score=scores[index % len(scores)],
                summary="Findings recorded during the site visit.",
                judgement="",
                expected_version=0,
            )
        assessment_complete(by=inspector, assessment=full, now=timezone.make_aware(datetime.datetime(2024, 10, 20, 16)))
        safe = [s for s in statements if s.key_question == "safe"][:3]
        responsive = assessment_create(
            by=inspector, location=thames, kind="responsive", announced=False, statements=safe
        )
        assessment_start(by=inspector, assessment=responsive)
        for statement, score in zip(safe, [2, 3, 2], strict=True):
            statement_score_set(
                by=inspector,
                assessment=responsive,
                statement=statement,
                score=score,
                summary="Concerns raised by a relative were followed up on site.",
                judgement="",
                expected_version=0,
            )
        assessment_complete(by=inspector, assessment=responsive)
        # One in progress (partly scored) and one planned, for the inspector's caseload.
        heathbank = User.objects.get(email="manager@provider.example").membership.locations.first()
        in_progress = assessment_create(by=inspector, location=heathbank, kind="planned", announced=True)
        assessment_start(by=inspector, assessment=in_progress)
        for statement in in_progress.statements.order_by("order")[:4]:
            statement_score_set(
                by=inspector,
                assessment=in_progress,
                statement=statement,
                score=3,
                summary="",
                judgement="",
                expected_version=0,
            )
        # A dental practice is not rated: its statements are judged "regulations met" or not.
        dental = Location.objects.get(cqc_id="DEMO-L-YH1")
        safe_two = [s for s in statements if s.key_question == "safe"][:2]
        dental_assessment = assessment_create(
            by=inspector, location=dental, kind="planned", announced=True, statements=safe_two
        )
        assessment_start(by=inspector, assessment=dental_assessment)
        categories = list(EvidenceCategory.objects.order_by("order"))
        regulations_judge(
            by=inspector,
            assessment=dental_assessment,
            statement=safe_two[0],
            judgements={categories[0]: True, categories[4]: False},
        )
        regulations_judge(
            by=inspector, assessment=dental_assessment, statement=safe_two[1], judgements={categories[0]: True}
        )
        assessment_complete(by=inspector, assessment=dental_assessment)
        # A GP practice whose rating is suspended, and a home care service inspected but not rated.
        for cqc_id, how in [("DEMO-L-SW1", "suspend"), ("DEMO-L-LDN2", "not_rated")]:
            location = Location.objects.get(cqc_id=cqc_id)
            assessment = assessment_create(
                by=inspector, location=location, kind="responsive", announced=False, statements=safe_two
            )
            assessment_start(by=inspector, assessment=assessment)
            for statement in safe_two:
                statement_score_set(
                    by=inspector,
                    assessment=assessment,
                    statement=statement,
                    score=2,
                    summary="",
                    judgement="",
                    expected_version=0,
                )
            if how == "not_rated":
                assessment_complete(
                    by=inspector, assessment=assessment, not_rated_reason="Too few people used the service to rate it"
                )
            else:
                assessment_complete(by=inspector, assessment=assessment)
                location_rating_suspend(
                    by=inspector,
                    location=location,
                    reason="Serious concerns are being looked into",
                    today=timezone.localdate(),
                )
        # A cancelled assessment.
        cancelled = assessment_create(by=inspector, location=thames, kind="responsive", announced=False)
        assessment_cancel(by=inspector, assessment=cancelled, reason="The concern was resolved before the visit")
        nhs = Location.objects.get(cqc_id="DEMO-L-NHS1")
        assessment_create(
            by=inspector,
            location=nhs,
            kind="planned",
            announced=True,
            onsite_start_date=timezone.localdate() + datetime.timedelta(days=14),
            onsite_end_date=timezone.localdate() + datetime.timedelta(days=15),
        )

    def _reports(self):
        """A report out for its factual accuracy check (Tom Thames can answer it) and one being drafted."""
        if Report.objects.exists():
            return
        inspector = User.objects.get(email="inspector@regulator.example")
        reviewer = User.objects.get(email="opsmanager@regulator.example")
        thames = Assessment.objects.filter(location__cqc_id="DEMO-L-LDN1", state="completed").order_by("-completed_at")
        out = report_create(by=inspector, assessment=thames.first())
        report_submit_for_quality_review(by=inspector, report=out)
        report_quality_review_pass(by=reviewer, report=out)
        report_send_for_factual_accuracy(by=inspector, report=out, today=timezone.localdate())
        drafting = Assessment.objects.filter(location__cqc_id="DEMO-L-LDN2", state="completed").first()
        if drafting is not None:
            report_create(by=inspector, assessment=drafting)

    def _print_logins(self, people):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo sign-ins (password for all: " + DEMO_PASSWORD + ")"))
        width = max(len(email) for email, _, _ in people)
        for email, name, role in people:
            self.stdout.write(f"  {email.ljust(width)}  {name} – {role}")
        self.stdout.write("  Admin staff also sign in to the back office at /back-office/")
