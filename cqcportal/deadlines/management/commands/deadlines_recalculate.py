"""Work out every live working-day deadline again, e.g. after upgrading the holidays package."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from cqcportal.deadlines.services import deadlines_recalculate


class Command(BaseCommand):
    help = "Recalculate live working-day deadlines with the current bank holidays and tell people of any new date."

    def add_arguments(self, parser):
        parser.add_argument("--reason", default="The bank holiday calendar was updated")

    def handle(self, *args, reason: str, **options):
        moved = deadlines_recalculate(by=None, reason=reason, today=timezone.localdate())
        self.stdout.write(f"{moved} deadline(s) moved; the people they bind have been told.")
