import pytest
from django.conf import settings
from django.core.management import call_command

DIAGRAMS = settings.BASE_DIR / "docs" / "diagrams"


def _lines(dot: str) -> list[str]:
    # graph_transitions builds its nodes and edges from Python sets, so their order changes with
    # the hash seed of the process (`make diagrams` fixes it; pytest does not). One node or edge is
    # one line, so sorted lines compare what is drawn and ignore only the order it was written in.
    return sorted(dot.splitlines())


@pytest.mark.parametrize(
    ("model", "name"),
    [("factual_accuracy.Report", "report-states"), ("assessments.RatingReview", "rating-review-states")],
)
def test_state_diagram_matches_the_model(tmp_path, model, name):
    drawn = tmp_path / f"{name}.dot"
    with drawn.open("w") as out:
        call_command("graph_transitions", model, stdout=out)
    committed = DIAGRAMS / f"{name}.dot"
    assert _lines(drawn.read_text()) == _lines(committed.read_text()), (
        f"{committed.relative_to(settings.BASE_DIR)} no longer matches {model}'s transitions: "
        "run `make diagrams` and commit docs/diagrams/."
    )
