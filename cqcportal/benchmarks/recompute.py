"""Recomputing every location's ratings from its scores, beside a plain aggregate query over the same scores.

The recompute (``assessments.services.locations_ratings_recompute``) reads every completed assessment's scores, the
previous model's ratings, the enforcement limits in force and the departures; works out each location's working with
the same rules as its pages; and writes six ratings per location in one transaction. The floor is one SQL query
that averages the same scores by location and key question, which reads the same rows and writes nothing. It is run
three times and the median taken; the recompute once, after a sample check that its answers are each location's
own working.
"""

from __future__ import annotations

import random

from django.db import connection, transaction

from assessments.models import LocationRating
from assessments.services import locations_ratings_recompute
from assessments.working import location_working
from cqcportal.benchmarks.common import median, timed
from cqcportal.register.models import Location

FLOOR_SQL = """
SELECT a.location_id, q.key_question, avg(s.score), count(*)
FROM assessments_statementscore s
JOIN assessments_assessment a ON a.id = s.assessment_id
JOIN assessments_qualitystatement q ON q.id = s.statement_id
WHERE a.state = 'completed'
GROUP BY a.location_id, q.key_question
"""


def _floor_once() -> tuple[float, int]:
    def run():
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL)
            return len(cursor.fetchall())

    return timed(run)


def run(*, sample: int = 50, log=print) -> dict:
    """Time the floor three times and the recompute once; check a sample of locations against their own working."""
    floors = [_floor_once() for _ in range(3)]
    floor_s = median([s for s, _ in floors])
    log(f"recompute: floor (aggregate of the same scores) {floor_s:.2f} s, {floors[0][1]:,} groups")

    def recompute():
        with transaction.atomic():
            return locations_ratings_recompute(by=None)

    seconds, result = timed(recompute)
    log(
        f"recompute: {result.locations:,} locations, {result.ratings:,} ratings in {seconds:.1f} s "
        f"({result.changed:,} changed); ratio {seconds / floor_s:.1f}"
    )
    ids = list(LocationRating.objects.values_list("location_id", flat=True).distinct())
    checked = random.Random(9).sample(ids, min(sample, len(ids)))  # noqa: S311 - a repeatable sample
    for location in Location.objects.filter(pk__in=checked):
        working = location_working(location)
        stored = dict(LocationRating.objects.filter(location=location).values_list("key_question", "rating"))
        expected = {kq.key_question: kq.rating.slug if kq.rating else "" for kq in working.key_questions}
        expected["overall"] = working.overall.slug if working.overall else ""
        assert stored == expected, (location.pk, stored, expected)
    return {
        "locations": result.locations,
        "ratings": result.ratings,
        "changed": result.changed,
        "seconds": round(seconds, 2),
        "floor_s": round(floor_s, 3),
        "floor_runs_s": [round(s, 3) for s, _ in floors],
        "floor_sql": " ".join(FLOOR_SQL.split()),
        "ratio": round(seconds / floor_s, 2),
        "checked_against_each_locations_own_working": len(checked),
    }
