"""Load a register the size of England's, with five years of cases, for benchmarks: ``manage.py seed_national``."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cqcportal.core.national import NATIONAL_LOCATIONS, NationalSeedCannotRun, national_seed


class Command(BaseCommand):
    help = (
        "Build a national register (54,000 locations by default) with staff, provider users and five years of "
        "assessments, reports, enforcement, reviews, deadlines, alerts and audit, in bulk (PostgreSQL COPY)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--locations", type=int, default=None, help=f"How many locations (default {NATIONAL_LOCATIONS:,})."
        )
        parser.add_argument("--scale", type=float, default=None, help="Or a share of the national size, e.g. 0.1.")
        parser.add_argument(
            "--seed", type=int, default=1, help="The random seed: the same seed and day give the same data."
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day the data describe (YYYY-MM-DD), at 07:00; default today.",
        )
        parser.add_argument("--append", action="store_true", help="Add to a database that already has locations.")
        parser.add_argument("--password", default="bench-password-2026", help="Everyone's password (hashed once).")

    def handle(self, *args, **options):
        if options["locations"] is not None and options["scale"] is not None:
            raise CommandError("Give --locations or --scale, not both.")
        locations = options["locations"]
        if locations is None:
            locations = round(NATIONAL_LOCATIONS * (options["scale"] if options["scale"] is not None else 1))
        if locations < 50:
            raise CommandError("Give at least 50 locations: smaller registers cannot hold every kind of case.")
        today = options["today"] or timezone.localdate()
        self.stdout.write(
            f"Building a register of {locations:,} locations as of 07:00 on {today:%-d %B %Y} "
            f"(seed {options['seed']})..."
        )
        try:
            result = national_seed(
                locations=locations,
                seed=options["seed"],
                today=today,
                append=options["append"],
                password=options["password"],
            )
        except NationalSeedCannotRun as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Time taken"))
        for name, seconds in result.timings:
            self.stdout.write(f"  {name:<55} {seconds:8.1f} s")
        self.stdout.write(f"  {'total':<55} {sum(s for _, s in result.timings):8.1f} s")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Rows written"))
        for table, rows in sorted(result.rows.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {table:<55} {rows:>10,}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Cases by state"))
        for key, n in result.states.items():
            self.stdout.write(f"  {key:<55} {n:>10,}")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Sign-ins for benchmarks (password for everyone: {result.password})"))
        for email, pk, who in result.accounts:
            self.stdout.write(f"  {email:<36} id {pk:<8} {who}")
        if not result.accounts:
            self.stdout.write("  (the benchmark's addresses belong to the register this run was appended to)")
        self.stdout.write(
            f"  Staff then type a code from an authenticator app with the shared key {result.totp_key_base32} "
            "(RFC 4226's test key), or a test signs in with cqcportal.tests.second_factor."
        )
