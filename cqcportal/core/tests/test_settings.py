"""Production refuses to start without its settings; the embedded default needs none."""

import os
import subprocess
import sys

from django.conf import settings

CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "CQC_TESTING", "DATABASE_URL", "SECRET_KEY"}}


def _import_settings(env: dict) -> subprocess.CompletedProcess:
    code = "import cqcportal.settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_settings_production_without_environment_fails_loudly_naming_what_is_missing():
    result = _import_settings({**CLEAN_ENV, "CELERY_BROKER_URL": ""})
    assert result.returncode != 0
    assert "cannot start in production" in result.stderr
    for name in ["SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS", "EMAIL_URL", "CACHE_URL"]:
        assert name in result.stderr


def test_settings_debug_uses_embedded_default(tmp_path):
    env = {**CLEAN_ENV, "DEBUG": "1", "CELERY_BROKER_URL": "", "CQC_VAR_DIR": str(tmp_path)}
    env.pop("CELERY_BROKER_URL")
    env.pop("CQC_REQUIRE_SERVICES", None)
    result = _import_settings(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]
    assert (tmp_path / "celery" / "queue").is_dir()


def test_settings_time_zone_and_language():
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.LANGUAGE_CODE == "en-gb"
    assert settings.USE_TZ is True


def _production_env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CQC_", "DJANGO_", "DEBUG", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(
        SECRET_KEY="a-long-random-production-secret-" + "x7Qp2" * 10,
        DATABASE_URL="postgres://portal:secret@db.internal:5432/cqcportal",
        CELERY_BROKER_URL="redis://redis.internal:6379/0",
        ALLOWED_HOSTS="portal.example.org",
        EMAIL_URL="smtp+tls://user:password@smtp.example.org:587",
        DEFAULT_FROM_EMAIL="no-reply@portal.example.org",
        PORTAL_BASE_URL="https://portal.example.org",
        CACHE_URL="redis://redis.internal:6379/1",
    )
    return env


def test_settings_production_passes_check_deploy_with_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_production_cookies_headers_and_policy():
    code = (
        "import cqcportal.settings as s, json; print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_HTTPONLY,"
        " s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=_production_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    import json

    assert json.loads(result.stdout) == [True, True, True, 31536000, True, True, ["'self'"]]
