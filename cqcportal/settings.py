"""Settings for cqcportal, read from the environment.

Three situations, one module (see docs/adr/0002-settings-and-embedded-default.md):

* production (the default): DEBUG is off and every setting a live service needs must be given,
  or start-up fails with a list of what is missing;
* development (DEBUG=1): anything not given falls back to the embedded default, a SQLite file and
  kombu's filesystem transport under var/, so the portal runs with no servers installed;
* tests (cqcportal.test_settings sets CQC_TESTING=1): PostgreSQL and Redis when their URLs are
  given, which `make test` always does.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("CQC_TESTING", default=False)
PRODUCTION = not DEBUG and not TESTING

_REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": "a long random string, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'",
    "DATABASE_URL": "the PostgreSQL database, e.g. postgres://user:password@db.internal:5432/cqcportal",
    "CELERY_BROKER_URL": "the Redis broker, e.g. redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "comma-separated host names the portal answers to, e.g. portal.example.org",
    "EMAIL_URL": "the outgoing mail server, e.g. smtp+tls://user:password@smtp.example.org:587",
    "DEFAULT_FROM_EMAIL": "the sender address of the portal's e-mails",
    "PORTAL_BASE_URL": "the portal's public address, for links in e-mails, e.g. https://portal.example.org",
    "CACHE_URL": "the Redis cache shared by every web process, e.g. redis://redis.internal:6379/1",
}
if PRODUCTION:
    _missing = [name for name in _REQUIRED_IN_PRODUCTION if not env.str(name, default="")]
    if _missing:
        raise ImproperlyConfigured(
            "cqcportal cannot start in production: these settings are missing from the environment:\n"
            + "\n".join(f"  {name}: {_REQUIRED_IN_PRODUCTION[name]}" for name in _missing)
            + "\nFor local development with the embedded default (SQLite, no servers), set DEBUG=1."
        )

# Files the embedded default writes (SQLite database, Celery queue folders, e-mails) live here.
VAR_DIR = Path(env.str("CQC_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key-never-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The regulator's own name and branding (never the GOV.UK crown or the GDS Transport font).
PORTAL_REGULATOR_NAME = env.str("PORTAL_REGULATOR_NAME", default="Care Quality Commission")
PORTAL_SERVICE_NAME = env.str("PORTAL_SERVICE_NAME", default="Regulation portal")
# Links in e-mails are absolute; pages use paths.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "django_celery_beat",
    "django_fsm",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "cqcportal.accounts",
    "cqcportal.audit",
    "cqcportal.register",
    "cqcportal.notifications",
    "cqcportal.alerts",
    "cqcportal.deadlines",
    "cqcportal.core",
    "cqcportal.complaints",
    "assessments",
    "enforcement",
    "factual_accuracy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff (and providers who turned it on) may do nothing but finish signing in with their second factor
    # until that is done. (django-otp's own OTPMiddleware is not used: it costs a query on every request.)
    "cqcportal.accounts.middleware.SecondFactorRequiredMiddleware",
    # Activity moves the session's expiry on (sessions end after SESSION_IDLE_MINUTES without any).
    "cqcportal.accounts.session.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the locked page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cqcportal.urls"
WSGI_APPLICATION = "cqcportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cqcportal.core.context_processors.portal",
            ],
            # {% url %} with each address's shape worked out once a process (cqcportal/core/templatetags/fast_url.py).
            "builtins": ["cqcportal.core.templatetags.fast_url"],
        },
    },
]

# Database: PostgreSQL in production and tests; a SQLite file is the embedded default.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'cqcportal.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections are kept between requests (docs/adr/0013-national-scale.md): opening one costs PostgreSQL's password
# exchange on every request that touches the database, and measured at most a third of the throughput. Health
# checks drop a connection that broke while idle. Tests open and close their own.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if TESTING else 300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
USING_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if not USING_SQLITE:
    # Prepared statements (docs/adr/0013-national-scale.md): parameters go to PostgreSQL apart from the SQL, so a
    # statement a connection has run DB_PREPARE_THRESHOLD times is prepared and not planned again. Planning the
    # pages' joins cost more than running them (2.6 ms against 0.3 ms for the draft report's first read). Off
    # behind a pooler in transaction mode, which cannot keep prepared statements: DB_PREPARE_THRESHOLD=0.
    _prepare_threshold = env.int("DB_PREPARE_THRESHOLD", default=5)
    if _prepare_threshold > 0:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": _prepare_threshold}
        )
if USING_SQLITE:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat share the file: WAL lets readers and one writer work side by side, and
    # IMMEDIATE transactions take the write lock up front instead of failing half way through.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
if env.bool("CQC_REQUIRE_SERVICES", default=False) and USING_SQLITE:
    raise ImproperlyConfigured("CQC_REQUIRE_SERVICES is set but DATABASE_URL is not: tests must run on PostgreSQL.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "cqcportal.accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"
# Sign-in lock-out (django-axes, docs/adr/0012-signing-in.md): after this many failed attempts (wrong
# passwords and wrong second-factor codes alike) the account is locked for a while. Counted per account
# (the e-mail address, lower-cased), so one office's shared address cannot lock everyone out.
ACCOUNT_LOCKOUT_ATTEMPTS = env.int("ACCOUNT_LOCKOUT_ATTEMPTS", default=5)
ACCOUNT_LOCKOUT_MINUTES = env.int("ACCOUNT_LOCKOUT_MINUTES", default=30)
AXES_FAILURE_LIMIT = ACCOUNT_LOCKOUT_ATTEMPTS
AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=ACCOUNT_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Axes warns when the address is not counted too. We count per account on purpose: a care home's staff
# and a regulator's office each share one public address, so five typos there would lock everyone out.
# Spraying one password at many accounts meets 12-character passwords with the common-password check,
# and staff accounts also need a code from their phone (ADR 0012).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "cqcportal.accounts.lockout.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cqcportal.accounts.lockout.lockout_response"
# Axes' own access log is not needed: signing in and out is in the audit trail.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Staff always sign in with a second factor (TOTP); OTP_TOTP_ISSUER names the portal in the authenticator app.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Regulation portal")
# Sessions end after this long without activity; pages warn this long before.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_WARNING_MINUTES = env.int("SESSION_WARNING_MINUTES", default=5)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Only the compiled output is published; the Sass sources and build script stay private.
STATICFILES_DIRS = [("build", BASE_DIR / "static" / "build")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "cqcportal.core.staticfiles.StaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production, WhiteNoise serves straight from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# E-mail: SMTP in production; in development, files under var/mail that the demo mailbox page shows.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
# django-environ drops the leading slash of filemail:///abs/path; put it back.
EMAIL_FILE_PATH = "/" + EMAIL_CONFIG["EMAIL_FILE_PATH"].lstrip("/") if EMAIL_CONFIG.get("EMAIL_FILE_PATH") else None
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST", "localhost")
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = EMAIL_CONFIG.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = EMAIL_CONFIG.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@portal.invalid")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production and tests; kombu's filesystem transport is the embedded default.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = (
    env.str(
        "CELERY_RESULT_BACKEND",
        default=f"file://{VAR_DIR / 'celery' / 'results'}" if CELERY_BROKER_URL == "filesystem://" else "",
    )
    or None
)
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    # The filesystem transport does not create its folders; web, worker and beat all need them.
    for _folder in (
        _queue_dir,
        VAR_DIR / "celery" / "processed",
        VAR_DIR / "celery" / "results",
        VAR_DIR / "celery" / "control",
    ):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Broadcast (worker control) messages; kombu's default is a "control" folder in the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# A dead broker must not hang a web request: fail fast, and let the sweeps pick the work up later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
# The shared cache (docs/adr/0013-national-scale.md): Redis in production, shared by every web process and answering
# as an empty cache while Redis is down; a cache in each process's memory otherwise. It holds only what can be worked
# out again: public pages for anonymous visitors, for PUBLIC_PAGE_CACHE_SECONDS (0 turns that off; tests turn it on
# where they test it).
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "cqcportal.core.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "cqcportal",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=0 if TESTING else 600)

# Due deadlines the sweep claims and writes per transaction (docs/adr/0013-national-scale.md): large enough that
# its set-based statements pay off, small enough that a batch's locks are held for a fraction of a second.
DEADLINE_SWEEP_BATCH_SIZE = env.int("DEADLINE_SWEEP_BATCH_SIZE", default=2000)
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 0}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
# Inactivity, not a fixed day: every request moves the expiry on (docs/adr/0012-signing-in.md).
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Saved at most once a minute by accounts.session.SessionActivityMiddleware, not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_SAMESITE = "Lax"
# Django's database sessions, with the row's read compiled once per connection (cqcportal.core.compiled).
SESSION_ENGINE = "cqcportal.accounts.session_store"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (django-csp): scripts, styles, fonts and images only from the portal itself, and
# no inline script or style anywhere (GOV.UK Frontend is started from a file, not an inline <script>).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
