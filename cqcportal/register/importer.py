"""Importing the register from the CQC public API's JSON bodies (``GET /providers/{id}``, ``GET /locations/{id}``).

Two layers. Parsing is pure: it turns one body into a plain record (``ProviderRecord``,
``LocationRecord`` with its ``RatingRecord``s) or raises ``RegisterRecordCannotBeImported``.
``register_import`` then writes the records, each in its own transaction with its audit event, and
saves only what changed, so importing the same data twice writes nothing (no history rows, no
audit events).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cqcportal.audit.services import audit_event_record
from cqcportal.core.public_cache import public_pages_changed
from cqcportal.register.models import (
    KeyQuestion,
    Location,
    Provider,
    PublishedRating,
    PublishedRatingValue,
    Region,
    RegistrationStatus,
    RegulatedActivity,
    Sector,
    ServiceType,
)

if TYPE_CHECKING:
    from cqcportal.accounts.models import User

CHANGE_REASON = "Register import"
# Existing rows are looked up this many records at a time: few queries, and well under SQLite's
# limit on query parameters.
CHUNK_SIZE = 500


class RegisterRecordCannotBeImported(Exception):
    """One body cannot be imported; ``record_id`` names it (e.g. 'location 1-123') and ``message`` says why."""

    def __init__(self, record_id: str, message: str):
        super().__init__(f"{record_id}: {message}")
        self.record_id = record_id
        self.message = message


class RegisterDocumentCannotBeRead(Exception):
    """A JSON document is not an API response envelope, a body, or a list of bodies."""


# ---------------------------------------------------------------------------
# Records: what the import keeps of a body, as plain values
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingRecord:
    key_question: str
    rating: str
    report_date: datetime.date | None
    report_link_id: str


@dataclass(frozen=True)
class ServiceTypeRef:
    name: str
    description: str
    # Used only when the service type is not in the catalogue yet.
    sector: str


@dataclass(frozen=True)
class ActivityRef:
    code: str
    name: str


@dataclass(frozen=True)
class ProviderRecord:
    cqc_id: str
    name: str
    type: str
    sector_type: str
    address_line_1: str
    address_line_2: str
    town: str
    county: str
    postcode: str
    region: str
    phone: str
    website: str
    registration_status: str
    registration_date: datetime.date | None
    deregistration_date: datetime.date | None
    nominated_individual_name: str

    def field_values(self) -> dict[str, Any]:
        """The record as Provider field values (every field of the record is one)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LocationRecord:
    cqc_id: str
    provider_cqc_id: str
    name: str
    location_type: str
    address_line_1: str
    address_line_2: str
    town: str
    county: str
    postcode: str
    region: str
    local_authority: str
    phone: str
    website: str
    care_home: bool
    number_of_beds: int | None
    registration_status: str
    registration_date: datetime.date | None
    deregistration_date: datetime.date | None
    registered_manager_name: str
    service_types: tuple[ServiceTypeRef, ...]
    regulated_activities: tuple[ActivityRef, ...]
    # None when the body has no currentRatings: the location's published ratings are then left alone.
    ratings: tuple[RatingRecord, ...] | None

    def field_values(self) -> dict[str, Any]:
        """The Location field values of the record, without its provider and relations."""
        return {name: getattr(self, name) for name in _LOCATION_FIELDS}


_LOCATION_FIELDS = (
    "cqc_id",
    "name",
    "location_type",
    "address_line_1",
    "address_line_2",
    "town",
    "county",
    "postcode",
    "region",
    "local_authority",
    "phone",
    "website",
    "care_home",
    "number_of_beds",
    "registration_status",
    "registration_date",
    "deregistration_date",
    "registered_manager_name",
)

# The body key each model field comes from, so validation messages name what the file says.
_BODY_KEYS = {
    "cqc_id": "locationId",
    "name": "name",
    "type": "ownershipType",
    "sector_type": "type",
    "location_type": "type",
    "address_line_1": "postalAddressLine1",
    "address_line_2": "postalAddressLine2",
    "town": "postalAddressTownCity",
    "county": "postalAddressCounty",
    "postcode": "postalCode",
    "region": "region",
    "local_authority": "localAuthority",
    "phone": "mainPhoneNumber",
    "website": "website",
    "number_of_beds": "numberOfBeds",
    "registration_date": "registrationDate",
    "deregistration_date": "deregistrationDate",
    "registered_manager_name": "regulatedActivities[].contacts (Registered Manager)",
    "nominated_individual_name": "nominated individual",
    "report_link_id": "reportLinkId",
    "code": "regulatedActivities[].code",
}


# ---------------------------------------------------------------------------
# Documents: the shapes a file may have
# ---------------------------------------------------------------------------


def bodies_from_document(document: Any) -> list[Any]:
    """The API bodies in a decoded JSON document: ``{"responses": [{"body": ...}]}``, one body, or a list.

    A list may hold bodies or ``{"body": ...}`` items. Items that are not bodies are passed on, for
    ``register_import`` to report.

    :raises RegisterDocumentCannotBeRead: when the document has none of these shapes.
    """
    if isinstance(document, dict):
        if "responses" in document:
            responses = document["responses"]
            if not isinstance(responses, list):
                raise RegisterDocumentCannotBeRead('"responses" is not a list')
            return [_unwrap(item) for item in responses]
        if _looks_like_body(document):
            return [document]
        raise RegisterDocumentCannotBeRead(
            'expected {"responses": [{"body": ...}]}, a provider or location body, or a list of bodies'
        )
    if isinstance(document, list):
        return [_unwrap(item) for item in document]
    raise RegisterDocumentCannotBeRead(f"expected a JSON object or list, not {_json_type(document)}")


def _looks_like_body(data: dict) -> bool:
    return any(key in data for key in ("organisationType", "locationId", "providerId", "providers"))


def _unwrap(item: Any) -> Any:
    if isinstance(item, dict) and "body" in item and not _looks_like_body(item):
        return item["body"]
    return item


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


# ---------------------------------------------------------------------------
# Parsing one body (pure: no database)
# ---------------------------------------------------------------------------


class _Reader:
    """Typed access to one part of a body; every failure names the record and the key."""

    def __init__(self, data: dict, record_id: str, path: str = ""):
        self.data = data
        self.record_id = record_id
        self.path = path

    def fail(self, message: str) -> NoReturn:
        raise RegisterRecordCannotBeImported(self.record_id, message)

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{self._key(key)} should be text, not {_json_type(value)}")
        value = value.strip()
        if required and not value:
            self.fail(f"missing {self._key(key)}")
        return value

    def date(self, key: str) -> datetime.date | None:
        text = self.text(key)
        if not text:
            return None
        try:
            return datetime.datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{self._key(key)} {text!r} is not a date (YYYY-MM-DD)")

    def count(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(f"{self._key(key)} should be a whole number, not {value!r}")
        return value

    def yes_no(self, key: str) -> bool:
        value = self.text(key).upper()
        if value not in ("", "Y", "N"):
            self.fail(f"{self._key(key)} should be Y or N, not {value!r}")
        return value == "Y"

    def child(self, key: str) -> _Reader | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(f"{self._key(key)} should be an object, not {_json_type(value)}")
        return _Reader(value, self.record_id, self._key(key))

    def children(self, key: str) -> list[_Reader]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{self._key(key)} should be a list, not {_json_type(value)}")
        readers = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(f"{self._key(key)}[{index}] should be an object, not {_json_type(item)}")
            readers.append(_Reader(item, self.record_id, f"{self._key(key)}[{index}]"))
        return readers


def body_kind(body: Any) -> str | None:
    """'provider', 'location', 'provider_list' (a ``GET /providers`` page) or None for anything else."""
    if not isinstance(body, dict):
        return None
    organisation_type = body.get("organisationType")
    if isinstance(organisation_type, str) and organisation_type.strip().casefold() in ("location", "provider"):
        return organisation_type.strip().casefold()
    if organisation_type is None:
        if "locationId" in body:
            return "location"
        if isinstance(body.get("providers"), list):
            return "provider_list"
        if "providerId" in body:
            return "provider"
    return None


def _record_id(body: dict, kind: str, id_key: str, position: int | None) -> str:
    value = body.get(id_key)
    if isinstance(value, str) and value.strip():
        return f"{kind} {value.strip()}"
    where = f" (input body {position})" if position is not None else ""
    return f"{kind} without {id_key}{where}"


_REGISTRATION_STATUS = {status.label.casefold(): status.value for status in RegistrationStatus}

_PROVIDER_TYPE = {
    "organisation": Provider.Type.ORGANISATION,
    "partnership": Provider.Type.PARTNERSHIP,
    "individual": Provider.Type.INDIVIDUAL,
    "nhs body": Provider.Type.NHS_TRUST,
}

_REGION = {
    **{region.value.casefold(): region.value for region in Region},
    **{region.label.casefold(): region.value for region in Region},
    "yorkshire & the humber": Region.YORKSHIRE_AND_THE_HUMBER,
    "yorkshire and humberside": Region.YORKSHIRE_AND_THE_HUMBER,
}

_RATING = {" ".join(value.label.split()).casefold(): value.value for value in PublishedRatingValue}

_KEY_QUESTION = {
    **{kq.label.casefold(): kq.value for kq in KeyQuestion if kq != KeyQuestion.OVERALL},
    "well led": KeyQuestion.WELL_LED,
}

# The sector of a service type the catalogue does not know yet: the location's register type says
# most (a dental practice's inspection directorate is "Primary medical services"), then its
# inspection directorate. Admin staff review new service types anyway.
_SECTOR_BY_LOCATION_TYPE = {
    "social care org": Sector.ADULT_SOCIAL_CARE,
    "primary dental care": Sector.PRIMARY_DENTAL,
    "primary medical services": Sector.PRIMARY_MEDICAL,
    "independent healthcare org": Sector.INDEPENDENT_HEALTH,
    "independent ambulance": Sector.AMBULANCE,
    "nhs healthcare organisation": Sector.HOSPITALS,
}
_SECTOR_BY_DIRECTORATE = {
    "adult social care": Sector.ADULT_SOCIAL_CARE,
    "primary medical services": Sector.PRIMARY_MEDICAL,
    "hospitals": Sector.HOSPITALS,
}


def _registration(reader: _Reader, kind: str) -> tuple[str, datetime.date | None, datetime.date | None]:
    status_text = reader.text("registrationStatus", required=True)
    status = _REGISTRATION_STATUS.get(status_text.casefold())
    if status is None:
        reader.fail(f"registrationStatus {status_text!r} is not Registered or Deregistered")
    registration_date = reader.date("registrationDate")
    deregistration_date = reader.date("deregistrationDate")
    if deregistration_date is not None and status != RegistrationStatus.DEREGISTERED:
        reader.fail(f"deregistrationDate {deregistration_date.isoformat()} given for a registered {kind}")
    return status, registration_date, deregistration_date


def _region(reader: _Reader, *, default: str) -> str:
    text = reader.text("region")
    if not text:
        return default
    return _REGION.get(" ".join(text.split()).casefold(), Region.UNSPECIFIED)


def _person_name(person: _Reader) -> str:
    parts = (person.text("personTitle"), person.text("personGivenName"), person.text("personFamilyName"))
    return " ".join(part for part in parts if part)


def _join_names(names: Iterable[str]) -> str:
    # Distinct names in the order the body gives them, so the same body always gives the same text.
    return " and ".join(dict.fromkeys(name for name in names if name))


def provider_record_from_body(body: dict, *, position: int | None = None) -> ProviderRecord:
    """The provider described by a ``GET /providers/{id}`` body.

    :raises RegisterRecordCannotBeImported: when a required value is missing or a value is malformed.
    """
    reader = _Reader(body, _record_id(body, "provider", "providerId", position))
    cqc_id = reader.text("providerId", required=True)
    ownership = reader.text("ownershipType", required=True)
    provider_type = _PROVIDER_TYPE.get(" ".join(ownership.split()).casefold())
    if provider_type is None:
        reader.fail(f"ownershipType {ownership!r} is not Organisation, Partnership, Individual or NHS Body")
    status, registration_date, deregistration_date = _registration(reader, "provider")
    nominated = [
        _person_name(contact)
        for contact in reader.children("contacts")
        if "Nominated Individual" in (contact.data.get("personRoles") or [])
    ]
    for activity in reader.children("regulatedActivities"):
        person = activity.child("nominatedIndividual")
        if person is not None:
            nominated.append(_person_name(person))
    return ProviderRecord(
        cqc_id=cqc_id,
        name=reader.text("name", required=True),
        type=provider_type,
        sector_type=reader.text("type"),
        address_line_1=reader.text("postalAddressLine1"),
        address_line_2=reader.text("postalAddressLine2"),
        town=reader.text("postalAddressTownCity"),
        county=reader.text("postalAddressCounty"),
        postcode=reader.text("postalCode"),
        region=_region(reader, default=""),
        phone=reader.text("mainPhoneNumber"),
        website=reader.text("website"),
        registration_status=status,
        registration_date=registration_date,
        deregistration_date=deregistration_date,
        nominated_individual_name=_join_names(nominated),
    )


def location_record_from_body(body: dict, *, position: int | None = None) -> LocationRecord:
    """The location described by a ``GET /locations/{id}`` body, with its current published ratings.

    :raises RegisterRecordCannotBeImported: when a required value is missing or a value is malformed.
    """
    reader = _Reader(body, _record_id(body, "location", "locationId", position))
    cqc_id = reader.text("locationId", required=True)
    location_type = reader.text("type")
    directorate = reader.text("inspectionDirectorate")
    sector = _SECTOR_BY_LOCATION_TYPE.get(location_type.casefold()) or _SECTOR_BY_DIRECTORATE.get(
        directorate.casefold(), Sector.INDEPENDENT_HEALTH
    )
    service_types = {}
    for service_type in reader.children("gacServiceTypes"):
        name = service_type.text("name", required=True)
        service_types.setdefault(name.casefold(), ServiceTypeRef(name, service_type.text("description"), sector))
    activities = {}
    managers = []
    for activity in reader.children("regulatedActivities"):
        code = activity.text("code", required=True).upper()
        activities.setdefault(code, ActivityRef(code, activity.text("name") or code))
        managers.extend(
            _person_name(contact)
            for contact in activity.children("contacts")
            if "Registered Manager" in (contact.data.get("personRoles") or [])
        )
    status, registration_date, deregistration_date = _registration(reader, "location")
    return LocationRecord(
        cqc_id=cqc_id,
        provider_cqc_id=reader.text("providerId", required=True),
        name=reader.text("name", required=True),
        location_type=location_type,
        address_line_1=reader.text("postalAddressLine1"),
        address_line_2=reader.text("postalAddressLine2"),
        town=reader.text("postalAddressTownCity"),
        county=reader.text("postalAddressCounty"),
        postcode=reader.text("postalCode", required=True),
        region=_region(reader, default=Region.UNSPECIFIED),
        local_authority=reader.text("localAuthority"),
        phone=reader.text("mainPhoneNumber"),
        website=reader.text("website"),
        care_home=reader.yes_no("careHome"),
        number_of_beds=reader.count("numberOfBeds"),
        registration_status=status,
        registration_date=registration_date,
        deregistration_date=deregistration_date,
        registered_manager_name=_join_names(managers),
        service_types=tuple(service_types.values()),
        regulated_activities=tuple(activities.values()),
        ratings=_current_ratings(reader),
    )


def _current_ratings(reader: _Reader) -> tuple[RatingRecord, ...] | None:
    current = reader.child("currentRatings")
    overall = current.child("overall") if current is not None else None
    if overall is None:
        return None
    # Key question ratings carried forward from an earlier report keep that report's date; a rating
    # without a date of its own takes the overall one's, then the one on currentRatings.
    fallback_date = overall.date("reportDate") or current.date("reportDate")
    ratings = {KeyQuestion.OVERALL.value: _rating(overall, KeyQuestion.OVERALL, fallback_date)}
    for key_question_rating in overall.children("keyQuestionRatings"):
        name = key_question_rating.text("name", required=True)
        key_question = _KEY_QUESTION.get(" ".join(name.split()).casefold())
        if key_question is None:
            key_question_rating.fail(f"{key_question_rating.path}.name {name!r} is not a key question")
        if key_question in ratings:
            key_question_rating.fail(f"{name} is rated twice in currentRatings")
        ratings[key_question] = _rating(key_question_rating, key_question, fallback_date)
    return tuple(ratings.values())


def _rating(reader: _Reader, key_question: str, fallback_date: datetime.date | None) -> RatingRecord:
    text = reader.text("rating", required=True)
    rating = _RATING.get(" ".join(text.split()).casefold())
    if rating is None:
        reader.fail(f"{reader.path}.rating {text!r} is not a rating")
    return RatingRecord(
        key_question=key_question,
        rating=rating,
        report_date=reader.date("reportDate") or fallback_date,
        report_link_id=reader.text("reportLinkId"),
    )


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What one import did, record by record."""

    providers_created: int = 0
    providers_updated: int = 0
    providers_unchanged: int = 0
    locations_created: int = 0
    locations_updated: int = 0
    locations_unchanged: int = 0
    ratings_created: int = 0
    ratings_replaced: int = 0
    # Register ids of providers created only because a location named them; their own body was not imported.
    placeholder_providers: list[str] = field(default_factory=list)
    # Added to the catalogue as rated at levels 1 and 2, for admin staff to review.
    new_service_types: list[str] = field(default_factory=list)
    new_regulated_activities: list[str] = field(default_factory=list)
    # (record id, reason), e.g. ("location 1-123", "missing postalCode").
    skipped: list[tuple[str, str]] = field(default_factory=list)


def summary_lines(summary: ImportSummary) -> list[str]:
    """The import's summary as lines of text for the console."""
    lines = [
        f"Providers: {summary.providers_created} created, {summary.providers_updated} updated, "
        f"{summary.providers_unchanged} unchanged.",
        f"Locations: {summary.locations_created} created, {summary.locations_updated} updated, "
        f"{summary.locations_unchanged} unchanged.",
        f"Published ratings: {summary.ratings_created} created, {summary.ratings_replaced} replaced.",
    ]
    if summary.placeholder_providers:
        lines.append(
            f"Placeholder providers: {len(summary.placeholder_providers)} created for locations whose provider's "
            "body was not imported; import GET /providers/{id} bodies to complete them."
        )
    if summary.new_service_types:
        lines.append(f"New service types to review: {', '.join(summary.new_service_types)}.")
    if summary.new_regulated_activities:
        lines.append(f"New regulated activities: {', '.join(summary.new_regulated_activities)}.")
    if summary.skipped:
        lines.append(f"Skipped {len(summary.skipped)}:")
        lines.extend(f"  {record_id}: {reason}" for record_id, reason in summary.skipped)
    else:
        lines.append("Skipped 0.")
    return lines


def register_import(*, bodies: Iterable[Any], by: User | None = None) -> ImportSummary:
    """Create or update providers and locations, with their published ratings, from CQC API bodies.

    Providers are imported before locations, whatever the order of the input. Each record is
    written in its own transaction with its audit event, and only when something in it changed.
    A record that is invalid, or that the database refuses, is rolled back, reported in
    ``ImportSummary.skipped`` and passed over; the others are imported. ``GET /providers`` list
    pages only lend their names to providers that must be created as placeholders.
    """
    summary = ImportSummary()
    providers: list[ProviderRecord] = []
    locations: list[LocationRecord] = []
    listed_names: dict[str, str] = {}
    for position, body in enumerate(bodies, start=1):
        kind = body_kind(body)
        try:
            if kind == "provider":
                providers.append(provider_record_from_body(body, position=position))
            elif kind == "location":
                locations.append(location_record_from_body(body, position=position))
            elif kind == "provider_list":
                listed_names.update(_listed_provider_names(body))
            else:
                summary.skipped.append((f"input body {position}", "not a provider or location body"))
        except RegisterRecordCannotBeImported as exc:
            summary.skipped.append((exc.record_id, exc.message))
    importer = _Importer(by=by, summary=summary, listed_names=listed_names)
    importer.import_providers(providers)
    importer.import_locations(locations)
    public_pages_changed()
    return summary


def _listed_provider_names(body: dict) -> dict[str, str]:
    names = {}
    for item in body["providers"]:
        if (
            isinstance(item, dict)
            and isinstance(item.get("providerId"), str)
            and isinstance(item.get("providerName"), str)
        ):
            names[item["providerId"].strip()] = item["providerName"].strip()
    return names


def _chunks(records: Sequence, size: int = CHUNK_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{_BODY_KEYS.get(name, name)}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


@dataclass
class _LocationState:
    """A location as stored: the row, its links and its current published ratings by key question."""

    location: Location
    service_type_ids: set[int]
    activity_ids: set[int]
    current_ratings: dict[str, PublishedRating]


@dataclass
class _LocationPlan:
    """The writes that bring one location in line with its record; built in memory, applied in one transaction."""

    changed: list[str]
    # None: the provider is not in the database, so a placeholder is created for it.
    provider: Provider | None
    service_type_ids: set[int]
    new_service_types: list[ServiceTypeRef]
    activity_ids: set[int]
    new_activities: list[ActivityRef]
    ratings_to_retire: list[PublishedRating]
    ratings_to_create: list[RatingRecord]


@dataclass
class _Created:
    """Catalogue rows and placeholder providers written in a record's transaction, kept once it commits."""

    providers: list[Provider] = field(default_factory=list)
    service_types: list[ServiceType] = field(default_factory=list)
    activities: list[RegulatedActivity] = field(default_factory=list)


class _Importer:
    """The state of one import: the catalogue and the rows already read, so each is read once."""

    def __init__(self, *, by: User | None, summary: ImportSummary, listed_names: dict[str, str]):
        self.by = by
        self.summary = summary
        self.listed_names = listed_names
        self.service_types = {st.name.casefold(): st for st in ServiceType.objects.all()}
        self.activities = {activity.code.upper(): activity for activity in RegulatedActivity.objects.all()}
        self.providers: dict[str, Provider] = {}

    # Providers ---------------------------------------------------------------

    def import_providers(self, records: Sequence[ProviderRecord]) -> None:
        for chunk in _chunks(records):
            self._load_providers({record.cqc_id for record in chunk})
            for record in chunk:
                try:
                    self._import_provider(record)
                except RegisterRecordCannotBeImported as exc:
                    self.summary.skipped.append((exc.record_id, exc.message))
                    self._reload_provider(record.cqc_id)
                except DatabaseError as exc:
                    self.summary.skipped.append((f"provider {record.cqc_id}", _database_message(exc)))
                    self._reload_provider(record.cqc_id)

    def _reload_provider(self, cqc_id: str) -> None:
        # After a rollback the object in memory may hold values that were never saved.
        self.providers.pop(cqc_id, None)
        self._load_providers({cqc_id})

    def _load_providers(self, cqc_ids: set[str]) -> None:
        missing = cqc_ids - self.providers.keys()
        if missing:
            self.providers.update(Provider.objects.in_bulk(list(missing), field_name="cqc_id"))

    def _import_provider(self, record: ProviderRecord) -> None:
        values = record.field_values()
        existing = self.providers.get(record.cqc_id)
        if existing is None:
            changed = list(values)
            provider = Provider(**values)
        else:
            changed = [name for name, value in values.items() if getattr(existing, name) != value]
            if not changed:
                self.summary.providers_unchanged += 1
                return
            provider = existing
            for name in changed:
                setattr(provider, name, values[name])
        self._clean(provider, f"provider {record.cqc_id}")
        with transaction.atomic():
            self._save(provider)
            audit_event_record(
                by=self.by,
                subject=provider,
                action="register.import.update" if existing else "register.import.create",
                data={"changed": changed},
            )
        self.providers[record.cqc_id] = provider
        if existing is None:
            self.summary.providers_created += 1
        else:
            self.summary.providers_updated += 1

    # Locations ---------------------------------------------------------------

    def import_locations(self, records: Sequence[LocationRecord]) -> None:
        for chunk in _chunks(records):
            self._load_providers({record.provider_cqc_id for record in chunk})
            states = self._load_locations([record.cqc_id for record in chunk])
            for record in chunk:
                state = states.get(record.cqc_id)
                try:
                    state = self._import_location(record, state)
                except RegisterRecordCannotBeImported as exc:
                    self.summary.skipped.append((exc.record_id, exc.message))
                    state = self._reload_location(record.cqc_id)
                except DatabaseError as exc:
                    self.summary.skipped.append((f"location {record.cqc_id}", _database_message(exc)))
                    state = self._reload_location(record.cqc_id)
                # The same location may come again later in the input: it is compared with this state.
                if state is None:
                    states.pop(record.cqc_id, None)
                else:
                    states[record.cqc_id] = state

    def _load_locations(self, cqc_ids: list[str]) -> dict[str, _LocationState]:
        locations = Location.objects.in_bulk(cqc_ids, field_name="cqc_id")
        by_pk = {location.pk: location for location in locations.values()}
        states = {location.pk: _LocationState(location, set(), set(), {}) for location in locations.values()}
        if not states:
            return {}
        for location_id, service_type_id in Location.service_types.through.objects.filter(
            location_id__in=by_pk
        ).values_list("location_id", "servicetype_id"):
            states[location_id].service_type_ids.add(service_type_id)
        for location_id, activity_id in Location.regulated_activities.through.objects.filter(
            location_id__in=by_pk
        ).values_list("location_id", "regulatedactivity_id"):
            states[location_id].activity_ids.add(activity_id)
        for rating in PublishedRating.objects.filter(location_id__in=by_pk, is_current=True):
            states[rating.location_id].current_ratings[rating.key_question] = rating
        return {by_pk[pk].cqc_id: state for pk, state in states.items()}

    def _reload_location(self, cqc_id: str) -> _LocationState | None:
        # After a rollback the objects in memory may hold values that were never saved.
        return self._load_locations([cqc_id]).get(cqc_id)

    def _import_location(self, record: LocationRecord, state: _LocationState | None) -> _LocationState:
        plan = self._plan_location(record, state)
        if state is not None and not plan.changed:
            self.summary.locations_unchanged += 1
            return state
        location = state.location if state is not None else Location(cqc_id=record.cqc_id)
        values = record.field_values()
        for name in plan.changed:
            if name in values:
                setattr(location, name, values[name])
        new_ratings = [
            PublishedRating(
                key_question=rating.key_question,
                rating=rating.rating,
                report_date=rating.report_date,
                report_link_id=rating.report_link_id,
                source=PublishedRating.Source.PREVIOUS_MODEL,
                is_current=True,
            )
            for rating in plan.ratings_to_create
        ]
        # Field checks before any write. The provider is checked by the database, and
        # postcode_compact is derived on save.
        record_id = f"location {record.cqc_id}"
        self._clean(location, record_id, exclude=["provider", "relationship_holder", "postcode_compact"])
        for rating in new_ratings:
            self._clean(rating, record_id, exclude=["location"])
        created = _Created()
        with transaction.atomic():
            new_state = self._write_location(record, location, state, plan, new_ratings, created)
        # Committed: only now do the caches and the summary learn of the new rows.
        for provider in created.providers:
            self.providers[provider.cqc_id] = provider
            self.summary.placeholder_providers.append(provider.cqc_id)
        for service_type in created.service_types:
            self.service_types[service_type.name.casefold()] = service_type
            self.summary.new_service_types.append(service_type.name)
        for activity in created.activities:
            self.activities[activity.code.upper()] = activity
            self.summary.new_regulated_activities.append(activity.code)
        self.summary.ratings_created += len(new_ratings)
        self.summary.ratings_replaced += len(plan.ratings_to_retire)
        if state is None:
            self.summary.locations_created += 1
        else:
            self.summary.locations_updated += 1
        return new_state

    def _write_location(
        self,
        record: LocationRecord,
        location: Location,
        state: _LocationState | None,
        plan: _LocationPlan,
        new_ratings: list[PublishedRating],
        created: _Created,
    ) -> _LocationState:
        location.provider = plan.provider or self._create_placeholder_provider(
            record.provider_cqc_id, created, location_name=record.name
        )
        service_type_ids = plan.service_type_ids | {
            self._create_service_type(ref, record.cqc_id, created).pk for ref in plan.new_service_types
        }
        activity_ids = plan.activity_ids | {
            self._create_activity(ref, record.cqc_id, created).pk for ref in plan.new_activities
        }
        self._save(location)
        _set_links(
            Location.service_types.through,
            location,
            "servicetype_id",
            state.service_type_ids if state else set(),
            service_type_ids,
        )
        _set_links(
            Location.regulated_activities.through,
            location,
            "regulatedactivity_id",
            state.activity_ids if state else set(),
            activity_ids,
        )
        current_ratings = dict(state.current_ratings) if state else {}
        if plan.ratings_to_retire:
            for rating in plan.ratings_to_retire:
                rating.is_current = False
                del current_ratings[rating.key_question]
            bulk_update_with_history(
                plan.ratings_to_retire,
                PublishedRating,
                ["is_current"],
                default_user=self.by,
                default_change_reason=CHANGE_REASON,
            )
        if new_ratings:
            for rating in new_ratings:
                rating.location = location
            for rating in bulk_create_with_history(
                new_ratings, PublishedRating, default_user=self.by, default_change_reason=CHANGE_REASON
            ):
                current_ratings[rating.key_question] = rating
        audit_event_record(
            by=self.by,
            subject=location,
            action="register.import.update" if state else "register.import.create",
            data={"changed": plan.changed},
        )
        return _LocationState(location, service_type_ids, activity_ids, current_ratings)

    def _plan_location(self, record: LocationRecord, state: _LocationState | None) -> _LocationPlan:
        values = record.field_values()
        provider = self.providers.get(record.provider_cqc_id)
        if state is None:
            changed = [*values, "provider"]
        else:
            location = state.location
            changed = [name for name, value in values.items() if getattr(location, name) != value]
            if provider is None or location.provider_id != provider.pk:
                changed.append("provider")

        service_type_ids = set()
        new_service_types = []
        for ref in record.service_types:
            known = self.service_types.get(ref.name.casefold())
            if known is None:
                new_service_types.append(ref)
            else:
                service_type_ids.add(known.pk)
        if new_service_types or service_type_ids != (state.service_type_ids if state else set()):
            changed.append("service_types")

        activity_ids = set()
        new_activities = []
        for ref in record.regulated_activities:
            known = self.activities.get(ref.code)
            if known is None:
                new_activities.append(ref)
            else:
                activity_ids.add(known.pk)
        if new_activities or activity_ids != (state.activity_ids if state else set()):
            changed.append("regulated_activities")

        to_retire, to_create = _rating_changes(record.ratings, state.current_ratings if state else {})
        if to_retire or to_create:
            changed.append("published_ratings")
        return _LocationPlan(
            changed=changed,
            provider=provider,
            service_type_ids=service_type_ids,
            new_service_types=new_service_types,
            activity_ids=activity_ids,
            new_activities=new_activities,
            ratings_to_retire=to_retire,
            ratings_to_create=to_create,
        )

    def _create_placeholder_provider(self, cqc_id: str, created: _Created, *, location_name: str) -> Provider:
        # Until the provider's own body is imported, name it by the location that names it: readable on
        # public pages, and plainly not its legal name.
        provider = Provider(
            cqc_id=cqc_id,
            name=self.listed_names.get(cqc_id) or f"Provider of {location_name}"[:300],
            type=Provider.Type.ORGANISATION,
        )
        self._clean(provider, f"provider {cqc_id}")
        self._save(provider)
        audit_event_record(
            by=self.by,
            subject=provider,
            action="register.import.create",
            reason="Placeholder: a location names this provider, whose own record was not in the import.",
            data={"changed": ["cqc_id", "name", "type"]},
        )
        created.providers.append(provider)
        return provider

    def _create_service_type(self, ref: ServiceTypeRef, location_cqc_id: str, created: _Created) -> ServiceType:
        service_type = ServiceType(
            name=ref.name, description=ref.description, sector=ref.sector, is_rated=True, rating_levels=[1, 2]
        )
        self._clean(service_type, f"location {location_cqc_id}")
        self._save(service_type)
        audit_event_record(
            by=self.by,
            subject=service_type,
            action="register.import.create",
            reason=f"New service type on location {location_cqc_id}: rated at levels 1 and 2 until reviewed.",
            data={"changed": ["name", "description", "sector", "is_rated", "rating_levels"]},
        )
        created.service_types.append(service_type)
        return service_type

    def _create_activity(self, ref: ActivityRef, location_cqc_id: str, created: _Created) -> RegulatedActivity:
        activity = RegulatedActivity(code=ref.code, name=ref.name)
        self._clean(activity, f"location {location_cqc_id}")
        activity.save()
        audit_event_record(
            by=self.by,
            subject=activity,
            action="register.import.create",
            reason=f"New regulated activity on location {location_cqc_id}.",
            data={"changed": ["code", "name"]},
        )
        created.activities.append(activity)
        return activity

    # Helpers -----------------------------------------------------------------

    def _clean(self, instance: models.Model, record_id: str, exclude: list[str] | None = None) -> None:
        # Field checks only: uniqueness and the check constraints are the database's (and the
        # parser's) job, and checking them here would cost queries for every record.
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise RegisterRecordCannotBeImported(record_id, _validation_message(exc)) from exc

    def _save(self, instance: models.Model) -> None:
        if self.by is not None:
            instance._history_user = self.by
        instance._change_reason = CHANGE_REASON
        instance.save()


def _rating_changes(
    ratings: tuple[RatingRecord, ...] | None, current: dict[str, PublishedRating]
) -> tuple[list[PublishedRating], list[RatingRecord]]:
    """The current ratings to retire and the ratings to create so the previous-model ratings match ``ratings``."""
    if ratings is None:
        return [], []
    to_retire = []
    to_create = []
    imported = {rating.key_question for rating in ratings}
    for rating in ratings:
        existing = current.get(rating.key_question)
        if existing is not None and existing.source == PublishedRating.Source.ASSESSMENT:
            # A rating published from an assessment here is newer than anything the previous
            # model's register holds: it stays current.
            continue
        if existing is not None and (existing.rating, existing.report_date, existing.report_link_id) == (
            rating.rating,
            rating.report_date,
            rating.report_link_id,
        ):
            continue
        if existing is not None:
            to_retire.append(existing)
        to_create.append(rating)
    # A key question the register no longer rates is no longer current here either.
    to_retire.extend(
        existing
        for key_question, existing in current.items()
        if key_question not in imported and existing.source == PublishedRating.Source.PREVIOUS_MODEL
    )
    return to_retire, to_create


def _set_links(
    through: type[models.Model], location: Location, column: str, linked: set[int], wanted: set[int]
) -> None:
    # Through rows directly: one delete and one insert at most, instead of the read-then-write of
    # ``.set()`` for every location. Nothing listens for m2m_changed on these relations.
    removed = linked - wanted
    added = wanted - linked
    if removed:
        through.objects.filter(location_id=location.pk, **{f"{column}__in": removed}).delete()
    if added:
        through.objects.bulk_create([through(location_id=location.pk, **{column: pk}) for pk in sorted(added)])


def _database_message(exc: DatabaseError) -> str:
    return f"the database refused it ({' '.join(str(exc).split())})"
