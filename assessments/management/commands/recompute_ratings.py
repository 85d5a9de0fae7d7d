"""Work out every assessed location's ratings again from its scores, after a change to the rating rules."""

import time

from django.core.management.base import BaseCommand, CommandError

from assessments.services import locations_ratings_recompute
from cqcportal.accounts.models import User


class Command(BaseCommand):
    help = "Recompute every assessed location's ratings from its scores (audited where a rating changes)."

    def add_arguments(self, parser):
        parser.add_argument("--by", help="the e-mail of the member of staff who asked for it (else: the system)")
        parser.add_argument("--location", type=int, action="append", dest="location_ids", help="only this location")

    def handle(self, *args, by=None, location_ids=None, **options):
        person = None
        if by:
            person = User.objects.filter(email__iexact=by, kind=User.Kind.STAFF).first()
            if person is None:
                raise CommandError(f"No member of staff has the e-mail {by}.")
        started = time.perf_counter()
        result = locations_ratings_recompute(by=person, location_ids=location_ids)
        self.stdout.write(
            f"Recomputed {result.locations:,} locations ({result.ratings:,} ratings) in "
            f"{time.perf_counter() - started:.1f} s; {result.changed:,} changed (each audited)."
        )
