"""Where the tests find the team's shared data: ../shared beside the repository (as in CI), else the copies
kept in the repository (so the suite also runs from a clone that has no shared/ beside it)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
COPIES = {
    "bank-holidays.json": REPO / "cqcportal" / "tests" / "data" / "bank-holidays.json",
    "cqc/locations_sample.json": REPO / "cqcportal" / "core" / "demo_data" / "locations_sample.json",
    "cqc/providers_sample.json": REPO / "cqcportal" / "core" / "demo_data" / "providers_sample.json",
    "cqc/quality_statements.json": REPO / "assessments" / "data" / "quality_statements.json",
}


def shared_file(name: str) -> Path:
    """The shared data file ``name`` (e.g. "cqc/quality_statements.json")."""
    path = SHARED / name
    return path if path.exists() else COPIES[name]
