"""Fixtures for the alerts tests: no message reaches the shared broker, but each one queued is recorded."""

import pytest


@pytest.fixture(autouse=True)
def broker_sends(monkeypatch):
    """What would have gone to the broker after commit, as (task name, kwargs); nothing is really sent.

    The worker is not running in these tests, and a stray message on a shared Redis would be picked up by
    another run's worker.
    """
    sent = []
    monkeypatch.setattr("cqcportal.notifications.queueing._send", lambda task, kwargs: sent.append((task.name, kwargs)))
    return sent
