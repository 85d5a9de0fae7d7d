"""Set-based state changes: the model's own transition, run on many rows, saved with a few UPDATEs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import models
from django_fsm import can_proceed

from cqcportal.core.compiled import matches_any


def transition_many(
    objects: Iterable[models.Model], *, transition: str, fields: Sequence[str], also: dict | None = None, **kwargs
) -> list[models.Model]:
    """Run ``transition`` in memory on every object that can take it and save ``fields`` (and ``also``) for all of
    them with one UPDATE per distinct set of values; returns the objects that moved.

    The state machine stays the one definition of sources, targets, conditions and what a transition sets; only the
    saving is set-based. The caller holds the rows' locks, lists the fields the transition changes (as it would for
    ``save(update_fields=...)``) and writes the audit events. Rows whose new values are the same (the usual case:
    the same target state and the same time) share one UPDATE.
    """
    moved = []
    for obj in objects:
        method = getattr(obj, transition)
        if can_proceed(method):
            method(**kwargs)
            moved.append(obj)
    groups: dict[tuple, list] = defaultdict(list)
    for obj in moved:
        groups[tuple(getattr(obj, name) for name in fields)].append(obj.pk)
    model = type(moved[0]) if moved else None
    for values, pks in groups.items():
        # One array parameter, not thousands of placeholders (cheaper for Django, psycopg and PostgreSQL alike).
        model._default_manager.filter(matches_any(model, model._meta.pk.name, pks)).update(
            **dict(zip(fields, values, strict=True)), **(also or {})
        )
    return moved
