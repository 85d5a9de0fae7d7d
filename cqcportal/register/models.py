"""The register: providers, their locations, the services they run and their published ratings."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Region(models.TextChoices):
    EAST_MIDLANDS = "East Midlands"
    EAST = "East"
    LONDON = "London"
    NORTH_EAST = "North East"
    NORTH_WEST = "North West"
    SOUTH_EAST = "South East"
    SOUTH_WEST = "South West"
    WEST_MIDLANDS = "West Midlands"
    YORKSHIRE_AND_THE_HUMBER = "Yorkshire & Humberside", "Yorkshire and the Humber"
    UNSPECIFIED = "Unspecified"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    DEREGISTERED = "deregistered", "Deregistered"


class Sector(models.TextChoices):
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    PRIMARY_MEDICAL = "primary_medical", "Primary medical services"
    PRIMARY_DENTAL = "primary_dental", "Primary dental care"
    HOSPITALS = "hospitals", "Hospitals"
    MENTAL_HEALTH = "mental_health", "Mental health"
    COMMUNITY_HEALTH = "community_health", "Community health"
    AMBULANCE = "ambulance", "Ambulance services"
    INDEPENDENT_HEALTH = "independent_health", "Independent health care"
    CHILDREN = "children", "Children's services"
    HEALTH_AND_JUSTICE = "health_and_justice", "Health and justice"


class ServiceType(models.Model):
    """An entry in the catalogue of service types, saying whether and at which levels it is rated.

    Rating levels follow the assessment guidance: 1 is the location (or service), 2 the provider's
    service-type level, and 3-5 the core-service and provider levels used for NHS trusts.
    """

    name = models.CharField(max_length=200, unique=True, help_text="The name the register uses, e.g. 'Nursing homes'.")
    description = models.CharField(max_length=300, blank=True)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    is_rated = models.BooleanField(default=True)
    rating_levels = models.JSONField(default=list, blank=True, help_text="Levels rated, e.g. [1, 2].")

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_rated=True) | models.Q(rating_levels=[]),
                name="register_servicetype_unrated_has_no_levels",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rating_levels_display(self) -> str:
        if not self.is_rated:
            return "Not rated"
        return "Levels " + ", ".join(str(level) for level in self.rating_levels)


class RegulatedActivity(models.Model):
    """One of the regulated activities of the Health and Social Care Act 2008 (Regulated Activities) Regs 2014."""

    code = models.CharField(max_length=10, unique=True, help_text="The register's code, e.g. RA1.")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "regulated activities"

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """A registered provider: the legal entity that is responsible for its locations."""

    class Type(models.TextChoices):
        NHS_TRUST = "nhs_trust", "NHS trust"
        ORGANISATION = "organisation", "Independent organisation"
        INDIVIDUAL = "individual", "Individual"
        PARTNERSHIP = "partnership", "Partnership"

    cqc_id = models.CharField("register id", max_length=40, unique=True)
    name = models.CharField(max_length=300, db_index=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    sector_type = models.CharField(
        max_length=100, blank=True, help_text="The register's provider type, e.g. 'Social Care Org'."
    )
    address_line_1 = models.CharField(max_length=300, blank=True)
    address_line_2 = models.CharField(max_length=300, blank=True)
    town = models.CharField(max_length=200, blank=True)
    county = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=10, blank=True, db_index=True)
    region = models.CharField(max_length=40, choices=Region.choices, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=300, blank=True)
    registration_status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED
    )
    registration_date = models.DateField(null=True, blank=True)
    deregistration_date = models.DateField(null=True, blank=True)
    nominated_individual_name = models.CharField(max_length=200, blank=True, help_text="As published on the register.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deregistration_date__isnull=True) | models.Q(registration_status="deregistered"),
                name="register_provider_deregistration_date_only_when_deregistered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return ", ".join(
            p for p in (self.address_line_1, self.address_line_2, self.town, self.county, self.postcode) if p
        )


class Location(models.Model):
    """A place (or service) where a provider carries on regulated activities; ratings are given here."""

    cqc_id = models.CharField("register id", max_length=40, unique=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=300, db_index=True)
    location_type = models.CharField(
        max_length=100, blank=True, help_text="The register's location type, e.g. 'Social Care Org'."
    )
    address_line_1 = models.CharField(max_length=300, blank=True)
    address_line_2 = models.CharField(max_length=300, blank=True)
    town = models.CharField(max_length=200, blank=True)
    county = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=10, db_index=True)
    # Postcode without spaces, upper case, so "ol4 2sf" and "OL42SF" both find "OL4 2SF".
    postcode_compact = models.CharField(max_length=10, db_index=True, editable=False)
    region = models.CharField(max_length=40, choices=Region.choices, db_index=True)
    local_authority = models.CharField(max_length=200, blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=300, blank=True)
    care_home = models.BooleanField(default=False)
    number_of_beds = models.PositiveIntegerField(null=True, blank=True)
    registration_status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED, db_index=True
    )
    registration_date = models.DateField(null=True, blank=True)
    deregistration_date = models.DateField(null=True, blank=True)
    service_types = models.ManyToManyField(ServiceType, blank=True, related_name="locations")
    regulated_activities = models.ManyToManyField(RegulatedActivity, blank=True, related_name="locations")
    registered_manager_name = models.CharField(max_length=200, blank=True, help_text="As published on the register.")
    relationship_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="locations_held",
        limit_choices_to={"kind": "staff"},
        help_text="The inspector who holds the relationship with this location.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["region", "registration_status", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deregistration_date__isnull=True) | models.Q(registration_status="deregistered"),
                name="register_location_deregistration_date_only_when_deregistered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A derived search key, kept beside its source so it can be indexed; not a business rule.
        self.postcode_compact = self.postcode.replace(" ", "").upper()
        super().save(*args, **kwargs)

    @property
    def address(self) -> str:
        return ", ".join(
            p for p in (self.address_line_1, self.address_line_2, self.town, self.county, self.postcode) if p
        )


class KeyQuestion(models.TextChoices):
    OVERALL = "overall", "Overall"
    SAFE = "safe", "Safe"
    EFFECTIVE = "effective", "Effective"
    CARING = "caring", "Caring"
    RESPONSIVE = "responsive", "Responsive"
    WELL_LED = "well_led", "Well-led"


class PublishedRatingValue(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    INSPECTED_NOT_RATED = "inspected_not_rated", "Inspected but not rated"
    NO_PUBLISHED_RATING = "no_published_rating", "No published rating"


class PublishedRating(models.Model):
    """A rating as published on a location's profile, for the overall rating or one key question."""

    class Source(models.TextChoices):
        PREVIOUS_MODEL = "previous_model", "Imported from the register (previous assessment model)"
        ASSESSMENT = "assessment", "Assessment under the single assessment framework"

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="published_ratings")
    key_question = models.CharField(max_length=20, choices=KeyQuestion.choices)
    rating = models.CharField(max_length=30, choices=PublishedRatingValue.choices)
    report_date = models.DateField(null=True, blank=True)
    report_link_id = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["location", "key_question"]
        constraints = [
            # Exactly one current rating per location and key question.
            models.UniqueConstraint(
                fields=["location", "key_question"],
                condition=models.Q(is_current=True),
                name="register_publishedrating_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.get_key_question_display()} {self.get_rating_display()}"
