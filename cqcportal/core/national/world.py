"""The generated register in memory: plain records with the ids their rows will have, and the settings of a run."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# The six kinds of location, with their share of the register and the register's location (and provider) type.
SECTORS: dict[str, tuple[float, str]] = {
    "asc": (0.54, "Social Care Org"),
    "dental": (0.21, "Primary Dental Care"),
    "gp": (0.12, "Primary Medical Services"),
    "ind": (0.09, "Independent Healthcare Org"),
    "nhs": (0.03, "NHS Healthcare Organisation"),
    "amb": (0.01, "Independent Ambulance"),
}
NHS_TYPE = "NHS Healthcare Organisation"


@dataclass(slots=True, eq=False)
class Person:
    """A user: the regulator's staff (``roles``) or a provider's user (``role`` at ``provider``)."""

    id: int
    first: str
    last: str
    email: str = ""
    staff: bool = False
    roles: tuple[str, ...] = ()
    team_id: int | None = None
    job_title: str = ""
    provider: ProviderRecord | None = None
    role: str = ""
    membership_id: int | None = None
    locations: list = field(default_factory=list)
    joined: datetime.date | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    def describe(self) -> str:
        """As ``audit.services.describe_actor`` shows a person in the trail."""
        if self.staff:
            return f"{self.full_name} ({', '.join(sorted(self.roles)) or 'Regulator staff'})"
        return f"{self.full_name} ({ROLE_LABELS[self.role]}, {self.provider.name})"


ROLE_LABELS = {
    "registered_manager": "Registered manager",
    "nominated_individual": "Nominated individual",
    "chief_executive": "Chief executive",
    "colleague": "Colleague",
}


@dataclass(slots=True, eq=False)
class Team:
    id: int
    name: str
    region: str
    group: str
    manager: Person | None = None
    coordinator: Person | None = None
    inspectors: list[Person] = field(default_factory=list)
    assessors: list[Person] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class ProviderRecord:
    id: int
    cqc_id: str
    name: str
    type: str
    sector: str
    sector_type: str
    region: str
    local_authority: str
    town: str
    postcode: str
    address: str
    registration_date: datetime.date
    locations: list[LocationRecord] = field(default_factory=list)
    deregistration_date: datetime.date | None = None
    nominated_individual: Person | None = None
    chief_executive: Person | None = None
    colleagues: list[Person] = field(default_factory=list)
    delegations: list = field(default_factory=list)  # (delegator, delegate, start, end, revoked)

    @property
    def registered(self) -> bool:
        return self.deregistration_date is None


@dataclass(slots=True, eq=False)
class LocationRecord:
    id: int
    cqc_id: str
    provider: ProviderRecord
    name: str
    sector: str
    location_type: str
    service_types: list[int]
    activities: list[int]
    region: str
    local_authority: str
    town: str
    postcode: str
    address: str
    care_home: bool
    beds: int | None
    registration_date: datetime.date
    deregistration_date: datetime.date | None = None
    rated: bool = True
    asc: bool = False
    holder: Person | None = None
    team: Team | None = None
    manager: Person | None = None
    manager_name: str = ""
    quality: int = 2  # 0 poor, 1 weak, 2 good, 3 excellent: how this location tends to score
    showcase: str = ""  # a report state its latest assessment is put in, so every state is present

    @property
    def registered(self) -> bool:
        return self.deregistration_date is None


@dataclass
class Settings:
    """One run: how big, which seed, and the moment the data describe (``now``: 07:00 London on ``today``)."""

    locations: int
    seed: int
    today: datetime.date
    password_hash: str
    totp_key_hex: str

    @property
    def now(self) -> datetime.datetime:
        return datetime.datetime.combine(self.today, datetime.time(7), tzinfo=LONDON)

    @property
    def scale(self) -> float:
        return self.locations / 54_000

    def rng(self, part: str) -> random.Random:
        """A random generator for one part of the run, so each part's data depend only on the seed."""
        return random.Random(f"{self.seed}:{part}")  # noqa: S311 - made-up data, not secrets


def at(day: datetime.date, rng: random.Random, start_hour: int = 8, end_hour: int = 18) -> datetime.datetime:
    """A moment in the working hours of ``day``, London time."""
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime.datetime.combine(day, datetime.time(seconds // 3600, seconds // 60 % 60, seconds % 60), LONDON)
