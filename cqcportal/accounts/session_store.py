"""Django's database sessions, with the session's read compiled once (``cqcportal.core.compiled``).

Every signed-in request reads its session row; compiling that read each time was a fixed cost on every
page. Everything else (saving, expiry, clearing) is Django's own.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from cqcportal.core.compiled import CompiledRead

_SESSION_READ = CompiledRead(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now)[:1],
    session_key=str,
    now=dt.datetime,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        session = _SESSION_READ.first(session_key=self.session_key, now=timezone.now())
        if session is None:
            self._session_key = None
        return session
