"""What happens to a case when its window closes: each flow registers its handler here.

A handler runs inside the sweep's transaction for that deadline, after the row is locked, so the
case's transition, its audit event and the deadline's own close commit together or not at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from cqcportal.deadlines.rules import Kind

ExpiryHandler = Callable[..., None]  # handler(*, deadline, now) -> None

_EXPIRY_HANDLERS: dict[str, ExpiryHandler] = {}


def on_expiry(kind: Kind) -> Callable[[ExpiryHandler], ExpiryHandler]:
    """Register the function the sweep calls when a deadline of ``kind`` passes unmet."""

    def register(handler: ExpiryHandler) -> ExpiryHandler:
        _EXPIRY_HANDLERS[str(kind)] = handler
        return handler

    return register


def run_expiry_handler(*, deadline, now: datetime.datetime) -> None:
    handler = _EXPIRY_HANDLERS.get(deadline.kind)
    if handler is not None:
        handler(deadline=deadline, now=now)
