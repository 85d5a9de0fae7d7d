"""Providers and locations in the shapes of the English register.

Six kinds of location in their national shares (``world.SECTORS``). Most adult social care and dental providers
run one location and a few chains run tens to hundreds; GP practices are partnerships; NHS trusts run several
hospitals and community services each; ambulance locations are NHS ambulance trusts' stations and small
independent services. A few percent of locations have closed (deregistered); a provider is deregistered when all
its locations are.
"""

from __future__ import annotations

import datetime
import math
import random

from cqcportal.core.national import places
from cqcportal.core.national.world import NHS_TYPE, SECTORS, LocationRecord, ProviderRecord, Settings
from cqcportal.register.models import Location, Provider

# (probability, smallest, largest) number of locations per provider; bands above 4 shrink with the run's size.
SHAPES = {
    "asc": [(0.76, 1, 1), (0.16, 2, 4), (0.06, 5, 19), (0.015, 20, 99), (0.005, 100, 300)],
    "dental": [(0.80, 1, 1), (0.14, 2, 4), (0.05, 5, 19), (0.008, 20, 99), (0.002, 100, 650)],
    "gp": [(0.93, 1, 1), (0.06, 2, 4), (0.009, 5, 30), (0.001, 30, 80)],
    "ind": [(0.70, 1, 1), (0.18, 2, 4), (0.09, 5, 19), (0.025, 20, 60), (0.005, 60, 160)],
    "amb": [(0.75, 1, 1), (0.2, 2, 4), (0.05, 5, 9)],
}
PROVIDER_TYPES = {  # (organisation, individual, partnership)
    "asc": (0.86, 0.09, 0.05),
    "dental": (0.5, 0.35, 0.15),
    "gp": (0.12, 0.2, 0.68),
    "ind": (0.92, 0.05, 0.03),
    "amb": (0.9, 0.08, 0.02),
}
FIRST_REGISTRATION = {  # when each kind came under registration, and the share registered on that first day
    "asc": (datetime.date(2010, 10, 1), 0.3),
    "dental": (datetime.date(2011, 4, 1), 0.4),
    "gp": (datetime.date(2013, 4, 1), 0.7),
    "ind": (datetime.date(2010, 10, 1), 0.25),
    "nhs": (datetime.date(2010, 4, 1), 0.9),
    "amb": (datetime.date(2010, 10, 1), 0.3),
}
DEREGISTERED_SHARE = 0.04

# Service types and regulated activities of each kind of location: (weight, service types, activities, extras).
# Extras are further activities, each with its probability.
SERVICES = {
    "asc": [
        (27, ["Residential homes"], ["RA2"], [("RA1", 0.2)]),
        (16, ["Nursing homes"], ["RA2", "RA5", "RA8"], [("RA14", 0.3)]),
        (6, ["Nursing homes", "Residential homes"], ["RA2", "RA5", "RA8"], []),
        (37, ["Homecare agencies"], ["RA1"], []),
        (6, ["Homecare agencies", "Supported living"], ["RA1"], []),
        (5, ["Supported living"], ["RA1"], []),
        (1, ["Shared lives"], ["RA1"], [("RA2", 0.3)]),
        (2, ["Supported housing", "Homecare agencies"], ["RA1"], []),
    ],
    "dental": [(1, ["Dentist"], ["RA5", "RA8"], [("RA7", 0.6)])],
    "gp": [
        (92, ["Doctors/Gps"], ["RA5", "RA8"], [("RA7", 0.5), ("RA11", 0.2), ("RA15", 0.6), ("RA10", 0.1)]),
        (8, ["Urgent care services & mobile doctors"], ["RA5", "RA10"], [("RA8", 0.5)]),
    ],
    "ind": [
        (35, ["Clinic"], ["RA5", "RA8"], [("RA7", 0.5), ("RA13", 0.05)]),
        (18, ["Diagnosis/screening"], ["RA8"], [("RA5", 0.3)]),
        (6, ["Hospice"], ["RA5"], [("RA2", 0.4), ("RA8", 0.3)]),
        (3, ["Home hospice care"], ["RA5", "RA1"], []),
        (5, ["Rehabilitation (illness/injury)"], ["RA5"], [("RA2", 0.3)]),
        (5, ["Rehabilitation (substance abuse)"], ["RA3", "RA5"], []),
        (10, ["Remote clinical advice"], ["RA10", "RA5"], []),
        (12, ["Hospital"], ["RA5", "RA7", "RA8"], [("RA9", 0.2)]),
        (6, ["Hospitals - Mental health/capacity"], ["RA5", "RA6"], [("RA8", 0.3)]),
    ],
    "nhs": [
        (35, ["Hospital"], ["RA5", "RA7", "RA8", "RA9"], [("RA11", 0.5), ("RA12", 0.15), ("RA15", 0.3)]),
        (20, ["Hospitals - Mental health/capacity"], ["RA5", "RA6", "RA8"], []),
        (25, ["Community services - Healthcare"], ["RA5", "RA8"], [("RA11", 0.2), ("RA15", 0.3)]),
        (12, ["Community services - Mental Health"], ["RA5", "RA6"], []),
        (4, ["Community services - Learning disabilities"], ["RA5"], []),
        (4, ["Community services - Substance abuse"], ["RA5"], []),
    ],
    "amb": [(1, ["Ambulances"], ["RA10", "RA5"], [("RA8", 0.5)])],
}
# How likely a location is to be doing (0) poorly, (1) less well, (2) well or (3) exceptionally well.
QUALITY = {
    "asc": (0.05, 0.22, 0.69, 0.04),
    "dental": (0.03, 0.1, 0.83, 0.04),
    "gp": (0.03, 0.14, 0.79, 0.04),
    "ind": (0.03, 0.16, 0.75, 0.06),
    "nhs": (0.05, 0.4, 0.51, 0.04),
    "amb": (0.04, 0.32, 0.6, 0.04),
}
POSTCODE_UNIT = "ABDEFGHJLNPQRSTUWXYZ"


class Places:
    """Local authorities drawn by population: everywhere, or within one region."""

    def __init__(self):
        self.all = [(region, *la) for region, las in places.LOCAL_AUTHORITIES.items() for la in las]
        self.weights = [la[4] for la in self.all]
        self.by_region = {region: [row for row in self.all if row[0] == region] for region in places.LOCAL_AUTHORITIES}

    def anywhere(self, rng: random.Random):
        return rng.choices(self.all, weights=self.weights)[0]

    def near(self, rng: random.Random, region: str):
        rows = self.by_region[region]
        return rng.choices(rows, weights=[r[4] for r in rows])[0]


def postcode(rng: random.Random, areas: tuple[str, ...]) -> str:
    area = rng.choice(areas)
    district = rng.randint(1, 40 if len(area) == 1 else 20)
    return f"{area}{district} {rng.randint(0, 9)}{rng.choice(POSTCODE_UNIT)}{rng.choice(POSTCODE_UNIT)}"


def _date_between(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    if last <= first:
        return first
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


class RegisterBuilder:
    """Builds the providers and locations of one run in memory (``build``) and writes them (``write``)."""

    def __init__(self, settings: Settings, loader, service_types: dict[str, int], activities: dict[str, int]):
        self.settings = settings
        self.loader = loader
        self.service_type_ids = service_types
        self.activity_ids = activities
        self.rng = settings.rng("register")
        self.places = Places()
        self.providers: list[ProviderRecord] = []
        self.locations: list[LocationRecord] = []
        self.provider_table = loader.table(Provider, [f.attname for f in Provider._meta.concrete_fields])
        self.location_table = loader.table(Location, [f.attname for f in Location._meta.concrete_fields])
        # Register ids already taken (a run appended to an earlier one must not reuse them).
        self._cqc_ids: set[str] = set(Provider.objects.values_list("cqc_id", flat=True))
        self._cqc_ids |= set(Location.objects.values_list("cqc_id", flat=True))
        self._trust_codes: set[str] = set(self._cqc_ids)

    # --- building -----------------------------------------------------------------------------------------------

    def build(self) -> None:
        counts = self._counts()
        for sector, total in counts.items():
            if sector == "nhs":
                self._nhs(total)
            elif sector == "amb":
                self._ambulance(total)
            else:
                for size in self._sizes(sector, total):
                    self._provider(sector, size)
        self._deregister()

    def _counts(self) -> dict[str, int]:
        n = self.settings.locations
        counts = {sector: round(n * share) for sector, (share, _) in SECTORS.items()}
        counts["asc"] += n - sum(counts.values())
        return counts

    def _sizes(self, sector: str, total: int) -> list[int]:
        scale = self.settings.scale
        bands = [(p, lo, hi if hi <= 4 else max(lo, round(hi * scale))) for p, lo, hi in SHAPES[sector]]
        sizes, left = [], total
        while left > 0:
            _, lo, hi = self.rng.choices(bands, weights=[b[0] for b in bands])[0]
            size = min(left, self.rng.randint(lo, hi))
            sizes.append(size)
            left -= size
        return sizes

    def _cqc_id(self) -> str:
        while True:
            value = f"1-{self.rng.randrange(100_000_000, 19_999_999_999)}"
            if value not in self._cqc_ids:
                self._cqc_ids.add(value)
                return value

    def _trust_code(self) -> str:
        letters = "ABCDEFGHJKLMNPQRTVWXY"
        while True:
            code = "R" + self.rng.choice(letters) + self.rng.choice(letters + "0123456789")
            if code not in self._trust_codes:
                self._trust_codes.add(code)
                return code

    def _registration(self, sector: str) -> datetime.date:
        first, share = FIRST_REGISTRATION[sector]
        if self.rng.random() < share:
            return first
        return _date_between(self.rng, first, self.settings.today - datetime.timedelta(days=20))

    def _address(self, la_row) -> tuple[str, str, str, str, str]:
        region, la, towns, areas, _ = la_row
        rng = self.rng
        street = rng.choice(places.STREETS) if rng.random() < 0.5 else f"{rng.choice(places.PLACE_WORDS)} Road"
        return region, la, rng.choice(towns), postcode(rng, areas), f"{rng.randint(1, 240)} {street}"

    def _provider_record(self, sector: str, name: str, ptype: str, la_row, registered: datetime.date, cqc_id=None):
        region, la, town, code, address = self._address(la_row)
        sector_type = NHS_TYPE if ptype == Provider.Type.NHS_TRUST else SECTORS[sector][1]
        provider = ProviderRecord(
            id=self.provider_table.new_id(),
            cqc_id=cqc_id or self._cqc_id(),
            name=name,
            type=ptype,
            sector=sector,
            sector_type=sector_type,
            region=region,
            local_authority=la,
            town=town,
            postcode=code,
            address=address,
            registration_date=registered,
        )
        self.providers.append(provider)
        return provider

    def _provider(self, sector: str, size: int) -> None:
        rng = self.rng
        ptype = rng.choices(
            [Provider.Type.ORGANISATION, Provider.Type.INDIVIDUAL, Provider.Type.PARTNERSHIP],
            weights=PROVIDER_TYPES[sector],
        )[0]
        if size > 4:
            ptype = Provider.Type.ORGANISATION
        home = self.places.anywhere(rng)
        brand = rng.choice(places.CHAIN_WORDS if size > 4 else places.PLACE_WORDS)
        name = self._provider_name(sector, ptype, brand, home)
        provider = self._provider_record(sector, name, ptype, home, self._registration(sector))
        for _ in range(size):
            if size <= 4 or rng.random() < 0.15:
                la_row = home if rng.random() < 0.8 else self.places.near(rng, home[0])
            else:
                la_row = self.places.anywhere(rng)
            self._location(provider, sector, la_row, brand=brand if size > 4 else "")

    def _provider_name(self, sector: str, ptype: str, brand: str, home) -> str:
        rng = self.rng
        first, last, other = (
            rng.choice(places.FIRST_NAMES),
            rng.choice(places.LAST_NAMES),
            rng.choice(places.LAST_NAMES),
        )
        if ptype == Provider.Type.INDIVIDUAL:
            title = "Dr" if sector in ("gp", "dental") or rng.random() < 0.1 else rng.choice(["Mr", "Mrs", "Ms"])
            return f"{title} {first} {last}"
        if ptype == Provider.Type.PARTNERSHIP:
            if sector == "gp":
                return f"Dr {first[0]} {last} and Partners"
            if sector == "dental":
                return f"{last} & {other} Dental Partnership"
            return f"{last} and {other}"
        noun = {
            "asc": rng.choice(["Care", "Care Homes", "Homecare", "Healthcare", "Care Services", "Support"]),
            "dental": rng.choice(["Dental", "Dental Care", "Smile", "Dental Group"]),
            "gp": rng.choice(["Health", "Medical Group", "Healthcare", "Primary Care"]),
            "ind": rng.choice(["Healthcare", "Clinics", "Medical", "Health Services", "Diagnostics"]),
            "amb": rng.choice(["Ambulance Service", "Medical Services", "Patient Transport", "Event Medical"]),
        }[sector]
        suffix = rng.choice(
            ["Limited", "Ltd", "Ltd", "Limited", "LLP", "CIC"] if sector == "asc" else ["Limited", "Ltd"]
        )
        return f"{brand} {noun} {suffix}"

    def _location(self, provider: ProviderRecord, sector: str, la_row, *, brand: str = "", nhs_trust: bool = False):
        rng = self.rng
        _, types, activities, extras = rng.choices(SERVICES[sector], weights=[s[0] for s in SERVICES[sector]])[0]
        activities = list(activities) + [code for code, p in extras if rng.random() < p]
        region, la, town, code, address = self._address(la_row)
        care_home = any(t in ("Residential homes", "Nursing homes") for t in types)
        beds = None
        if care_home:
            beds = rng.randint(20, 120) if "Nursing homes" in types else rng.randint(4, 70)
        elif types[0] in ("Hospital", "Hospitals - Mental health/capacity", "Hospice"):
            beds = rng.randint(10, 900 if nhs_trust and types[0] == "Hospital" else 80)
        registered = provider.registration_date
        if rng.random() < 0.45:
            registered = _date_between(rng, registered, self.settings.today - datetime.timedelta(days=10))
        cqc_id = self._cqc_id()
        if nhs_trust:
            cqc_id = f"{provider.cqc_id}{len(provider.locations) + 1:02d}"
        location = LocationRecord(
            id=self.location_table.new_id(),
            cqc_id=cqc_id,
            provider=provider,
            name=self._location_name(sector, types, brand, town, la, address),
            sector=sector,
            location_type=NHS_TYPE if nhs_trust else SECTORS[sector][1],
            service_types=[self.service_type_ids[t] for t in types],
            activities=[self.activity_ids[a] for a in dict.fromkeys(activities)],
            region=region,
            local_authority=la,
            town=town,
            postcode=code,
            address=address,
            care_home=care_home,
            beds=beds,
            registration_date=registered,
            rated=sector != "dental",
            asc=sector == "asc",
            quality=rng.choices((0, 1, 2, 3), weights=QUALITY[sector])[0],
        )
        provider.locations.append(location)
        self.locations.append(location)
        return location

    def _location_name(self, sector: str, types: list[str], brand: str, town: str, la: str, address: str) -> str:
        rng = self.rng
        word = rng.choice(places.PLACE_WORDS)
        kind = types[0]
        if sector == "asc":
            if kind == "Residential homes":
                return (
                    f"{word} {rng.choice(['House', 'Lodge', 'Court', 'Care Home', 'Manor', 'Hall', 'Grange', 'View'])}"
                )
            if kind == "Nursing homes":
                return f"{word} {rng.choice(['Nursing Home', 'House', 'Court Nursing Home', 'Care Centre', 'Manor'])}"
            if kind == "Shared lives":
                return f"{la} Shared Lives"
            if kind == "Supported living":
                return f"{word} Supported Living Services"
            if kind == "Supported housing":
                return f"{word} Court Extra Care"
            if brand:
                return f"{brand} Homecare - {town}"
            return rng.choice([f"{word} Home Care", f"{town} Homecare Services", f"Caring Hands {town}"])
        if sector == "dental":
            if brand:
                return f"{brand} Dental - {address.split(' ', 1)[1]}, {town}"
            return rng.choice([f"{word} Dental Practice", f"{town} Dental Care", f"{word} Dental Surgery"])
        if sector == "gp":
            if kind != "Doctors/Gps":
                return f"{town} Urgent Treatment Centre"
            return rng.choice(
                [f"{word} Surgery", f"{word} Medical Centre", f"{word} Health Centre", f"The {word} Practice"]
            )
        if sector == "amb":
            return f"{brand or word} Ambulance Service - {town}"
        names = {
            "Clinic": f"{word} Clinic",
            "Diagnosis/screening": f"{town} Diagnostic Centre",
            "Hospice": f"{word} Hospice",
            "Home hospice care": f"{word} Hospice at Home",
            "Rehabilitation (illness/injury)": f"{word} Rehabilitation Centre",
            "Rehabilitation (substance abuse)": f"{word} Recovery House",
            "Remote clinical advice": f"{brand or word} Online Doctor",
            "Hospital": f"The {word} Hospital",
            "Hospitals - Mental health/capacity": f"{word} House Hospital",
            "Community services - Healthcare": f"{la} Community Health Services",
            "Community services - Mental Health": f"{la} Community Mental Health Team",
            "Community services - Learning disabilities": f"{la} Learning Disability Service",
            "Community services - Substance abuse": f"{la} Drug and Alcohol Service",
        }
        if sector == "nhs" and kind == "Hospital":
            return rng.choice([f"{town} General Hospital", f"{town} Royal Infirmary", f"{word} Hospital"])
        return names[kind]

    def _nhs(self, total: int) -> None:
        rng = self.rng
        left = total
        while left > 0:
            size = min(left, max(2, round(rng.triangular(2, 25, 6))))
            home = self.places.anywhere(rng)
            _, la, towns, _, _ = home
            kind = rng.choice(
                ["Teaching Hospitals", "Hospitals", "Healthcare", "Community Healthcare", "Mental Health"]
            )
            foundation = "NHS Foundation Trust" if rng.random() < 0.6 else "NHS Trust"
            name = f"{towns[0] if rng.random() < 0.6 else la} {kind} {foundation}"
            provider = self._provider_record(
                "nhs", name, Provider.Type.NHS_TRUST, home, FIRST_REGISTRATION["nhs"][0], cqc_id=self._trust_code()
            )
            for _ in range(size):
                la_row = home if rng.random() < 0.6 else self.places.near(rng, home[0])
                self._location(provider, "nhs", la_row, nhs_trust=True)
            left -= size

    def _ambulance(self, total: int) -> None:
        rng = self.rng
        trusts = max(1, round(10 * self.settings.scale))
        nhs_total = min(total, max(1, round(total * 0.3)))
        per_trust = math.ceil(nhs_total / trusts)
        left = nhs_total
        regions = list(places.LOCAL_AUTHORITIES)
        rng.shuffle(regions)
        for i in range(trusts):
            if left <= 0:
                break
            region = regions[i % len(regions)]
            home = self.places.near(rng, region)
            label = {"Yorkshire & Humberside": "Yorkshire"}.get(region, region)
            provider = self._provider_record(
                "amb",
                f"{label} Ambulance Service NHS {'Foundation ' if rng.random() < 0.5 else ''}Trust",
                Provider.Type.NHS_TRUST,
                home,
                FIRST_REGISTRATION["nhs"][0],
                cqc_id=self._trust_code(),
            )
            for _ in range(min(per_trust, left)):
                self._location(provider, "amb", self.places.near(rng, region), nhs_trust=True)
                left -= 1
        for size in self._sizes("amb", total - nhs_total):
            self._provider("amb", size)

    def _deregister(self) -> None:
        rng, today = self.rng, self.settings.today
        for location in self.locations:
            if location.location_type == NHS_TYPE or rng.random() >= DEREGISTERED_SHARE:
                continue
            first = location.registration_date + datetime.timedelta(days=365)
            if first < today - datetime.timedelta(days=30):
                location.deregistration_date = _date_between(rng, first, today - datetime.timedelta(days=30))
        for provider in self.providers:
            if all(not loc.registered for loc in provider.locations):
                provider.deregistration_date = max(loc.deregistration_date for loc in provider.locations)

    # --- writing ----------------------------------------------------------------------------------------------------

    def write(self, now: datetime.datetime) -> None:
        rng = self.rng
        for p in self.providers:
            created = datetime.datetime.combine(p.registration_date, datetime.time(9), now.tzinfo)
            self.provider_table.add(
                (
                    p.id,
                    p.cqc_id,
                    p.name,
                    p.type,
                    p.sector_type,
                    p.address,
                    "",
                    p.town,
                    "",
                    p.postcode,
                    p.region,
                    f"01632 960{rng.randrange(1000):03d}",
                    f"www.{_slug(p.name)}.example" if rng.random() < 0.6 else "",
                    "registered" if p.registered else "deregistered",
                    p.registration_date,
                    p.deregistration_date,
                    p.nominated_individual.full_name if p.nominated_individual else "",
                    created,
                    now,
                )
            )
        st_rows = self.loader.table(Location.service_types.through, ["id", "location_id", "servicetype_id"])
        ra_rows = self.loader.table(
            Location.regulated_activities.through, ["id", "location_id", "regulatedactivity_id"]
        )
        for n, loc in enumerate(self.locations):
            if n % 5000 == 0:
                self.loader.flush_full()
            created = datetime.datetime.combine(loc.registration_date, datetime.time(9), now.tzinfo)
            self.location_table.add(
                (
                    loc.id,
                    loc.cqc_id,
                    loc.provider.id,
                    loc.name,
                    loc.location_type,
                    loc.address,
                    "",
                    loc.town,
                    "",
                    loc.postcode,
                    loc.postcode.replace(" ", "").upper(),
                    loc.region,
                    loc.local_authority,
                    f"01632 960{rng.randrange(1000):03d}",
                    "",
                    loc.care_home,
                    loc.beds,
                    "registered" if loc.registered else "deregistered",
                    loc.registration_date,
                    loc.deregistration_date,
                    loc.manager_name,
                    loc.holder.id if loc.holder else None,
                    created,
                    now,
                )
            )
            for type_id in loc.service_types:
                st_rows.add((st_rows.new_id(), loc.id, type_id))
            for activity_id in loc.activities:
                ra_rows.add((ra_rows.new_id(), loc.id, activity_id))


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in out.split("-") if part)[:40]
