"""What surrounds the cases: annual information requests, complaints about the regulator, fit and proper person
concerns, the public's e-mail alerts, and the audit trail and inbox items of the clock itself."""

from __future__ import annotations

import base64
import datetime

from cqcportal.alerts.models import Subscription
from cqcportal.core.national import places, texts
from cqcportal.core.national.cases import NOTIFY_DAYS, CaseBuilder
from cqcportal.core.national.world import LONDON, LocationRecord, ProviderRecord, at
from cqcportal.deadlines.rules import RULES, Binds
from enforcement.models import FitAndProperConcern

# Information requests a registered location gets in a year outside its assessments: a return each quarter for
# ongoing monitoring (NHS trusts report through other routes, so less often).
REQUESTS_PER_YEAR = {"asc": 4.0, "dental": 4.0, "gp": 4.0, "ind": 4.0, "nhs": 2.0, "amb": 2.0}


def information_requests(b: CaseBuilder, locations: list[LocationRecord]) -> None:
    """The last year's information requests: sent by the relationship holder, each with its 15-working-day window."""
    rng = b.rng
    for n, loc in enumerate(locations):
        if n % 200 == 0:
            b.loader.flush_full()
        if not loc.registered or loc.holder is None:
            continue
        rate = REQUESTS_PER_YEAR[loc.sector]
        count = int(rate) + (rng.random() < rate - int(rate))
        for day in sorted(b.today - datetime.timedelta(days=rng.randint(1, 365)) for _ in range(count)):
            if day >= loc.registration_date:
                b.information_request(loc, by=loc.holder, sent=at(b.working_day_on_or_after(day), rng, 9, 17))


def complaints(b: CaseBuilder, locations: list[LocationRecord]) -> None:
    """A few complaints about the regulator, none where a rating review is running (it would pause)."""
    rng = b.rng
    candidates = [loc for loc in locations if loc.registered and loc.id not in b.review_locations]
    recorders = [t.coordinator for t in b.people.teams] or b.people.admins
    for _ in range(max(6, round(300 * b.s.scale))):
        loc = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
        received = b.today - datetime.timedelta(days=rng.randint(1, 700))
        b.complaint(loc, received, rng.choice(recorders))


def fit_and_proper(b: CaseBuilder, providers: list[ProviderRecord]) -> None:
    """Concerns about directors, in every state: recorded, with the provider, answered, reviewed, closed."""
    rng, now = b.rng, b.now
    table = b.loader.table(FitAndProperConcern, [f.attname for f in FitAndProperConcern._meta.concrete_fields])
    organisations = [p for p in providers if p.registered and p.nominated_individual is not None]
    for _ in range(max(5, round(60 * b.s.scale))):
        if not organisations:
            return
        provider = rng.choice(organisations)
        received = b.today - datetime.timedelta(days=rng.randint(2, 500))
        recorded = at(b.working_day_on_or_after(received), rng, 9, 17)
        if recorded >= now:
            continue
        recorder = rng.choice(b.people.teams).manager
        state, passed, responded, reviewed, closed = "recorded", None, None, None, None
        steps = [received + datetime.timedelta(days=d) for d in sorted(rng.sample(range(2, 120), 4))]
        if steps[0] < b.today:
            state, passed = "with_provider", steps[0]
        if state == "with_provider" and steps[1] < b.today:
            state, responded = "responded", at(steps[1], rng, 9, 17)
        if state == "responded" and steps[2] < b.today:
            state, reviewed = "reviewed", steps[2]
        if state == "reviewed" and steps[3] < b.today:
            state, closed = "closed", at(steps[3], rng, 9, 17)
        ni = provider.nominated_individual
        table.add(
            (
                table.new_id(),
                provider.id,
                f"{rng.choice(places.FIRST_NAMES)} {rng.choice(places.LAST_NAMES)}",
                texts.FIT_AND_PROPER,
                "A former colleague",
                "by e-mail",
                received,
                state,
                recorder.id,
                recorded,
                passed,
                "The director has since completed governance training." if responded else "",
                ni.id if responded else None,
                responded,
                "The response answers the concern." if reviewed else "",
                recorder.id if reviewed else None,
                "discuss" if closed else "",
                "To be discussed at the next engagement meeting." if closed else "",
                closed,
            )
        )
        b.count(f"fit and proper concern: {state}")


def subscriptions(b: CaseBuilder, locations: list[LocationRecord], providers: list[ProviderRecord]) -> None:
    """Members of the public following locations, providers and local authority areas (mostly confirmed)."""
    rng, now = b.rng, b.now
    table = b.loader.table(Subscription, [f.attname for f in Subscription._meta.concrete_fields])
    registered = [loc for loc in locations if loc.registered]
    live_providers = [p for p in providers if p.registered]
    authorities = sorted({loc.local_authority for loc in registered})
    total = max(30, round(30_000 * b.s.scale))
    people = [
        f"{rng.choice(places.FIRST_NAMES)}.{rng.choice(places.LAST_NAMES)}{n}@"
        f"{rng.choice(('example.com', 'example.org', 'example.net'))}".lower()
        for n in range(int(total * 0.8))
    ]
    b.loader.drain()
    seen: set[tuple] = {
        (email, "location" if loc else "provider" if provider else "la", loc, provider, la.lower() if la else "")
        for email, loc, provider, la in Subscription.objects.filter(unsubscribed_at__isnull=True).values_list(
            "email", "location_id", "provider_id", "local_authority"
        )
    }

    def token() -> str:
        return base64.urlsafe_b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode().rstrip("=")

    for _ in range(total):
        email = rng.choice(people)
        roll = rng.random()
        if roll < 0.7 and registered:
            target = ("location", rng.choice(registered).id, None, "")
        elif roll < 0.85 and live_providers:
            target = ("provider", None, rng.choice(live_providers).id, "")
        else:
            target = ("la", None, None, rng.choice(authorities))
        loc_id = target[1] if target[0] == "location" else None
        key = (email, target[0], target[1], target[2], target[3].lower())
        if key in seen:
            continue
        seen.add(key)
        created = now - datetime.timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
        confirmed = created + datetime.timedelta(minutes=rng.randint(2, 600)) if rng.random() < 0.9 else None
        if confirmed is not None and confirmed >= now:
            confirmed = None
        unsubscribed = None
        if confirmed is not None and rng.random() < 0.05:
            unsubscribed = confirmed + (now - confirmed) * rng.random()
        table.add(
            (table.new_id(), email, loc_id, target[2], target[3], token(), token(), created, confirmed, unsubscribed)
        )
        b.count("subscription: " + ("unsubscribed" if unsubscribed else "confirmed" if confirmed else "unconfirmed"))


def clock_trail(b: CaseBuilder, locations: list[LocationRecord]) -> None:
    """The clock's own audit events and inbox items: every live deadline's opening, recent misses, and the
    reminders, closes and escalations of the last two months."""
    now = b.now
    by_location = {loc.id: loc for loc in locations}
    recent = now - datetime.timedelta(days=NOTIFY_DAYS)
    managers = {t.id: t.manager for t in b.people.teams}
    for n, d in enumerate(b.clock.written):
        if n % 2000 == 0:
            b.loader.flush_full()
        rule = RULES[d.kind]
        subject = f"{d.kind.value.replace('_', ' ').capitalize()} – {d.description} – due {d.due_date:%-d %b %Y}"
        if d.state in ("open", "paused"):
            b.audit(
                d.opened_at,
                d.owner,
                "deadline",
                d.id,
                subject,
                d.provider_id,
                "deadline.open",
                "",
                "open",
                data={"kind": d.kind.value, "due_date": d.due_date.isoformat(), "case": d.description},
            )
        loc = by_location.get(d.location_id)
        for due_date, step, when, skipped in [*d.earlier_steps, *((d.due_date, *done) for done in d.steps)]:
            if skipped or when < recent:
                continue
            day = when.astimezone(LONDON).date()
            if rule.binds == Binds.PROVIDER:
                people = b.contacts(loc, day) if loc is not None else []
            else:
                people = [d.owner] if d.owner is not None else []
            if step.startswith("reminder:"):
                left = step.split(":", 1)[1]
                subject_line = f"Reminder: {rule.label.lower()} due {due_date:%-d %B %Y} – {d.description}"
                headline = (
                    f"{left} working day{'s' if left != '1' else ''} left: this is due on {due_date:%A %-d %B %Y}."
                )
                kind = "deadline.reminder"
            elif step == "close":
                if rule.binds == Binds.PROVIDER and d.owner is not None:
                    people = [*people, d.owner]
                subject_line = f"Closed: {rule.label.lower()} – {d.description}"
                headline = f"The deadline of {due_date:%A %-d %B %Y} has passed without a response."
                kind = "deadline.closed"
                b.audit(
                    when,
                    None,
                    "deadline",
                    d.id,
                    subject,
                    d.provider_id,
                    "deadline.missed",
                    "open",
                    "missed",
                    reason=f"Due {due_date:%-d %B %Y}; the sweep closed it.",
                )
            else:
                manager = managers.get(d.owner.team_id) if d.owner is not None else None
                people = [manager] if manager is not None else []
                owner = d.owner.full_name if d.owner is not None else "no one"
                subject_line = f"Missed target: {rule.label.lower()} – {d.description}"
                headline = f"A target held by {owner} was missed on {due_date:%-d %B %Y} and needs your attention."
                kind = "deadline.escalation"
            body = "\n".join(
                [
                    headline,
                    "",
                    f"{rule.label}: {d.description}",
                    f"Due: {due_date:%A %-d %B %Y} (by the end of the day)",
                ]
            )
            for person in people:
                b.notify(
                    person,
                    at=when,
                    subject=subject_line,
                    body=body,
                    link=d.url,
                    kind=kind,
                    key=f"deadline:{d.id}:{step}:{due_date.isoformat()}:{person.id}",
                )


def delegation_trail(b: CaseBuilder, delegations: list) -> None:
    for pk, delegator, delegate, created in delegations:
        b.audit(
            created,
            delegator,
            "delegation",
            pk,
            f"{delegate.full_name} acting for {delegator.full_name}",
            delegator.provider.id,
            "delegation.create",
            "",
            "active",
        )
