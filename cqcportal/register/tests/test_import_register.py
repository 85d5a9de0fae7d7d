"""Tests of importing the register from CQC API bodies: the parser, the service and the command."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cqcportal.audit.models import AuditEvent
from cqcportal.register import importer
from cqcportal.register.importer import (
    RegisterDocumentCannotBeRead,
    RegisterRecordCannotBeImported,
    bodies_from_document,
    location_record_from_body,
    register_import,
)
from cqcportal.register.models import (
    KeyQuestion,
    Location,
    Provider,
    PublishedRating,
    RegistrationStatus,
    RegulatedActivity,
    Sector,
    ServiceType,
)
from cqcportal.tests.shared_data import shared_file

# /work/main/cqcportal/register/tests/this_file -> /work/shared/data/cqc
SAMPLES = shared_file("cqc/locations_sample.json").parent
DATA = Path(__file__).resolve().parent / "data"


def sample_bodies() -> list:
    """The real providers sample (20 providers and a list page), then the 150 real locations."""
    bodies = []
    for name in ("providers_sample.json", "locations_sample.json"):
        bodies.extend(bodies_from_document(json.loads((SAMPLES / name).read_text())))
    return bodies


def location_body(**changes) -> dict:
    body = json.loads((DATA / "location_body.json").read_text())
    body.update(changes)
    return body


def provider_body(**changes) -> dict:
    body = json.loads((DATA / "provider_body.json").read_text())
    body.update(changes)
    return body


def history_rows() -> int:
    return sum(model.history.count() for model in (Provider, Location, PublishedRating, ServiceType))


def current_ratings(cqc_id: str) -> dict:
    return {r.key_question: r for r in PublishedRating.objects.filter(location__cqc_id=cqc_id, is_current=True)}


# The real samples -------------------------------------------------------------


@pytest.mark.django_db
def test_register_import_samples_creates_providers_locations_and_ratings():
    with CaptureQueriesContext(connection) as queries:
        summary = register_import(bodies=sample_bodies())

    assert summary.skipped == []
    assert (summary.providers_created, summary.locations_created) == (20, 150)
    # 127 providers run the 150 locations; the providers sample has 16 of them.
    assert len(summary.placeholder_providers) == 111
    assert summary.new_service_types == []
    assert Location.objects.count() == 150
    assert Provider.objects.count() == 131
    # A create is a handful of writes per record, never reads per record.
    assert len(queries) <= 12 * 150

    # A deregistered care home, rated before it closed; key questions carried forward keep their dates.
    park_hills = Location.objects.get(cqc_id="1-113831768")
    assert park_hills.registration_status == RegistrationStatus.DEREGISTERED
    assert park_hills.deregistration_date == datetime.date(2024, 2, 1)
    assert park_hills.care_home is True
    assert park_hills.number_of_beds == 17
    assert park_hills.provider.name == "Mrs Barbara Rogers"
    assert park_hills.provider.type == Provider.Type.INDIVIDUAL
    ratings = current_ratings("1-113831768")
    assert {kq: (r.rating, r.report_date) for kq, r in ratings.items()} == {
        KeyQuestion.OVERALL: ("good", datetime.date(2022, 8, 26)),
        KeyQuestion.SAFE: ("good", datetime.date(2022, 8, 26)),
        KeyQuestion.EFFECTIVE: ("good", datetime.date(2018, 8, 11)),
        KeyQuestion.CARING: ("good", datetime.date(2018, 8, 11)),
        KeyQuestion.RESPONSIVE: ("good", datetime.date(2022, 8, 26)),
        KeyQuestion.WELL_LED: ("good", datetime.date(2022, 8, 26)),
    }
    assert ratings[KeyQuestion.CARING].report_link_id == "0562aff9-7ba1-4645-959b-bc5753905d4e"
    assert {r.source for r in ratings.values()} == {PublishedRating.Source.PREVIOUS_MODEL}

    # A registered homecare agency whose provider's own body was not in the samples.
    ebenezer = Location.objects.get(cqc_id="1-10024040008")
    assert ebenezer.registration_status == RegistrationStatus.REGISTERED
    assert ebenezer.deregistration_date is None
    assert ebenezer.registered_manager_name == "Mrs Theresa Sekai Fairgrieve"
    assert ebenezer.postcode_compact == "M359BG"
    assert list(ebenezer.service_types.values_list("name", flat=True)) == ["Homecare agencies"]
    assert list(ebenezer.regulated_activities.values_list("code", flat=True)) == ["RA1"]
    assert ebenezer.provider.name == "Provider of Ebenezer Care Services"
    assert ebenezer.published_ratings.count() == 0

    # Two registered managers; a location with no published rating yet.
    assert (
        Location.objects.get(cqc_id="1-14919948045").registered_manager_name
        == "Mrs Farhana Hossain and Ms Sonia Shabir"
    )
    assert current_ratings("1-10431632015")[KeyQuestion.OVERALL].rating == "no_published_rating"
    assert current_ratings("1-10431632015")[KeyQuestion.OVERALL].report_date is None

    northern = Provider.objects.get(cqc_id="1-101662271")
    assert northern.nominated_individual_name == "Mrs Tracey Diane Wilson"
    assert northern.sector_type == "Social Care Org"
    assert AuditEvent.objects.filter(action="register.import.create", actor=None).count() == 20 + 111 + 150


@pytest.mark.django_db
def test_register_import_samples_twice_changes_nothing():
    register_import(bodies=sample_bodies())
    counts = (Provider.objects.count(), Location.objects.count(), PublishedRating.objects.count())
    history = history_rows()
    audit_events = AuditEvent.objects.count()

    with CaptureQueriesContext(connection) as queries:
        summary = register_import(bodies=sample_bodies())

    assert (summary.providers_created, summary.providers_updated, summary.providers_unchanged) == (0, 0, 20)
    assert (summary.locations_created, summary.locations_updated, summary.locations_unchanged) == (0, 0, 150)
    assert (summary.ratings_created, summary.ratings_replaced) == (0, 0)
    assert summary.placeholder_providers == []
    assert summary.skipped == []
    assert (Provider.objects.count(), Location.objects.count(), PublishedRating.objects.count()) == counts
    assert history_rows() == history
    assert AuditEvent.objects.count() == audit_events
    # Reads only, in bulk: the catalogue, providers, locations, their links and ratings.
    assert len(queries) <= 10


# Changes ----------------------------------------------------------------------


@pytest.mark.django_db
def test_register_import_changed_body_updates_only_that_record():
    other = location_body(locationId="1-900000002", name="Other House")
    register_import(bodies=[provider_body(), location_body(), other])
    safe_before = current_ratings("1-900000001")[KeyQuestion.SAFE]
    caring_before = current_ratings("1-900000001")[KeyQuestion.CARING]
    history = history_rows()

    changed = location_body(name="Example House Nursing")
    changed["currentRatings"]["overall"]["keyQuestionRatings"][0].update(
        rating="Good", reportDate="2024-01-15", reportLinkId="00000000-0000-0000-0000-000000000003"
    )
    summary = register_import(bodies=[provider_body(), changed, other])

    assert (summary.locations_updated, summary.locations_unchanged, summary.providers_unchanged) == (1, 1, 1)
    assert (summary.ratings_created, summary.ratings_replaced) == (1, 1)
    location = Location.objects.get(cqc_id="1-900000001")
    assert location.name == "Example House Nursing"
    ratings = current_ratings("1-900000001")
    assert (ratings[KeyQuestion.SAFE].rating, ratings[KeyQuestion.SAFE].report_date) == (
        "good",
        datetime.date(2024, 1, 15),
    )
    assert ratings[KeyQuestion.CARING].pk == caring_before.pk
    safe_before.refresh_from_db()
    assert safe_before.is_current is False
    assert PublishedRating.objects.filter(location=location, key_question=KeyQuestion.SAFE).count() == 2
    # One location row changed, one rating retired, one created.
    assert history_rows() == history + 3
    event = AuditEvent.objects.get(action="register.import.update")
    assert event.object_id == str(location.pk)
    assert event.data == {"changed": ["name", "published_ratings"]}
    assert event.provider_id == location.provider_id


@pytest.mark.django_db
def test_register_import_normalises_ratings_and_keeps_each_report_date():
    register_import(bodies=[location_body()])

    ratings = current_ratings("1-900000001")
    assert ratings[KeyQuestion.OVERALL].rating == "requires_improvement"  # "Requires Improvement"
    assert ratings[KeyQuestion.SAFE].rating == "requires_improvement"  # "Requires improvement"
    assert ratings[KeyQuestion.EFFECTIVE].report_date == datetime.date(2019, 11, 2)
    assert ratings[KeyQuestion.WELL_LED].report_date == datetime.date(2023, 5, 10)


@pytest.mark.django_db
def test_register_import_body_without_current_ratings_leaves_ratings_alone():
    register_import(bodies=[location_body()])
    body = location_body(name="Renamed House")
    del body["currentRatings"]

    summary = register_import(bodies=[body])

    assert summary.locations_updated == 1
    assert len(current_ratings("1-900000001")) == 6
    assert summary.ratings_replaced == 0


@pytest.mark.django_db
def test_register_import_assessment_rating_stays_current():
    register_import(bodies=[location_body()])
    location = Location.objects.get(cqc_id="1-900000001")
    location.published_ratings.filter(key_question=KeyQuestion.OVERALL).update(is_current=False)
    PublishedRating.objects.create(
        location=location,
        key_question=KeyQuestion.OVERALL,
        rating="good",
        report_date=datetime.date(2025, 3, 1),
        source=PublishedRating.Source.ASSESSMENT,
    )

    summary = register_import(bodies=[location_body()])

    assert summary.locations_unchanged == 1
    assert current_ratings("1-900000001")[KeyQuestion.OVERALL].source == PublishedRating.Source.ASSESSMENT


@pytest.mark.django_db
def test_register_import_placeholder_provider_completed_by_its_body():
    summary = register_import(bodies=[location_body()])
    assert summary.placeholder_providers == ["1-800000001"]
    assert Provider.objects.get(cqc_id="1-800000001").name == "Provider of Example House"

    summary = register_import(bodies=[location_body(), provider_body()])

    assert (summary.providers_updated, summary.locations_unchanged, summary.placeholder_providers) == (1, 1, [])
    provider = Provider.objects.get(cqc_id="1-800000001")
    assert provider.name == "Example Care Limited"
    assert provider.nominated_individual_name == "Mr Sam Sample"


@pytest.mark.django_db
def test_register_import_placeholder_provider_named_from_a_list_page():
    page = {"providers": [{"providerId": "1-800000001", "providerName": "Listed Care Ltd"}], "total": 1}

    summary = register_import(bodies=[location_body(), page])

    assert summary.skipped == []
    assert Location.objects.get(cqc_id="1-900000001").provider.name == "Listed Care Ltd"


@pytest.mark.django_db
def test_register_import_unknown_service_type_and_activity_added_for_review():
    body = location_body(type="Independent Healthcare Org")
    body["gacServiceTypes"].append({"name": "Space medicine", "description": "Care in orbit"})
    body["regulatedActivities"].append({"code": "RA99", "name": "Zero gravity care"})

    summary = register_import(bodies=[body])

    assert summary.new_service_types == ["Space medicine"]
    assert summary.new_regulated_activities == ["RA99"]
    new = ServiceType.objects.get(name="Space medicine")
    assert (new.sector, new.is_rated, new.rating_levels) == (Sector.INDEPENDENT_HEALTH, True, [1, 2])
    location = Location.objects.get(cqc_id="1-900000001")
    assert set(location.service_types.values_list("name", flat=True)) == {"Residential homes", "Space medicine"}
    assert RegulatedActivity.objects.get(code="RA99").name == "Zero gravity care"
    assert register_import(bodies=[body]).new_service_types == []


# Bad records ------------------------------------------------------------------


def _without_location_id():
    body = location_body()
    del body["locationId"]
    return body


def _too_long_service_type():
    body = location_body()
    body["gacServiceTypes"].append({"name": "x" * 201})
    return body


@pytest.mark.parametrize(
    ("bad", "record_id", "reason"),
    [
        (_without_location_id, "location without locationId (input body 2)", "missing locationId"),
        (
            lambda: location_body(registrationDate="2020-13-45"),
            "location 1-900000001",
            "registrationDate '2020-13-45' is not a date (YYYY-MM-DD)",
        ),
        (
            lambda: location_body(numberOfBeds="lots"),
            "location 1-900000001",
            "numberOfBeds should be a whole number, not 'lots'",
        ),
        (lambda: location_body(name=42), "location 1-900000001", "name should be text, not a number"),
        (
            lambda: location_body(postalCode="OL9 9ZZ OL9 9ZZ"),
            "location 1-900000001",
            "postalCode: Ensure this value has at most 10 characters (it has 15).",
        ),
        (
            lambda: location_body(registrationStatus="Registered", deregistrationDate="2024-01-01"),
            "location 1-900000001",
            "deregistrationDate 2024-01-01 given for a registered location",
        ),
        (
            lambda: location_body(currentRatings={"overall": {"rating": "Brilliant"}}),
            "location 1-900000001",
            "currentRatings.overall.rating 'Brilliant' is not a rating",
        ),
        # Fails inside the transaction, after its placeholder provider was written.
        (_too_long_service_type, "location 1-900000001", "name: Ensure this value has at most 200 characters"),
    ],
)
@pytest.mark.django_db
def test_register_import_bad_record_skipped_and_good_ones_imported(bad, record_id, reason):
    good = location_body(locationId="1-900000002", providerId="1-800000002")

    summary = register_import(bodies=[good, bad()])

    assert len(summary.skipped) == 1
    assert summary.skipped[0][0] == record_id
    assert summary.skipped[0][1].startswith(reason)
    assert summary.locations_created == 1
    assert list(Location.objects.values_list("cqc_id", flat=True)) == ["1-900000002"]
    assert list(Provider.objects.values_list("cqc_id", flat=True)) == ["1-800000002"]
    assert PublishedRating.objects.exclude(location__cqc_id="1-900000002").count() == 0
    assert not ServiceType.objects.filter(name__startswith="xxx").exists()
    assert AuditEvent.objects.count() == 2  # the good location and its placeholder provider


@pytest.mark.django_db
def test_register_import_database_error_rolls_back_the_whole_record(monkeypatch):
    record_audit = importer.audit_event_record

    def clash(*, subject, **kwargs):
        # As if another import had just written the same location: the database refuses the
        # record after its placeholder provider, new service type, location and ratings were written.
        if isinstance(subject, Location) and subject.cqc_id == "1-900000001":
            Location.objects.bulk_create([Location(cqc_id="1-900000001", provider=subject.provider, postcode="X")])
        return record_audit(subject=subject, **kwargs)

    monkeypatch.setattr(importer, "audit_event_record", clash)
    good = location_body(locationId="1-900000002", providerId="1-800000002")
    body = location_body()
    body["gacServiceTypes"].append({"name": "Space medicine"})

    summary = register_import(bodies=[body, good])

    assert [record_id for record_id, _reason in summary.skipped] == ["location 1-900000001"]
    assert summary.skipped[0][1].startswith("the database refused it (")
    assert list(Location.objects.values_list("cqc_id", flat=True)) == ["1-900000002"]
    assert not Provider.objects.filter(cqc_id="1-800000001").exists()
    assert not ServiceType.objects.filter(name="Space medicine").exists()
    assert (summary.new_service_types, summary.placeholder_providers) == ([], ["1-800000002"])
    assert PublishedRating.objects.filter(location__cqc_id="1-900000002").count() == 6
    assert not PublishedRating.history.exclude(location__cqc_id="1-900000002").exists()
    assert Location.history.filter(cqc_id="1-900000001").count() == 0
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_register_import_bad_provider_skipped():
    summary = register_import(bodies=[provider_body(ownershipType="Cooperative"), provider_body(providerId="1-3")])

    assert summary.skipped == [
        ("provider 1-800000001", "ownershipType 'Cooperative' is not Organisation, Partnership, Individual or NHS Body")
    ]
    assert list(Provider.objects.values_list("cqc_id", flat=True)) == ["1-3"]


@pytest.mark.django_db
def test_register_import_reports_bodies_that_are_not_records():
    summary = register_import(bodies=[{"organisationType": "Brand", "brandId": "BD1"}, "text"])

    assert summary.skipped == [
        ("input body 1", "not a provider or location body"),
        ("input body 2", "not a provider or location body"),
    ]


# Parsing ----------------------------------------------------------------------


def test_location_record_from_body_reads_the_register_fields():
    record = location_record_from_body(location_body())

    assert record.provider_cqc_id == "1-800000001"
    assert (record.town, record.county, record.postcode, record.region) == (
        "Oldham",
        "Lancashire",
        "OL9 9ZZ",
        "North West",
    )
    assert (record.care_home, record.number_of_beds) == (True, 30)
    assert record.registration_date == datetime.date(2019, 4, 1)
    assert record.registered_manager_name == "Ms Alex Example"
    assert [ref.name for ref in record.service_types] == ["Residential homes"]
    assert [ref.code for ref in record.regulated_activities] == ["RA2"]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("North West", "North West"),
        ("north west", "North West"),
        ("Yorkshire & Humberside", "Yorkshire & Humberside"),
        ("Yorkshire and the Humber", "Yorkshire & Humberside"),
        ("Atlantis", "Unspecified"),
        (None, "Unspecified"),
    ],
)
def test_location_record_from_body_maps_regions(region, expected):
    assert location_record_from_body(location_body(region=region)).region == expected


def test_location_record_from_body_key_question_without_date_takes_the_overall_date():
    body = location_body()
    del body["currentRatings"]["overall"]["keyQuestionRatings"][1]["reportDate"]

    ratings = {r.key_question: r for r in location_record_from_body(body).ratings}

    assert ratings[KeyQuestion.EFFECTIVE].report_date == datetime.date(2023, 5, 10)


def test_location_record_from_body_rejects_a_key_question_rated_twice():
    body = location_body()
    body["currentRatings"]["overall"]["keyQuestionRatings"].append({"name": "Safe", "rating": "Good"})

    with pytest.raises(RegisterRecordCannotBeImported, match="Safe is rated twice"):
        location_record_from_body(body)


def test_bodies_from_document_accepts_the_three_shapes():
    body = location_body()

    assert bodies_from_document({"responses": [{"request": "GET /locations/1", "body": body}]}) == [body]
    assert bodies_from_document(body) == [body]
    assert bodies_from_document([body, {"body": body}]) == [body, body]


@pytest.mark.parametrize("document", [{"name": "not a body"}, 42, "text", None, {"responses": {}}])
def test_bodies_from_document_rejects_other_shapes(document):
    with pytest.raises(RegisterDocumentCannotBeRead):
        bodies_from_document(document)


# The command ------------------------------------------------------------------


def _run(*args) -> tuple[str, str, CommandError | None]:
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_register", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        return stdout.getvalue(), stderr.getvalue(), exc
    return stdout.getvalue(), stderr.getvalue(), None


@pytest.mark.django_db
def test_import_register_command_reads_each_shape_and_prints_a_summary(tmp_path):
    (tmp_path / "provider.json").write_text(json.dumps(provider_body()))
    bad = location_body(locationId="1-900000003", postalCode="")
    (tmp_path / "locations.json").write_text(
        json.dumps([{"body": location_body()}, location_body(locationId="1-900000002"), bad])
    )

    out, err, error = _run(str(tmp_path / "locations.json"), str(tmp_path / "provider.json"))

    assert error is None
    assert err == ""
    assert out.splitlines() == [
        "Providers: 1 created, 0 updated, 0 unchanged.",
        "Locations: 2 created, 0 updated, 0 unchanged.",
        "Published ratings: 12 created, 0 replaced.",
        "Skipped 1:",
        "  location 1-900000003: missing postalCode",
    ]
    # The provider was imported first, so no placeholder was needed.
    assert Location.objects.get(cqc_id="1-900000001").provider.name == "Example Care Limited"

    out, err, error = _run(str(tmp_path / "locations.json"), str(tmp_path / "provider.json"))
    assert out.splitlines()[:2] == [
        "Providers: 0 created, 0 updated, 1 unchanged.",
        "Locations: 0 created, 0 updated, 2 unchanged.",
    ]


@pytest.mark.django_db
def test_import_register_command_unreadable_file_fails_after_importing_the_others(tmp_path):
    (tmp_path / "broken.json").write_text('{"responses": [')
    (tmp_path / "odd.json").write_text('{"hello": "world"}')
    (tmp_path / "good.json").write_text(json.dumps(location_body()))

    out, err, error = _run(
        str(tmp_path / "broken.json"),
        str(tmp_path / "odd.json"),
        str(tmp_path / "missing.json"),
        str(tmp_path / "good.json"),
    )

    assert str(error) == "3 of 4 files could not be read."
    lines = err.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'broken.json'}: not valid JSON (Expecting value: line 1")
    assert lines[1].startswith(f'{tmp_path / "odd.json"}: expected {{"responses"')
    assert lines[2] == f"{tmp_path / 'missing.json'}: cannot be read (No such file or directory)"
    assert "Locations: 1 created" in out
    assert Location.objects.filter(cqc_id="1-900000001").exists()


@pytest.mark.django_db
def test_import_register_command_strict_fails_on_a_skipped_record(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps([location_body(numberOfBeds="lots")]))

    out, _err, error = _run("--strict", str(tmp_path / "bad.json"))

    assert str(error) == "1 records were skipped (--strict)."
    assert "  location 1-900000001: numberOfBeds should be a whole number, not 'lots'" in out.splitlines()


@pytest.mark.django_db
def test_import_register_command_reads_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"responses": [{"body": location_body()}]})))

    out, _err, error = _run("-")

    assert error is None
    assert "Locations: 1 created, 0 updated, 0 unchanged." in out
    assert "Placeholder providers: 1 created" in out
