"""What happens to a case when its window closes: each flow registers its handler here.

The sweep locks the deadlines it closes and the cases they belong to (a case before its deadline when it must
wait, as every service does), then calls the flow's handler inside that transaction, so the case's transition,
its audit event and the deadline's own close commit together or not at all.

A handler registered with ``on_expiry_many`` takes every deadline of its kinds that the sweep closes in a batch
and does its work set-based. One registered with ``on_expiry`` takes one deadline at a time; it may meet or
cancel the deadline itself, and the sweep then leaves it so.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from cqcportal.deadlines.rules import Kind

ExpiryHandler = Callable[..., None]  # handler(*, deadline, now) -> None
ManyExpiryHandler = Callable[..., None]  # handler(*, deadlines, now) -> None

_EXPIRY_HANDLERS: dict[str, ExpiryHandler] = {}
_MANY_EXPIRY_HANDLERS: dict[str, ManyExpiryHandler] = {}


def on_expiry(kind: Kind) -> Callable[[ExpiryHandler], ExpiryHandler]:
    """Register the function the sweep calls, one deadline at a time, when a deadline of ``kind`` passes unmet."""

    def register(handler: ExpiryHandler) -> ExpiryHandler:
        _EXPIRY_HANDLERS[str(kind)] = handler
        return handler

    return register


def on_expiry_many(*kinds: Kind) -> Callable[[ManyExpiryHandler], ManyExpiryHandler]:
    """Register the function the sweep calls with all the deadlines of ``kinds`` that pass unmet in one batch.

    The handler must not meet or cancel those deadlines (the sweep closes them as missed).
    """

    def register(handler: ManyExpiryHandler) -> ManyExpiryHandler:
        for kind in kinds:
            _MANY_EXPIRY_HANDLERS[str(kind)] = handler
        return handler

    return register


def has_expiry_handler(kind: str) -> bool:
    return kind in _EXPIRY_HANDLERS or kind in _MANY_EXPIRY_HANDLERS


def run_expiry_handlers(*, deadlines: list, now: datetime.datetime) -> set[int]:
    """Run each flow's handler on the deadlines of its kinds; returns the ids of those run one at a time (whose
    deadline the handler may have closed itself)."""
    by_handler: dict[ManyExpiryHandler, list] = {}
    one_at_a_time = []
    for deadline in deadlines:
        if deadline.kind in _MANY_EXPIRY_HANDLERS:
            by_handler.setdefault(_MANY_EXPIRY_HANDLERS[deadline.kind], []).append(deadline)
        elif deadline.kind in _EXPIRY_HANDLERS:
            _EXPIRY_HANDLERS[deadline.kind](deadline=deadline, now=now)
            one_at_a_time.append(deadline.pk)
    for handler, batch in by_handler.items():
        handler(deadlines=batch, now=now)
    return set(one_at_a_time)
