"""Load a realistic demo register, people in every role and a report in every state, and print the demo sign-ins.

Safe to run again: everything is created only if it is missing.
"""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
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
from cqcportal.deadlines.selectors import extra_holidays
from cqcportal.deadlines.sweep import deadlines_sweep
from cqcportal.register.importer import register_import, summary_lines
from cqcportal.register.models import KeyQuestion, Location, Provider, PublishedRating, Region, ServiceType
from cqcportal.workdays import add_working_days
from factual_accuracy.models import Comment, CorrectionKind, Report, ReportSection, ReportState
from factual_accuracy.selectors import report_window
from factual_accuracy.services import (
    comment_respond,
    comment_save,
    extension_decide,
    extension_request,
    factual_accuracy_confirm_no_inaccuracies,
    factual_accuracy_submit,
    query_answer,
    query_ask,
    report_create,
    report_independent_check_pass,
    report_mark_ready_to_publish,
    report_publish,
    report_quality_review_pass,
    report_send_for_factual_accuracy,
    report_send_for_independent_check,
    report_start_responding,
    report_statement_rescore,
    report_submit_for_quality_review,
    report_withdraw,
    section_edit,
    supporting_file_add,
)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo on purpose
# The demo staff's shared authenticator key (RFC 4226's published test key): printed and shown on purpose.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_KEY_BASE32 = "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
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


@dataclass(frozen=True)
class DemoComment:
    """A provider's comment on a demo report and, when ``outcome`` is set, the team's response to it."""

    section: str  # "overall", "peoples_experience", or a quality statement's name
    kind: CorrectionKind
    text: str
    by: str  # the e-mail of the provider's colleague who wrote it
    evidence: str = ""  # the name of a PDF to attach
    outcome: str = ""  # a ResponseOutcome; empty leaves the comment waiting for a response
    response: str = ""
    rescore: int | None = None  # the statement's amended score
    reason: str = ""  # why the score changed: "How this rating was reached" shows it
    amended: str = ""  # the section's new text


@dataclass(frozen=True)
class DemoReport:
    """One demo report, driven through the services to ``state``.

    ``route`` is how its factual accuracy check closed: "comments", "no_inaccuracies" or "no_response".
    ``visited`` is how many working days ago the on-site visit ended.
    """

    state: ReportState
    cqc_id: str
    overall: str
    visited: int = 10
    route: str = "comments"
    scores: tuple[int, ...] = (3,)
    peoples_experience: str = ""
    registered_person: str = ""  # sends the comments or confirms there are no inaccuracies
    comments: tuple[DemoComment, ...] = ()
    reuse: bool = False  # report on the location's completed assessment from _assessments


MARIA, COLIN = "manager@provider.example", "colleague@provider.example"
CHARLOTTE, MO = "ceo@nhs-trust.example", "manager@nhs-trust.example"
TOM, WENDY = "manager@thames-court.example", "ni@werneth-lodge.example"

# Findings for each key question: (what we found when it scored 3 or 4, what we found when it scored 1 or 2).
FINDINGS = {
    "safe": (
        "Staff knew how to recognise and report abuse. Risks to people were assessed, shared with the team and "
        "reviewed when people's needs changed.",
        "Risk assessments were not always reviewed after a fall, and records of medicines given had gaps that "
        "staff could not explain.",
    ),
    "effective": (
        "People's needs were assessed before they started using the service. Staff worked well with GPs, district "
        "nurses and social workers.",
        "Care plans did not always show how people, or those who know them well, had been involved in decisions.",
    ),
    "caring": (
        "People told us staff were kind and patient and treated them with dignity. Staff knew people's histories "
        "and what mattered to them.",
        "Some people told us care felt rushed at busy times of the day.",
    ),
    "responsive": (
        "Care was planned around what mattered to each person. Complaints were answered promptly and used to "
        "improve the service.",
        "Information was not always available in formats people could understand.",
    ),
    "well_led": (
        "Leaders were visible and approachable. Audits found problems and led to improvements that lasted.",
        "Audits had not picked up the problems we found with records, so leaders were not aware of them.",
    ),
}

REPORTS = [
    DemoReport(
        state=ReportState.DRAFTING,
        cqc_id="DEMO-L-LDN2",
        reuse=True,
        overall="DRAFT. We assessed Thames Court Home Care in response to a concern, but did not rate it: too few "
        "people were using the service. To add after the feedback call: what people's families told us.",
    ),
    DemoReport(
        state=ReportState.IN_QUALITY_REVIEW,
        cqc_id="1-112890157",
        visited=8,
        scores=(3, 2, 3, 2, 3, 3, 3, 3, 3, 3, 3, 2),
        overall="Park House Residential Care Home provides care for up to 32 older people, some of whom live with "
        "dementia. People felt safe and staff knew them well, but risks after falls were not always reviewed "
        "promptly and some medicines records were incomplete. The registered manager had started to put this "
        "right.",
        peoples_experience="People and their relatives said the home was friendly and that staff had time to "
        "chat. One relative said: 'Mum's room always feels like home.'",
    ),
    DemoReport(
        state=ReportState.QUALITY_REVIEW_PASSED,
        cqc_id="1-120031878",
        visited=12,
        scores=(3, 3, 4, 3, 3, 3, 4, 4, 3, 3, 3, 3),
        overall="Alexandra is a nursing home for up to 40 people. People received safe care from staff who were "
        "well trained and well supported. Leaders knew the home well and acted on what people told them.",
        peoples_experience="People told us they felt listened to. Several mentioned the activities team and the "
        "garden, which people could use whenever they liked.",
    ),
    DemoReport(
        state=ReportState.OUT_FOR_FACTUAL_ACCURACY,
        cqc_id="DEMO-L-LDN1",
        reuse=True,
        registered_person=TOM,
        overall="We carried out this unannounced assessment of Thames Court Nursing Home after a relative raised "
        "concerns about how people were kept safe at night. We looked at three quality statements in the safe key "
        "question and found that staffing at night and the review of risks needed to improve.",
        peoples_experience="Most people told us they felt safe. Two relatives said it could take a long time for "
        "call bells to be answered at night.",
    ),
    DemoReport(
        state=ReportState.FA_CLOSED_COMMENTS,
        cqc_id="DEMO-L-NHS2",
        visited=25,
        registered_person=MO,
        scores=(2, 3, 2, 3, 3, 2, 3, 3, 3, 2, 3, 3),
        overall="Moorside Community Mental Health Services support adults across Oldham and Rochdale. Staff were "
        "caring and people valued their support, but 4 of the 11 community nurse posts were vacant and waiting "
        "lists for therapy were long.",
        peoples_experience="People said their care co-ordinators were kind and knew them well, but that it was "
        "hard to get through to the team by phone.",
        comments=(
            DemoComment(
                section="Safe and effective staffing",
                kind=CorrectionKind.INACCURATE,
                by=MO,
                evidence="Moorside community nursing rota September 2026.pdf",
                text="The report says 4 of the 11 community nurse posts were vacant. On the day of the visit 2 of "
                "those posts had been filled: both nurses started on 1 September. The attached rota shows them on "
                "shift that week.",
            ),
            DemoComment(
                section="overall",
                kind=CorrectionKind.OMITTED,
                by=CHARLOTTE,
                text="The summary says the service covers Oldham and Rochdale. It also covers Heywood and Middleton.",
            ),
        ),
    ),
    DemoReport(
        state=ReportState.FA_CLOSED_NO_INACCURACIES,
        cqc_id="1-139948467",
        visited=20,
        route="no_inaccuracies",
        registered_person=WENDY,
        scores=(3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3),
        overall="Ashbourne House Care Home provides personal care for up to 28 older people. People were safe and "
        "well cared for. Care plans had improved since our last inspection, although some still did not show how "
        "people had been involved.",
        peoples_experience="People said staff were 'like family' and that the food was good.",
    ),
    DemoReport(
        state=ReportState.FA_CLOSED_NO_RESPONSE,
        cqc_id="1-118563363",
        visited=30,
        route="no_response",
        scores=(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3),
        overall="Royley House Care Home provides care for up to 35 older people. People received safe, effective "
        "care from a stable staff team, and the home was well led.",
        peoples_experience="People and relatives were positive about the home and its staff.",
    ),
    DemoReport(
        state=ReportState.RESPONDING,
        cqc_id="1-139890458",
        visited=30,
        registered_person=WENDY,
        scores=(3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3),
        overall="Werneth Lodge Care Home provides care for up to 45 people, some of whom live with dementia. "
        "People were safe and staff were caring. Records of decisions made in people's best interests were not "
        "always joined up.",
        peoples_experience="People told us they liked living at Werneth Lodge and that staff respected their routines.",
        comments=(
            DemoComment(
                section="Consent to care and treatment",
                kind=CorrectionKind.INACCURATE,
                by=WENDY,
                evidence="Capacity assessments for bed rails.pdf",
                text="The report says mental capacity assessments were missing for 2 people who have bed rails. Both "
                "assessments were done in May and are kept in the paper file in the office. Copies are attached.",
                outcome="partly_accepted",
                response="We have seen the two assessments and changed the wording. They were not in the care "
                "records staff use day to day, so our finding that records were not joined up still stands.",
                amended="Mental capacity assessments had been done for people with bed rails, but they were kept "
                "in a paper file in the office and not in the care records staff use day to day.",
            ),
            DemoComment(
                section="overall",
                kind=CorrectionKind.TYPOGRAPHICAL,
                by=WENDY,
                text="The summary says the home provides care for up to 45 people. It is registered for 54.",
            ),
        ),
    ),
    DemoReport(
        state=ReportState.INDEPENDENT_CHECK,
        cqc_id="DEMO-L-NHS1",
        visited=35,
        registered_person=CHARLOTTE,
        scores=(3, 3, 3, 2, 3, 3, 4, 3, 3, 2, 3, 3),
        overall="Pennine Valley General Hospital is the trust's main acute hospital. Staff were caring and worked "
        "well together, but controlled drugs checks on ward 7 were not always done and people who did not speak "
        "English waited longer for appointments.",
        peoples_experience="Patients praised the nurses on the wards. Some said discharge was slow and they were "
        "not told why.",
        comments=(
            DemoComment(
                section="Medicines optimisation",
                kind=CorrectionKind.INACCURATE,
                by=CHARLOTTE,
                evidence="Ward 7 controlled drugs audit trail.pdf",
                text="The report says controlled drugs checks were not done on ward 7 for 3 nights. The checks were "
                "done and recorded in the electronic system, not the paper register. The attached audit trail shows "
                "each check.",
                outcome="accepted",
                response="We have checked the audit trail and agree that the checks were done. We have changed the "
                "report.",
                amended="Controlled drugs were stored and checked safely. Checks on ward 7 were recorded in the "
                "electronic system rather than the paper register; staff knew where to find them.",
            ),
            DemoComment(
                section="Equity in access",
                kind=CorrectionKind.OMITTED,
                by=MO,
                text="The report does not mention the interpreting service we started in July, which answers the "
                "point about waiting times for people who do not speak English.",
                outcome="not_accepted",
                response="We saw the new interpreting service, but it started too recently for us to see its effect "
                "on waiting times. We have not changed the finding.",
            ),
        ),
    ),
    DemoReport(
        state=ReportState.READY_TO_PUBLISH,
        cqc_id="1-145973567",
        visited=35,
        route="no_response",
        scores=(3, 3, 3, 3, 4, 3, 4, 3, 3, 3, 4, 3),
        overall="Firs Hall Care Home provides care for up to 30 older people. People were safe, and the home was "
        "well led by a manager who knew every resident by name.",
        peoples_experience="People described the home as calm and welcoming.",
    ),
    DemoReport(
        state=ReportState.PUBLISHED,
        cqc_id="1-120745060",
        visited=45,
        registered_person=MARIA,
        scores=(3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3),
        overall="Heathbank Support Services provides personal care to 64 people living in their own homes in "
        "Oldham. People were supported by regular care workers who knew them well. Medicines records needed to "
        "improve.",
        peoples_experience="People told us their care workers arrived on time and stayed as long as they should. "
        "One person said: 'They never rush me.'",
        comments=(
            DemoComment(
                section="Medicines optimisation",
                kind=CorrectionKind.INACCURATE,
                by=MARIA,
                evidence="Heathbank medicines audit June 2026.pdf",
                text="The report says records of medicines given had gaps for 3 people in June. Our June audit "
                "(attached) shows the gaps were days those people were in hospital, and the records were marked "
                "with the hospital code.",
                outcome="accepted",
                response="Thank you. The audit shows the gaps were hospital stays, correctly coded. We have removed "
                "this finding and raised the score for medicines optimisation from 2 to 3.",
                rescore=3,
                reason="The provider's June medicines audit showed that the gaps in records were hospital stays, "
                "correctly coded.",
                amended="Medicines were managed safely. Records of medicines given were complete, including days "
                "when people were in hospital. Care workers' competency to give medicines was checked every year.",
            ),
            DemoComment(
                section="overall",
                kind=CorrectionKind.TYPOGRAPHICAL,
                by=MARIA,
                text="The summary says we provide care to 64 people. At the time of the visit it was 46.",
                outcome="accepted",
                response="Thank you: we have corrected the number.",
                amended="Heathbank Support Services provides personal care to 46 people living in their own homes "
                "in Oldham. People were supported by regular care workers who knew them well, and medicines were "
                "managed safely.",
            ),
            DemoComment(
                section="Safe and effective staffing",
                kind=CorrectionKind.OMITTED,
                by=COLIN,
                text="The report does not say that we recruited 4 new care workers in July.",
                outcome="not_accepted",
                response="We report what we found at the time of the assessment. Staff who joined after the visit "
                "will be part of our next assessment.",
            ),
        ),
    ),
    DemoReport(
        state=ReportState.WITHDRAWN,
        cqc_id="1-1332898798",
        visited=20,
        scores=(2, 2, 3, 2, 3, 3, 3, 3, 3, 3, 2, 2),
        overall="Coppice Nursing Home provides nursing care for up to 40 people. We found that risks to people "
        "were not always managed safely.",
        peoples_experience="People gave mixed views about the home.",
    ),
]
WITHDRAWN_REASON = (
    "New safeguarding concerns were raised after the visit. We will assess the home again and write a new report."
)


def _pdf(text: str) -> bytes:
    """A real one-page PDF showing ``text``, small enough to build here: the evidence a provider uploads."""
    line = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 72 770 Td (" + line + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)


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
            self._demo_second_factor()
            self._cases()
            self._assessments()
            reports = self._reports()
            review = self._rating_review()
            enforcement = self._enforcement()
        if review is not None:
            self.stdout.write(f"Demo rating review: {review.location.name}, {review.get_state_display().lower()}.")
        if enforcement is not None:
            self.stdout.write(f"Demo enforcement: {enforcement}, {enforcement.get_state_display().lower()}.")
        if reports:
            states = "; ".join(report.get_state_display().lower() for report in reports)
            self.stdout.write(f"Demo reports: {len(reports)} created, in these states: {states}.")
        else:
            self.stdout.write(f"Demo reports: {Report.objects.count()} already there, none created.")
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
        werneth = Provider.objects.get(cqc_id="1-101662253")  # Werneth Lodge Limited: two care homes in Oldham
        provider_people = [
            ("manager@provider.example", "Maria Manager", oldham, ProviderRole.REGISTERED_MANAGER, True),
            ("ni@provider.example", "Nadia Nominated", oldham, ProviderRole.NOMINATED_INDIVIDUAL, False),
            ("colleague@provider.example", "Colin Colleague", oldham, ProviderRole.COLLEAGUE, False),
            ("ceo@nhs-trust.example", "Charlotte Chief-Executive", nhs, ProviderRole.CHIEF_EXECUTIVE, False),
            ("manager@nhs-trust.example", "Mo Manager", nhs, ProviderRole.REGISTERED_MANAGER, True),
            ("manager@thames-court.example", "Tom Thames", thames, ProviderRole.REGISTERED_MANAGER, True),
            (WENDY, "Wendy Werneth", werneth, ProviderRole.NOMINATED_INDIVIDUAL, False),
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
            (thames, 11, False),  # the 5-day reminder is due: the sweep (run by _reports, then every minute) sends it
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

    def _reports(self) -> list[Report]:
        """A report in every state of its journey, each on its own completed assessment, moved only by the services.

        Safe to run again: a location that already has a report is left alone.
        """
        inspector = User.objects.get(email="inspector@regulator.example")
        ops = User.objects.get(email="opsmanager@regulator.example")
        today = timezone.localdate()
        created: list[tuple[DemoReport, Report]] = []
        for plan in REPORTS:
            location = Location.objects.filter(cqc_id=plan.cqc_id).first()
            if location is None or Report.objects.filter(location=location).exists():
                continue
            created.append((plan, self._report(plan, location, inspector=inspector, ops=ops, today=today)))
        if any(plan.route == "no_response" for plan, _ in created):
            # Those checks were sent three weeks ago and their 10 working days have run out: the sweep closes them.
            swept = deadlines_sweep(now=timezone.now())
            if swept.failed:
                raise CommandError(f"The deadline sweep could not process deadlines {swept.failed}; see the log.")
            for plan, report in created:
                if plan.route == "no_response" and plan.state == ReportState.READY_TO_PUBLISH:
                    report_mark_ready_to_publish(by=inspector, report=report)
        reports = Report.objects.in_bulk([report.pk for _, report in created])
        wrong = [
            f"{plan.cqc_id} is {reports[report.pk].state}, not {plan.state}"
            for plan, report in created
            if reports[report.pk].state != plan.state
        ]
        if wrong:
            raise CommandError("Demo reports did not reach their states: " + "; ".join(wrong))
        return [reports[report.pk] for _, report in created]

    def _rating_review(self):
        """A rating review under way on the published demo report (Maria Manager asked for it; Olu Operations
        reviews it, having not been on the team), and a complaint about us at another location. Once only."""
        from assessments import review_services
        from assessments.models import RatingReview
        from cqcportal.complaints.models import Complaint
        from cqcportal.complaints.services import complaint_record

        if RatingReview.objects.exists():
            return None
        report = Report.objects.filter(state=ReportState.PUBLISHED).order_by("-published_at").first()
        if report is None or review_services.latest_rated_report(report.location_id) != report:
            return None
        manager = User.objects.filter(
            membership__provider=report.provider, membership__role="registered_manager"
        ).first()
        coordinator = User.objects.get(email="coordinator@regulator.example")
        ops = User.objects.get(email="opsmanager@regulator.example")
        if manager is None:
            return None
        today = timezone.localdate()
        review = review_services.rating_review_draft_save(
            by=manager,
            report=report,
            challenges={
                "safe": "The report says no medicines audit was seen, but our audit was in the evidence we sent on "
                "day one and your process says evidence sent before the visit is considered."
            },
        )
        review = review_services.rating_review_submit(by=manager, review=review, today=today)
        review_services.rating_review_start_grounds_check(by=coordinator, review=review)
        review_services.rating_review_accept(by=coordinator, review=review)
        review_services.rating_review_assign_reviewer(by=coordinator, review=review, reviewer=ops)
        if not Complaint.objects.exists():
            other = Location.objects.exclude(pk=report.location_id).order_by("pk").first()
            complaint_record(
                by=coordinator,
                location=other,
                complainant="A relative of a resident",
                about="The inspector did not speak to families during the visit.",
                received_date=today,
                today=today,
            )
        return RatingReview.objects.select_related("location").get(pk=review.pk)

    def _enforcement(self):
        """A warning notice served on the published demo location, with a draft representation waiting to be sent,
        and a fit and proper person concern passed to the same provider. Once only."""
        from enforcement import fit_and_proper
        from enforcement import services as enforcement_services
        from enforcement.models import EnforcementAction

        if EnforcementAction.objects.exists():
            return None
        report = Report.objects.filter(state=ReportState.PUBLISHED).order_by("-published_at").first()
        if report is None:
            return None
        location = report.location
        inspector = User.objects.get(email="inspector@regulator.example")
        today = timezone.localdate()
        action = enforcement_services.action_record(
            by=inspector,
            kind="warning_notice",
            provider=location.provider,
            location=location,
            assessment=report.assessment,
            summary="Medicines are not managed safely: you must make sure every dose is recorded, and tell us "
            "how you have done so by the end of next month.",
            reason="Medicines administration records had gaps at both assessments this year.",
            breaches=[("12", "safe")],
        )
        action = enforcement_services.action_serve(by=inspector, action=action, today=today)
        activity = location.regulated_activities.order_by("pk").first()
        colleague = User.objects.filter(membership__provider=location.provider, membership__role="colleague").first()
        if activity is not None and colleague is not None:
            enforcement_services.representation_save(
                by=colleague,
                action=action,
                regulated_activity=activity,
                text="Since the assessment we have moved to electronic medicines records; the audit is attached.",
            )
        fit_and_proper.concern_pass_to_provider(
            by=inspector,
            concern=fit_and_proper.concern_record(
                by=inspector,
                provider=location.provider,
                director_name="A director of the provider",
                concern="We were told a company this director ran was closed after a safeguarding investigation.",
                received_on=today,
                referrer_name="A former employee",
            ),
            today=today,
        )
        return EnforcementAction.objects.get(pk=action.pk)

    def _report(self, plan: DemoReport, location: Location, *, inspector, ops, today: datetime.date) -> Report:
        assessment = self._completed_assessment(plan, location, inspector=inspector, today=today)
        report = report_create(by=inspector, assessment=assessment)
        for kind, body in [
            (ReportSection.Kind.OVERALL, plan.overall),
            (ReportSection.Kind.PEOPLES_EXPERIENCE, plan.peoples_experience),
        ]:
            if body:
                section_edit(by=inspector, section=report.sections.get(kind=kind), body=body)
        stop = plan.state
        if stop == ReportState.DRAFTING:
            return report
        report = report_submit_for_quality_review(by=inspector, report=report)
        if stop == ReportState.IN_QUALITY_REVIEW:
            return report
        report = report_quality_review_pass(by=ops, report=report)
        if stop == ReportState.QUALITY_REVIEW_PASSED:
            return report
        # Sent three weeks ago when it is to close with no response, so that its 10 working days have run out.
        sent = working_days_before(today, 15) if plan.route == "no_response" else today
        report = report_send_for_factual_accuracy(by=inspector, report=report, today=sent)
        if stop == ReportState.OUT_FOR_FACTUAL_ACCURACY:
            self._check_under_way(report, plan, inspector=inspector, today=today)
            return report
        if stop == ReportState.WITHDRAWN:
            return report_withdraw(by=ops, report=report, reason=WITHDRAWN_REASON)
        if plan.route == "no_response":
            return report  # _reports runs the sweep once every report is sent
        person = User.objects.get(email=plan.registered_person)
        if plan.route == "no_inaccuracies":
            return factual_accuracy_confirm_no_inaccuracies(by=person, report=report, today=today)
        comments = [(spec, self._comment(report, spec)) for spec in plan.comments]
        factual_accuracy_submit(by=person, report=report, today=today)
        if stop == ReportState.FA_CLOSED_COMMENTS:
            return report
        report = report_start_responding(by=inspector, report=report)
        for spec, comment in comments:
            if spec.outcome:
                if spec.rescore is not None:
                    report_statement_rescore(
                        by=inspector, section=comment.section, score=spec.rescore, reason=spec.reason
                    )
                if spec.amended:
                    section_edit(by=inspector, section=comment.section, body=spec.amended)
                comment_respond(by=inspector, comment=comment, outcome=spec.outcome, response=spec.response)
        if stop == ReportState.RESPONDING:
            return report
        report = report_send_for_independent_check(by=inspector, report=report)
        if stop == ReportState.INDEPENDENT_CHECK:
            return report
        report = report_independent_check_pass(by=ops, report=report)  # Olu was not on the assessment team
        if stop == ReportState.READY_TO_PUBLISH:
            return report
        return report_publish(by=inspector, report=report)

    def _completed_assessment(
        self, plan: DemoReport, location: Location, *, inspector, today: datetime.date
    ) -> Assessment:
        """The assessment the report is about: the location's own from _assessments, or a new one on its priority
        statements, visited ``plan.visited`` working days ago and completed a week later."""
        if plan.reuse:
            existing = Assessment.objects.filter(location=location, state="completed").order_by("-completed_at").first()
            if existing is not None:
                return existing
        visit_end = working_days_before(today, plan.visited)
        visit_start = working_days_before(visit_end, 1)
        completed = working_days_before(today, max(plan.visited - 5, 0))

        def at(day: datetime.date, hour: int) -> datetime.datetime:
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

        assessment = assessment_create(
            by=inspector,
            location=location,
            kind="planned",
            announced=True,
            onsite_start_date=visit_start,
            onsite_end_date=visit_end,
        )
        assessment_start(by=inspector, assessment=assessment, now=at(visit_start, 9))
        for index, statement in enumerate(assessment.statements.order_by("order")):
            score = plan.scores[index % len(plan.scores)]
            statement_score_set(
                by=inspector,
                assessment=assessment,
                statement=statement,
                score=score,
                summary=FINDINGS[statement.key_question][score < 3],
                judgement="",
                expected_version=0,
                now=at(visit_end, 15),
            )
        return assessment_complete(by=inspector, assessment=assessment, now=at(completed, 16))

    @staticmethod
    def _section(report: Report, name: str) -> ReportSection:
        """The report's section of a kind ("overall"), or of the quality statement with that name."""
        if name in ReportSection.Kind.values:
            return report.sections.get(kind=name)
        return report.sections.get(statement__name=name)

    def _comment(self, report: Report, spec: DemoComment) -> Comment:
        author = User.objects.get(email=spec.by)
        comment = comment_save(
            by=author, report=report, section=self._section(report, spec.section), kind=spec.kind, text=spec.text
        )
        if spec.evidence:
            title = f"{report.location.name}: {spec.evidence.removesuffix('.pdf')}"
            upload = SimpleUploadedFile(spec.evidence, _pdf(title), content_type="application/pdf")
            supporting_file_add(by=author, comment=comment, upload=upload)
        return comment

    def _check_under_way(self, report: Report, plan: DemoReport, *, inspector, today: datetime.date) -> None:
        """A check the provider is working on: more time granted, one question answered and one waiting, and a
        draft comment with its evidence, not yet sent."""
        person = User.objects.get(email=plan.registered_person)
        asked = extension_request(
            by=person,
            report=report,
            reason="Our deputy manager, who ran the night shifts the report describes, is on leave until next week "
            "and we need her to check the staffing figures.",
            today=today,
        )
        window = report_window(report)
        extension_decide(
            by=inspector,
            request=asked,
            grant=True,
            reason="The leave was booked before we sent the draft, and the night staffing figures are central to "
            "the report.",
            today=today,
            new_due_date=add_working_days(window.due_date, 5, extra_holidays=extra_holidays()),
        )
        query = query_ask(
            by=person,
            report=report,
            section=self._section(report, "Safeguarding"),
            question="Which nights do the call bell response times in this section come from?",
        )
        query_answer(
            by=inspector,
            query=query,
            answer="From the call bell log for the 7 nights before our visit, which your deputy manager printed "
            "for us on the day.",
        )
        query_ask(
            by=person,
            report=report,
            question="Can we see the notes of the feedback call before we send our comments?",
        )
        self._comment(
            report,
            DemoComment(
                section="overall",
                kind=CorrectionKind.INACCURATE,
                by=plan.registered_person,
                evidence="Night rota for the week of the visit.pdf",
                text="The summary says 2 staff were on duty at night. There were 3: a nurse and 2 care workers. The "
                "attached rota shows the night shifts for the week of the visit.",
            ),
        )

    def _demo_second_factor(self):
        """Demo staff share one published authenticator key, so the demo needs no phone: /dev/codes/ shows
        the code it gives now (development only). Real accounts each get their own random key."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from cqcportal.accounts.models import User

        for user in User.objects.filter(kind=User.Kind.STAFF, email__endswith="@regulator.example"):
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                TOTPDevice.objects.create(user=user, name="Demo authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True)

    def _print_logins(self, people):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo sign-ins (password for all: " + DEMO_PASSWORD + ")"))
        width = max(len(email) for email, _, _ in people)
        for email, name, role in people:
            self.stdout.write(f"  {email.ljust(width)}  {name} – {role}")
        self.stdout.write("  Admin staff also sign in to the back office at /back-office/")
        self.stdout.write(
            "  Staff then type a code from an authenticator app: the demo's codes are shown at /dev/codes/"
            f" (or add the key {DEMO_TOTP_KEY_BASE32} to an app)"
        )
