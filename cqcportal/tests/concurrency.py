"""Run callables at the same moment in separate threads, each with its own database connection.

For tests of "two people act at once" against real PostgreSQL: use with ``django_db(transaction=True)`` so the
threads see each other's committed rows and really contend for row locks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(*calls: Callable[[], object], timeout: float = 30) -> list[object]:
    """Start every call together; return each one's result or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            results[index] = call()
        except Exception as exc:  # the caller asserts on what each thread met
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
