"""python manage.py import_register FILE...: import providers and locations from CQC API JSON files."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cqcportal.register.importer import (
    RegisterDocumentCannotBeRead,
    bodies_from_document,
    register_import,
    summary_lines,
)


class Command(BaseCommand):
    help = (
        "Import providers and locations, with their current published ratings, from files of CQC public API "
        'bodies: {"responses": [{"body": ...}]}, a single body, or a list of bodies. Importing the same '
        "files again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A JSON file; '-' reads standard input.")
        parser.add_argument(
            "--strict", action="store_true", help="Exit with an error if any record was skipped, not only a file."
        )

    def handle(self, *args, files: list[str], strict: bool, **options):
        bodies = []
        unreadable = []
        for name in files:
            try:
                bodies.extend(bodies_from_document(_read_json(name)))
            except (OSError, UnicodeDecodeError) as exc:
                unreadable.append(f"{name}: cannot be read ({exc.strerror or exc})")
            except json.JSONDecodeError as exc:
                unreadable.append(f"{name}: not valid JSON ({exc})")
            except RegisterDocumentCannotBeRead as exc:
                unreadable.append(f"{name}: {exc}")
        for line in unreadable:
            self.stderr.write(line)

        summary = register_import(bodies=bodies, by=None)
        for line in summary_lines(summary):
            self.stdout.write(line)

        if unreadable:
            raise CommandError(f"{len(unreadable)} of {len(files)} files could not be read.")
        if strict and summary.skipped:
            raise CommandError(f"{len(summary.skipped)} records were skipped (--strict).")


def _read_json(name: str):
    if name == "-":
        return json.loads(sys.stdin.read())
    # utf-8-sig: files saved by some Windows tools start with a byte-order mark.
    return json.loads(Path(name).read_text(encoding="utf-8-sig"))
