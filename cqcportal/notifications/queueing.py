"""Queueing Celery work after commit without ever failing the request when the broker is down.

The database is the source of truth: every piece of queued work also exists as a row that a periodic
sweep finds (unsent notifications, due deadlines). So if Redis is unreachable, the page and the state
change still succeed, and the sweep does the work later (docs/adr/0006-the-clock.md).
"""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def _send(task, kwargs: dict) -> None:
    try:
        # retry=False: do not block the web request retrying a dead broker; the sweep catches up.
        # ignore_result=True: nothing reads these results, and subscribing to one on a dead Redis result
        # backend would retry for ~20 s before the broker is even tried.
        task.apply_async(kwargs=kwargs, retry=False, ignore_result=True)
    except Exception:  # any broker failure: connection refused, timeout, DNS
        logger.warning("Could not queue %s%s; the next sweep will pick it up.", task.name, kwargs, exc_info=True)


def queue_after_commit(task, **kwargs) -> None:
    """Queue ``task`` with keyword arguments once the current transaction commits; never raises."""
    transaction.on_commit(partial(_send, task, kwargs))
