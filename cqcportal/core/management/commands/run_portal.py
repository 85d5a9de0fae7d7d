"""Run the whole portal on one machine: the web server, a Celery worker and Celery beat.

Used by `make run` on the embedded default (SQLite and kombu's filesystem transport), so that
reminders, sweeps and e-mail really run in the demo. Ctrl-C stops all three.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat together; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        beat_schedule = str(settings.VAR_DIR / "celerybeat.pid")
        commands = {
            "worker": [python, "-m", "celery", "-A", "cqcportal", "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [python, "-m", "celery", "-A", "cqcportal", "beat", "--loglevel=INFO", "--pidfile", beat_schedule],
            "web": [python, "manage.py", "runserver", addrport, "--noreload"],
        }
        if os.path.exists(beat_schedule):
            os.remove(beat_schedule)  # a stale pid file from a killed run would stop beat starting
        processes = {name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR) for name, cmd in commands.items()}  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(f"Portal running at http://{addrport}/ (web, worker and beat). Ctrl-C stops it.")
        )

        def stop(*_):
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()

        signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
        try:
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"The {name} process stopped (exit code {process.returncode}); stopping the rest."
                        )
                        stop()
                        sys.exit(process.returncode or 1)
                time.sleep(1)
        except KeyboardInterrupt:
            stop()
