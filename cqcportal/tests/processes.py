"""Real processes for the services tests: a private redis-server, and Celery workers on the pytest database.

Each test module (or test) that needs a worker runs its own ``redis-server`` on a free port and points
both this process's Celery app and the worker at it. The suite's shared Redis would let another test
run's worker (on another database) take our messages, and a killed worker's unacknowledged task
would come back there an hour later; a private server is thrown away with everything in it.

Every process started here is stopped by the context manager that started it, also when a test fails.
"""

from __future__ import annotations

import collections
import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
# Django's file e-mail backend ends every message with this line.
MESSAGE_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def require_services() -> None:
    """Skip the test unless the suite runs on the real services (`make test`); fail if they are required."""
    missing = []
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        missing.append("CELERY_BROKER_URL is not Redis")
    if shutil.which("redis-server") is None:
        missing.append("the redis-server program is not installed")
    if connection.vendor != "postgresql":
        missing.append("the database is not PostgreSQL")
    if missing:
        if os.environ.get("CQC_REQUIRE_SERVICES"):
            pytest.fail(f"CQC_REQUIRE_SERVICES is set but {', and '.join(missing)}")
        pytest.skip(f"needs Redis and PostgreSQL ({', '.join(missing)}): run the suite with `make test`")


def wait_for(predicate: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is truthy; False if ``timeout`` seconds pass first."""
    give_up_at = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= give_up_at:
            return False
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen, *, timeout: float = 20.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1 with no persistence; ``stop()`` loses everything in it."""

    def __init__(self, directory: Path, *, port: int | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def broker_url(self) -> str:
        return self.url(0)

    @property
    def result_backend(self) -> str:
        return self.url(1)

    def is_up(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self, *, timeout: float = 10.0) -> RedisServer:
        """Start the server (again, on the same port after ``stop()``) and wait until it answers."""
        assert self.process is None or self.process.poll() is not None, "this Redis is running already"
        with (self.directory / "redis.log").open("a") as log:
            self.process = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    *("--bind", "127.0.0.1", "--port", str(self.port)),
                    *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                    *("--dir", str(self.directory)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for(lambda: self.is_up() or self.process.poll() is not None, timeout=timeout, interval=0.05):
            self.stop()
            pytest.fail(f"redis-server on port {self.port} did not answer within {timeout:.0f} s")
        if self.process.poll() is not None:
            pytest.fail(f"redis-server on port {self.port} exited: {self.log_tail()}")
        return self

    def stop(self) -> None:
        """Terminate the server and wait until it has gone; its data goes with it."""
        if self.process is not None:
            _stop(self.process)

    def queue_length(self, queue: str = "celery") -> int:
        client = redis.Redis.from_url(self.broker_url, socket_connect_timeout=1, socket_timeout=2)
        try:
            return client.llen(queue)
        finally:
            client.close()

    def log_tail(self, lines: int = 20) -> str:
        path = self.directory / "redis.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _reset_celery_connections(app) -> None:
    """Close and forget the app's broker pools and result backend, so the next use connects afresh."""
    for pool in (app._pool, app.amqp._producer_pool):
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    backend = app._backend_cache or getattr(app._local, "backend", None)
    if backend is not None:
        with contextlib.suppress(Exception):
            backend.result_consumer.stop()
        with contextlib.suppress(Exception):
            backend.client.close()
    app._backend_cache = None
    app._local = threading.local()


@contextlib.contextmanager
def celery_app_using(redis_server: RedisServer) -> Iterator[None]:
    """Point this process's Celery app (``.delay()``, ``.get()``) at ``redis_server``; restore it afterwards."""
    from cqcportal.celery import app

    # Celery reads these two from the environment before its own configuration, so set both.
    urls = {"CELERY_BROKER_URL": redis_server.broker_url, "CELERY_RESULT_BACKEND": redis_server.result_backend}
    environ_before = {name: os.environ.get(name) for name in urls}
    conf_before = (app.conf.broker_url, app.conf.result_backend)
    _reset_celery_connections(app)
    os.environ.update(urls)
    app.conf.broker_url, app.conf.result_backend = urls.values()
    try:
        yield
    finally:
        _reset_celery_connections(app)
        for name, value in environ_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        app.conf.broker_url, app.conf.result_backend = conf_before


def database_url() -> str:
    """The URL of the database this test process uses (the pytest test database, once it is set up)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class CeleryWorker:
    """A real ``celery worker`` process (solo pool: tasks run in this one pid) on the pytest database.

    It takes its tasks from ``redis_server`` and writes the e-mails it sends into files in ``mail_dir``.
    """

    def __init__(
        self, *, redis_server: RedisServer, directory: Path, mail_dir: Path | None = None, env: dict | None = None
    ):
        self.redis_server = redis_server
        self.extra_env = env or {}
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.mail_dir = Path(mail_dir) if mail_dir is not None else self.directory / "mail"
        self.name = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = self.directory / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, *, timeout: float = 60.0) -> CeleryWorker:
        """Start the worker and wait until it has answered a task through the broker and the result backend.

        This process's Celery app must already point at the same Redis (``celery_app_using``).
        """
        from cqcportal.notifications.tasks import ping

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cqcportal.test_settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.redis_server.broker_url,
            "CELERY_RESULT_BACKEND": self.redis_server.result_backend,
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "cqcportal", "worker", "--pool=solo", "--loglevel=INFO"),
                    *("--without-heartbeat", "--without-gossip", "--without-mingle", "-n", self.name),
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        # The worker is ready when it answers through the broker and the result backend. Whatever was
        # queued before this ping is done first (one process, first in first out).
        answer = ping.delay(value=self.name)
        if not wait_for(lambda: answer.ready() or self.process.poll() is not None, timeout=timeout, interval=0.1):
            self.stop()
            pytest.fail(f"the Celery worker did not answer within {timeout:.0f} s:\n{self.log_tail()}")
        if self.process.poll() is not None:
            pytest.fail(f"the Celery worker exited with {self.process.returncode}:\n{self.log_tail()}")
        assert answer.get(timeout=5) == f"pong: {self.name}"
        return self

    def finish_queued(self, *, timeout: float = 120.0) -> None:
        """Wait until the worker has done everything queued so far (a ping queued now comes back last)."""
        from cqcportal.notifications.tasks import ping

        token = uuid.uuid4().hex
        answer = ping.delay(value=token)
        try:
            assert answer.get(timeout=timeout) == f"pong: {token}"
        except CeleryTimeoutError:
            # SIGUSR1 makes a Celery worker log the stack of every thread: show where it is stuck.
            if self.process is not None and self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGUSR1)
                time.sleep(1)
            pytest.fail(
                f"the worker did not finish its queue within {timeout:.0f} s "
                f"({self.redis_server.queue_length()} messages waiting):\n{self.log_tail(80)}"
            )

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, mid-task, without acknowledging or cleaning up anything."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM: finish the current task), or SIGKILL after 20 s."""
        if self.process is not None:
            _stop(self.process)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-lines:]) if self.log_path.exists() else ""

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def sent_emails(mail_dir: Path) -> list[EmailMessage]:
    """Every e-mail Django's file backend wrote into ``mail_dir``, parsed (headers decoded)."""
    messages = []
    for path in sorted(Path(mail_dir).glob("*.log")):
        for chunk in path.read_bytes().split(MESSAGE_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def emailed(mail_dir: Path) -> collections.Counter:
    """How many e-mails went to each (subject, recipient) pair, from the files in ``mail_dir``."""
    return collections.Counter(
        (str(message["Subject"]).strip(), str(message["To"]).strip()) for message in sent_emails(mail_dir)
    )
