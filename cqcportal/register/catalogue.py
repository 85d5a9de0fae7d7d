"""The catalogue of service types and regulated activities that the register starts with.

Rating levels as in the assessment guidance: adult social care and GP services are rated at
levels 1 and 2; NHS acute, mental health, community and ambulance services at levels 1-5; primary
dental care, children's homes and prison health care are not rated. Admin staff change these in
Django admin; the import adds service types it has not seen as rated at levels 1 and 2, to review.
"""

ASC, GP, DENTAL, HOSP, MH, COMM, AMB, IND, CHILD, JUSTICE = (
    "adult_social_care",
    "primary_medical",
    "primary_dental",
    "hospitals",
    "mental_health",
    "community_health",
    "ambulance",
    "independent_health",
    "children",
    "health_and_justice",
)
L12 = [1, 2]
L15 = [1, 2, 3, 4, 5]

# (name as the register spells it, description, sector, is_rated, levels)
SERVICE_TYPES = [
    ("Homecare agencies", "Domiciliary care service", ASC, True, L12),
    ("Residential homes", "Care home service without nursing", ASC, True, L12),
    ("Nursing homes", "Care home service with nursing", ASC, True, L12),
    ("Supported living", "Supported living service", ASC, True, L12),
    ("Shared lives", "Shared Lives", ASC, True, L12),
    ("Supported housing", "Extra Care housing services", ASC, True, L12),
    ("Doctors/Gps", "Doctors consultation service", GP, True, L12),
    ("Urgent care services & mobile doctors", "Urgent care services", GP, True, L12),
    ("Dentist", "Dental service", DENTAL, False, []),
    ("Hospital", "Acute services with overnight beds", HOSP, True, L15),
    (
        "Clinic",
        "Acute services without overnight beds / listed acute services with or without overnight beds",
        IND,
        True,
        L12,
    ),
    (
        "Hospitals - Mental health/capacity",
        "Hospital services for people with mental health needs, learning disabilities and problems with substance misuse",
        MH,
        True,
        L15,
    ),
    ("Community services - Healthcare", "Community healthcare service", COMM, True, L15),
    (
        "Community services - Mental Health",
        "Community based services for people with mental health needs",
        MH,
        True,
        L15,
    ),
    (
        "Community services - Learning disabilities",
        "Community based services for people with a learning disability",
        COMM,
        True,
        L12,
    ),
    (
        "Community services - Substance abuse",
        "Community based services for people who misuse substances",
        COMM,
        True,
        L12,
    ),
    ("Ambulances", "Ambulance service", AMB, True, L15),
    ("Hospice", "Hospice services", IND, True, L12),
    ("Home hospice care", "Hospice services at home", IND, True, L12),
    ("Rehabilitation (illness/injury)", "Rehabilitation services", IND, True, L12),
    ("Diagnosis/screening", "Diagnostic and/or screening service", IND, True, L12),
    (
        "Rehabilitation (substance abuse)",
        "Residential substance misuse treatment and/or rehabilitation service",
        IND,
        True,
        L12,
    ),
    ("Children's homes", "Residential care for children (inspected by Ofsted)", CHILD, False, []),
    ("Prison healthcare", "Health care in prisons and young offender institutions", JUSTICE, False, []),
    ("Remote clinical advice", "Remote clinical advice service", IND, True, L12),
]

REGULATED_ACTIVITIES = [
    ("RA1", "Personal care"),
    ("RA2", "Accommodation for persons who require nursing or personal care"),
    ("RA3", "Accommodation for persons who require treatment for substance misuse"),
    ("RA4", "Accommodation and nursing or personal care in the further education sector"),
    ("RA5", "Treatment of disease, disorder or injury"),
    ("RA6", "Assessment or medical treatment for persons detained under the Mental Health Act 1983"),
    ("RA7", "Surgical procedures"),
    ("RA8", "Diagnostic and screening procedures"),
    ("RA9", "Management of supply of blood and blood derived products"),
    ("RA10", "Transport services, triage and medical advice provided remotely"),
    ("RA11", "Maternity and midwifery services"),
    ("RA12", "Termination of pregnancies"),
    ("RA13", "Services in slimming clinics"),
    ("RA14", "Nursing care"),
    ("RA15", "Family planning"),
]


def catalogue_sync() -> None:
    """Create any service type or regulated activity of the starting catalogue that is missing.

    Runs after every migrate (and after a test flush), so reference data is always there; rows admin
    staff have edited are left as they are.
    """
    from cqcportal.register.models import RegulatedActivity, ServiceType

    existing = set(ServiceType.objects.values_list("name", flat=True))
    ServiceType.objects.bulk_create(
        ServiceType(name=name, description=description, sector=sector, is_rated=is_rated, rating_levels=levels)
        for name, description, sector, is_rated, levels in SERVICE_TYPES
        if name not in existing
    )
    codes = set(RegulatedActivity.objects.values_list("code", flat=True))
    RegulatedActivity.objects.bulk_create(
        RegulatedActivity(code=code, name=name) for code, name in REGULATED_ACTIVITIES if code not in codes
    )
