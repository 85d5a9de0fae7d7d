from django.conf import settings
from django.core.management import call_command

REPORT_DOT = settings.BASE_DIR / "docs" / "diagrams" / "report-states.dot"


def _lines(dot: str) -> list[str]:
    # graph_transitions builds its nodes and edges from Python sets, so their order changes with
    # the hash seed of the process (`make diagrams` fixes it; pytest does not). One node or edge is
    # one line, so sorted lines compare what is drawn and ignore only the order it was written in.
    return sorted(dot.splitlines())


def test_report_diagram_matches_the_model(tmp_path):
    drawn = tmp_path / "report-states.dot"
    with drawn.open("w") as out:
        call_command("graph_transitions", "factual_accuracy.Report", stdout=out)

    assert _lines(drawn.read_text()) == _lines(REPORT_DOT.read_text()), (
        f"{REPORT_DOT.relative_to(settings.BASE_DIR)} no longer matches factual_accuracy.Report's transitions: "
        "run `make diagrams` and commit docs/diagrams/."
    )
