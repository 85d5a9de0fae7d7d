"""What the generated people write: findings, report summaries, comments, representations and letters."""

# The score descriptors of the assessment framework, as the judgement statement of a score.
JUDGEMENTS = {
    4: "Exceptional standard: the evidence shows an exceptional standard.",
    3: "Good standard: the evidence shows a good standard.",
    2: "Some shortfalls: the evidence shows some shortfalls.",
    1: "Significant shortfalls: the evidence shows significant shortfalls.",
}

# Findings by key question: (when it scored 3 or 4, when it scored 1 or 2).
FINDINGS = {
    "safe": (
        (
            "Staff knew how to recognise and report abuse, and risks to people were assessed and reviewed when "
            "their needs changed.",
            "There were enough suitably trained staff on every shift we looked at, and medicines were managed safely.",
        ),
        (
            "Risk assessments were not always reviewed after a fall, and records of medicines given had gaps that "
            "staff could not explain.",
            "Staffing at night did not always match the assessed needs of the people using the service.",
        ),
    ),
    "effective": (
        (
            "People's needs were assessed before they started using the service, and staff worked well with GPs, "
            "district nurses and social workers.",
            "Consent was sought and recorded properly, and people were supported to eat and drink well.",
        ),
        (
            "Care plans did not always show how people, or those who know them well, had been involved in decisions.",
            "Mental capacity assessments were missing for some decisions made in people's best interests.",
        ),
    ),
    "caring": (
        (
            "People told us staff were kind and patient and treated them with dignity.",
            "Staff knew people's histories and what mattered to them, and supported them to stay independent.",
        ),
        (
            "Some people told us care felt rushed at busy times of the day.",
            "People's choices about their daily routines were not always respected.",
        ),
    ),
    "responsive": (
        (
            "Care was planned around what mattered to each person, and complaints were answered promptly.",
            "Information was available in formats people could understand, and people could get care when needed.",
        ),
        (
            "Information was not always available in formats people could understand.",
            "Complaints were not always recorded or used to improve the service.",
        ),
    ),
    "well_led": (
        (
            "Leaders were visible and approachable, and audits found problems and led to lasting improvements.",
            "Staff felt able to speak up, and leaders acted on what people, staff and partners told them.",
        ),
        (
            "Audits had not picked up the problems we found with records, so leaders were not aware of them.",
            "Governance systems were not effective in identifying and reducing risks to people.",
        ),
    ),
}

OVERALL = {
    "outstanding": "{name} provides care that people describe as exceptional. Leaders have built a culture in which "
    "staff are proud to work, and people's outcomes are consistently better than expected.",
    "good": "{name} provides safe and effective care. People were supported by staff who knew them well, and the "
    "service was well led.",
    "requires_improvement": "{name} needs to improve. People were cared for by kind staff, but we found shortfalls "
    "in how risks were managed and in the oversight of the service.",
    "inadequate": "{name} is not providing safe care. We found serious shortfalls in how risks to people were "
    "managed, and leaders had not identified or acted on them.",
    "": "We assessed {name} against the quality statements in scope and report what we found below.",
}

PEOPLES_EXPERIENCE = (
    "People and their relatives told us staff were friendly and had time to chat.",
    "People said they felt listened to and that staff respected their routines.",
    "Most people were positive about the service, although some said it could be hard to get through by phone.",
    "People gave mixed views: some praised the staff, others said care felt rushed at busy times.",
)

QUALITY_REVIEW_COMMENTS = (
    "Please add the evidence behind the score for safeguarding, and check the dates of the visit.",
    "The summary does not match the ratings: say more about the shortfalls in well-led.",
    "Make the people's experience section reflect the feedback from relatives we received.",
)

COMMENTS = (
    "The report says {n} staff were on duty at night. There were {m}: a nurse and care workers. The rota for the "
    "week of the visit shows the night shifts.",
    "The report says care plans were not reviewed. They were reviewed monthly and are kept in the electronic system.",
    "The summary gives the wrong number of people using the service on the day of the visit.",
    "The report does not mention the new training programme we started before the assessment.",
    "The medicines audit for the month of the visit shows the gaps were days people were in hospital.",
)

RESPONSES = {
    "accepted": "Thank you. We have checked the evidence and changed the report.",
    "partly_accepted": "We have changed the wording, but our finding still stands for the reasons given.",
    "not_accepted": "We report what we found at the time of the assessment, so we have not changed the finding.",
}

ACTION_SUMMARIES = {
    "requirement_notice": "The provider must send us a report saying what it will do to meet the regulations "
    "breached, and by when.",
    "warning_notice": "The provider must put right the breach of the regulations by the date given, or we may take "
    "further action.",
    "notice_of_proposal": "We propose to change the provider's registration: {proposal}.",
    "urgent": "Because people were at risk of serious harm, we have acted at once: {proposal}.",
    "fixed_penalty_notice": "A fixed penalty notice for failing to meet a requirement of the regulations.",
    "simple_caution": "A simple caution for an offence under the regulations, accepted by the provider.",
    "prosecution": "A prosecution for failing to provide safe care and treatment, causing avoidable harm.",
}

REPRESENTATION = (
    "We do not agree that the regulation was breached. The evidence we enclose shows the risk assessments were in "
    "place and reviewed, and we have since added a further check by the deputy manager each week."
)
PIR_QUESTIONS = (
    "Please tell us about the people using the service, your staffing, any safeguarding concerns since our last "
    "contact, and the improvements you have made."
)
PIR_RESPONSE = (
    "We support the people listed in the attached return. Staffing is stable with two vacancies being recruited to. "
    "There have been no safeguarding concerns since our last contact."
)
REVIEW_GROUNDS = (
    "The rating was based on evidence from one day only and the team did not look at the records we offered, so "
    "the process for gathering evidence was not followed."
)
REFUSAL = (
    "Your request says you disagree with the judgement, but it does not show that we did not follow our process "
    "for reaching the rating. There are no grounds for a review."
)
RECOMMENDATION = "The process was followed for most ratings; the evidence for one key question was not fully weighed."
DECISION = "The independent reviewer found that evidence the provider offered was not considered."
COMPLAINTS = (
    "The inspector did not look at the evidence the manager had prepared.",
    "The report was published before our comments were answered.",
    "Staff at the regulator did not return calls about a safeguarding concern.",
    "The inspection was carried out at a time that upset the residents.",
)
FIT_AND_PROPER = "Information that a director was removed from a previous post for failures of governance."

# Evidence notes by evidence category (in the categories' order), and where the evidence came from.
EVIDENCE = (
    (
        "Five people told us staff knew them well and came quickly when they called.",
        "Relatives said they were kept informed and felt listened to when they raised concerns.",
        "Survey returns from 18 people: most were positive about their care; two mentioned waiting times.",
    ),
    (
        "The registered manager described how learning from incidents is shared at team meetings.",
        "Staff said they felt supported and had regular supervision.",
        "Two staff members were unsure how to raise a safeguarding concern outside the service.",
    ),
    (
        "The local authority's quality team reported steady improvement since their last visit.",
        "A visiting district nurse said referrals were timely and well documented.",
        "The GP practice linked to the service described good communication about changes in people's health.",
    ),
    (
        "We saw staff support people at lunchtime with patience and encouragement.",
        "Call bells were answered promptly during the morning we observed.",
        "Communal areas were clean; one bathroom needed repair.",
    ),
    (
        "Care plans were person-centred and reviewed monthly.",
        "Medicines records were complete for the month we checked.",
        "Recruitment files held the required checks for the four staff we reviewed.",
    ),
    (
        "Falls reduced over the last six months after the new checks at night.",
        "Pressure ulcers acquired in the service: none in the last year.",
        "Hospital admissions were in line with similar services.",
    ),
)
EVIDENCE_SOURCES = (
    "Interview",
    "Site visit",
    "Provider's records",
    "Survey",
    "Call with a partner organisation",
    "Give feedback on care",
)
SCORE_CHANGE = (
    "The provider's comments showed evidence we had not taken into account; the score is raised by one.",
    "Records the provider sent with its comments show the audits were completed; the score is raised by one.",
)
EXTENSION_GRANTED = "The registered manager is on planned leave; we have given five more working days."
