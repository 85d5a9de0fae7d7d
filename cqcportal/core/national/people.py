"""The people: the regulator's staff in teams, and each provider's registered persons and colleagues.

Inspectors are grouped by sector (adult social care; primary medical and dental care; hospitals, independent
health and ambulances) and region, in teams of up to eight with an operations manager and a regulatory
co-ordinator; each inspector holds the relationship with about 150 registered locations. Every registered
location has its registered manager (most do; NHS hospitals less often), organisations and partnerships their
nominated individual, NHS trusts their chief executive, and some providers have colleagues, a few of whom act
for a registered person for a while (a delegation).

Everyone gets the same password hash, computed once by the caller: hashing per person would take hours. Staff
have an authenticator device with one shared, published key, so a benchmark can work out their codes.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict

from django_otp.plugins.otp_totp.models import TOTPDevice

from cqcportal.accounts.models import Delegation, ProviderMembership, ProviderRole, StaffRole, User
from cqcportal.accounts.models import Team as TeamModel
from cqcportal.core.national import places
from cqcportal.core.national.world import LocationRecord, Person, ProviderRecord, Settings, Team
from cqcportal.register.models import Provider

GROUPS = {
    "asc": "Adult social care",
    "dental": "Primary medical and dental care",
    "gp": "Primary medical and dental care",
    "ind": "Hospitals and independent health",
    "nhs": "Hospitals and independent health",
    "amb": "Hospitals and independent health",
}
CASELOAD = 150
TEAM_SIZE = 8

# E-mail addresses a benchmark signs in with: (address, who).
BENCH_ACCOUNTS = {
    "inspector": "bench-inspector@regulator.example",
    "assessor": "bench-assessor@regulator.example",
    "coordinator": "bench-coordinator@regulator.example",
    "opsmanager": "bench-opsmanager@regulator.example",
    "deputy": "bench-deputy@regulator.example",
    "chief": "bench-chief@regulator.example",
    "admin": "bench-admin@regulator.example",
    "manager": "bench-manager@provider.example",
    "ni": "bench-ni@provider.example",
    "colleague": "bench-colleague@provider.example",
    "ceo": "bench-ceo@nhs-trust.example",
}


class PeopleBuilder:
    """Builds staff, teams and provider users in memory, assigns caseloads, and writes them."""

    def __init__(self, settings: Settings, loader):
        self.settings = settings
        self.loader = loader
        self.rng = settings.rng("people")
        self.users = loader.table(User, [f.attname for f in User._meta.concrete_fields])
        self.teams: list[Team] = []
        self.staff: list[Person] = []
        self.provider_people: list[Person] = []
        self.deputies: list[Person] = []
        self.chiefs: list[Person] = []
        self.admins: list[Person] = []
        self.bench: dict[str, Person] = {}
        # A run appended to an earlier one leaves the earlier run's benchmark addresses (and team names) alone.
        self._taken = set(User.objects.filter(email__in=BENCH_ACCOUNTS.values()).values_list("email", flat=True))
        self._team_names = set(TeamModel.objects.values_list("name", flat=True))

    def _bench(self, key: str, person: Person | None) -> None:
        if person is not None and BENCH_ACCOUNTS[key] not in self._taken:
            person.email = BENCH_ACCOUNTS[key]
            self.bench[key] = person

    def _person(self, **kwargs) -> Person:
        rng = self.rng
        return Person(
            id=self.users.new_id(), first=rng.choice(places.FIRST_NAMES), last=rng.choice(places.LAST_NAMES), **kwargs
        )

    def _staff(self, role: str, team: Team | None = None, title: str = "") -> Person:
        person = self._person(staff=True, roles=(role,), team_id=team.id if team else None, job_title=title or role)
        person.email = f"{person.first}.{person.last}.{person.id}@regulator.example".lower()
        self.staff.append(person)
        return person

    # --- staff ------------------------------------------------------------------------------------------------------

    def build_staff(self, locations: list[LocationRecord]) -> None:
        """Teams by sector group and region, sized to hold every registered location at about 150 each."""
        team_table = self.loader.table(TeamModel, ["id", "name", "region", "operations_manager_id"])
        buckets: dict[tuple[str, str], list[LocationRecord]] = defaultdict(list)
        for loc in locations:
            if loc.registered:
                buckets[(GROUPS[loc.sector], loc.region)].append(loc)
        for (group, region), locs in sorted(buckets.items()):
            inspectors = max(1, math.ceil(len(locs) / CASELOAD))
            teams = math.ceil(inspectors / TEAM_SIZE)
            label = {"Yorkshire & Humberside": "Yorkshire and the Humber"}.get(region, region)
            bucket_teams = []
            for n in range(teams):
                name = f"{group}, {label} {n + 1}"
                if name in self._team_names:
                    name = f"{name} (seed {self.settings.seed})"
                team = Team(id=team_table.new_id(), name=name, region=region, group=group)
                team.manager = self._staff(StaffRole.OPERATIONS_MANAGER, team)
                team.coordinator = self._staff(StaffRole.REGULATORY_COORDINATOR, team)
                self.teams.append(team)
                bucket_teams.append(team)
            for i in range(inspectors):
                team = bucket_teams[i % teams]
                team.inspectors.append(self._staff(StaffRole.INSPECTOR, team))
                if i % 2 == 0:
                    team.assessors.append(self._staff(StaffRole.ASSESSOR, team))
            holders = [(p, t) for t in bucket_teams for p in t.inspectors]
            self.rng.shuffle(locs)
            for i, loc in enumerate(sorted(locs, key=lambda loc: (loc.local_authority, loc.id))):
                loc.holder, loc.team = holders[i % len(holders)]
        # Deregistered locations keep no relationship holder, but their old cases need a team.
        by_bucket = {(t.group, t.region): t for t in self.teams}
        any_team = self.teams[0] if self.teams else None
        for loc in locations:
            if loc.team is None:
                loc.team = by_bucket.get((GROUPS[loc.sector], loc.region), any_team)
        scale = self.settings.scale
        self.deputies = [self._staff(StaffRole.DEPUTY_DIRECTOR) for _ in range(max(3, round(9 * scale)))]
        self.chiefs = [self._staff(StaffRole.CHIEF_INSPECTOR) for _ in range(3)]
        self.admins = [self._staff(StaffRole.ADMIN_STAFF) for _ in range(max(2, round(20 * scale)))]
        for team in self.teams:
            team_table.add((team.id, team.name, team.region, team.manager.id))
        self._bench_staff(locations)

    def _bench_staff(self, locations: list[LocationRecord]) -> None:
        caseload: dict[int, int] = defaultdict(int)
        for loc in locations:
            if loc.holder is not None:
                caseload[loc.holder.id] += 1
        # The fullest caseload, in adult social care (the biggest sector) when there is a tie.
        team, inspector = max(
            ((t, p) for t in self.teams for p in t.inspectors),
            key=lambda tp: (caseload[tp[1].id], tp[0].group == GROUPS["asc"], -tp[1].id),
        )
        picks = {
            "inspector": inspector,
            "assessor": team.assessors[0] if team.assessors else None,
            "coordinator": team.coordinator,
            "opsmanager": team.manager,
            "deputy": self.deputies[0],
            "chief": self.chiefs[0],
            "admin": self.admins[0],
        }
        for key, person in picks.items():
            self._bench(key, person)

    # --- provider users ---------------------------------------------------------------------------------------------

    def build_provider_people(self, providers: list[ProviderRecord]) -> None:
        rng = self.rng
        for provider in providers:
            if not provider.registered:
                continue
            domain = _domain(provider.name)
            live = [loc for loc in provider.locations if loc.registered]
            nhs = provider.type == Provider.Type.NHS_TRUST
            if provider.type in (Provider.Type.ORGANISATION, Provider.Type.PARTNERSHIP) or nhs:
                provider.nominated_individual = self._provider_person(provider, "nominated_individual", domain)
            if nhs:
                provider.chief_executive = self._provider_person(provider, "chief_executive", domain)
            manager = None
            for loc in live:
                if rng.random() >= (0.6 if nhs else 0.92):
                    continue
                # In a small provider one manager sometimes runs two services.
                if manager is not None and len(live) <= 6 and rng.random() < 0.2 and len(manager.locations) < 2:
                    manager.locations.append(loc)
                else:
                    manager = self._provider_person(provider, "registered_manager", domain)
                    manager.locations.append(loc)
                loc.manager = manager
                loc.manager_name = manager.full_name
            if rng.random() < (0.15 if len(live) < 5 else 0.6):
                for _ in range(min(20, max(1, rng.randint(1, 3) + len(live) // 10))):
                    provider.colleagues.append(self._provider_person(provider, "colleague", domain))
        # Former managers' names stay on the register of closed locations.
        for provider in providers:
            for loc in provider.locations:
                if not loc.registered and not loc.manager_name:
                    loc.manager_name = f"{rng.choice(places.FIRST_NAMES)} {rng.choice(places.LAST_NAMES)}"
        self._bench_provider_people(providers)

    def _provider_person(self, provider: ProviderRecord, role: str, domain: str) -> Person:
        person = self._person(provider=provider, role=role, job_title=ROLE_TITLES[role])
        person.email = f"{person.first}.{person.last}.{person.id}@{domain}".lower()
        self.provider_people.append(person)
        return person

    def _bench_provider_people(self, providers: list[ProviderRecord]) -> None:
        asc_single = [
            p
            for p in providers
            if p.registered and p.sector == "asc" and len(p.locations) == 1 and p.locations[0].manager is not None
        ]
        chains = [p for p in providers if p.registered and p.nominated_individual and p.type != "nhs_trust"]
        trusts = [p for p in providers if p.chief_executive is not None]
        with_colleagues = [p for p in asc_single if p.colleagues]
        if asc_single:
            manager = asc_single[len(asc_single) // 3].locations[0].manager
            self._bench("manager", manager)
            if manager.provider.colleagues:
                with_colleagues = [manager.provider]
        if chains:
            biggest = max(chains, key=lambda p: (len(p.locations), -p.id))
            self._bench("ni", biggest.nominated_individual)
        if trusts:
            trust = max(trusts, key=lambda p: (len(p.locations), -p.id))
            self._bench("ceo", trust.chief_executive)
        if with_colleagues:
            self._bench("colleague", with_colleagues[0].colleagues[0])

    def build_delegations(self, providers: list[ProviderRecord]) -> None:
        """A few registered persons name a colleague to act for them: most in the past, some now, some to come."""
        rng, today = self.rng, self.settings.today
        for provider in providers:
            if not provider.colleagues:
                continue
            registered = [p for p in (provider.nominated_individual, provider.chief_executive) if p is not None] + list(
                {loc.manager.id: loc.manager for loc in provider.locations if loc.manager}.values()
            )
            for person in registered:
                bench = person is self.bench.get("manager")
                if not bench and rng.random() >= 0.12:
                    continue
                delegate = rng.choice(provider.colleagues)
                if bench and self.bench.get("colleague") in provider.colleagues:
                    delegate = self.bench["colleague"]
                when = rng.random()
                if bench or when < 0.35:  # now: the registered person is away
                    start = today - datetime.timedelta(days=rng.randint(0, 10))
                elif when < 0.85:
                    start = today - datetime.timedelta(days=rng.randint(30, 700))
                else:
                    start = today + datetime.timedelta(days=rng.randint(3, 40))
                end = start + datetime.timedelta(days=rng.randint(7, 30))
                revoked = not bench and rng.random() < 0.08
                provider.delegations.append((person, delegate, start, end, revoked))

    # --- writing ------------------------------------------------------------------------------------------------------

    def write(self, *, now: datetime.datetime, group_ids: dict[str, int]) -> None:
        s = self.settings
        rng = self.rng
        joined_first = datetime.date(2011, 1, 1)
        user_groups = self.loader.table(User.groups.through, ["id", "user_id", "group_id"])
        devices = self.loader.table(
            TOTPDevice,
            [
                *("id", "user_id", "name", "confirmed", "throttling_failure_count", "created_at", "key", "step"),
                *("t0", "digits", "tolerance", "drift", "last_t"),
            ],
        )
        for person in self.staff:
            joined = now - datetime.timedelta(days=rng.randint(30, (s.today - joined_first).days))
            admin = StaffRole.ADMIN_STAFF in person.roles
            superuser = person is self.bench.get("admin")
            self.users.add(
                (
                    *(person.id, s.password_hash, None, superuser, person.email, person.full_name, "staff"),
                    *(person.job_title, True, admin, joined, person.team_id),
                )
            )
            for role in person.roles:
                user_groups.add((user_groups.new_id(), person.id, group_ids[role]))
            devices.add(
                (devices.new_id(), person.id, "Authenticator app", True, 0, joined, s.totp_key_hex, 30, 0, 6, 1, 0, -1)
            )
        memberships = self.loader.table(ProviderMembership, ["id", "user_id", "provider_id", "role", "created_at"])
        managed = self.loader.table(
            ProviderMembership.locations.through, ["id", "providermembership_id", "location_id"]
        )
        for n, person in enumerate(self.provider_people):
            if n % 5000 == 0:
                self.loader.flush_full()
            provider = person.provider
            first = max(provider.registration_date, joined_first)
            joined = datetime.datetime.combine(
                first + datetime.timedelta(days=rng.randint(0, max(0, (s.today - first).days - 1))),
                datetime.time(10),
                now.tzinfo,
            )
            person.joined = joined.date()
            self.users.add(
                (
                    *(person.id, s.password_hash, None, False, person.email, person.full_name, "provider"),
                    *(person.job_title, True, False, joined, None),
                )
            )
            person.membership_id = memberships.new_id()
            memberships.add((person.membership_id, person.id, provider.id, person.role, joined))
            for loc in person.locations:
                managed.add((managed.new_id(), person.membership_id, loc.id))

    def write_delegations(self, providers: list[ProviderRecord], *, now: datetime.datetime) -> list:
        """Write the delegations; returns them as (id, delegator, delegate, created at) for the audit trail."""
        table = self.loader.table(Delegation, [f.attname for f in Delegation._meta.concrete_fields])
        written = []
        for provider in providers:
            for delegator, delegate, start, end, revoked in provider.delegations:
                created = datetime.datetime.combine(start - datetime.timedelta(days=3), datetime.time(11), now.tzinfo)
                created = min(created, now - datetime.timedelta(hours=20))
                revoked_at = min(created + datetime.timedelta(days=2), now - datetime.timedelta(hours=1))
                pk = table.new_id()
                table.add(
                    (pk, delegator.id, delegate.id, provider.id, start, end, "Annual leave", delegator.id, created)
                    + ((revoked_at, delegator.id) if revoked else (None, None))
                )
                written.append((pk, delegator, delegate, created))
        return written


ROLE_TITLES = {
    ProviderRole.REGISTERED_MANAGER: "Registered manager",
    ProviderRole.NOMINATED_INDIVIDUAL: "Nominated individual",
    ProviderRole.CHIEF_EXECUTIVE: "Chief executive",
    ProviderRole.COLLEAGUE: "Administrator",
}


def _domain(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in name.lower())
    return "-".join(part for part in out.split("-") if part)[:40] + ".example"
