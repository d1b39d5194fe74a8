"""MediTrack settings.

Everything comes from the environment (django-environ). With no environment at all the embedded
defaults give a working development server: SQLite file, local-memory cache, eager Celery tasks,
console email, DEBUG on. See README.md "Configuration" and .env.example.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import base, database, jobs, live_events
from config.logconfig import logging_config
from config.openapi import SPECTACULAR_SETTINGS  # noqa: F401 (a setting)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS", default=["http://localhost:5173", "http://localhost:4173"]
)
# Response headers a browser app on another origin may read: the lists' count accuracy, the request id.
CORS_EXPOSE_HEADERS = ["X-Count-Exact", "X-Request-ID"]
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=["http://localhost:5173", "http://localhost:4173"]
)

# The apps, middleware and templates never differ per environment: config/base.py.
INSTALLED_APPS, MIDDLEWARE, TEMPLATES = base.INSTALLED_APPS, base.MIDDLEWARE, base.TEMPLATES
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Data stores -------------------------------------------------------------------------------
# DATABASE_URL, DATABASE_POOLER (PgBouncer), DATABASE_REPLICA_URL, CONN_MAX_AGE: config/database.py.
DATABASES = database.databases(env, BASE_DIR)
DATABASE_ROUTERS = database.ROUTERS
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Every Redis call (cache, throttles, codes, Celery broker) gives up after this many seconds, so a
# hung Redis costs a request about a second (then a degraded throttle or a 503), never a worker.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "retry_on_timeout": False,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="meditrack"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work ---------------------------------------------------------------------------
# Three ways to run tasks, chosen by the environment:
# - REDIS_URL set (production, docker compose): Redis is the broker; `celery -A config worker` runs
#   tasks and `celery -A config beat` sends the periodic jobs below.
# - No REDIS_URL, the web process (`make run`, tests): tasks run eagerly in-process (emails).
# - No REDIS_URL, MEDITRACK_JOBS_WORKER=1 (set only for the worker that `make run` starts beside
#   runserver, config/devserver.py): kombu's filesystem transport under JOBS_DIR is the broker, so
#   the worker's embedded beat sends the periodic jobs to that worker without Redis. Never eager
#   there: an eager beat would run every job inside the scheduler itself.
JOBS_WORKER = env.bool("MEDITRACK_JOBS_WORKER", default=False)
JOBS_DIR = Path(env.str("JOBS_DIR", default=str(BASE_DIR / "var" / "celery")))  # broker folders + beat schedule
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = jobs.redis_broker_options(REDIS_SOCKET_TIMEOUT)
elif JOBS_WORKER:
    CELERY_BROKER_URL = "filesystem://"
    # One folder holds the queued messages (kombu reads and writes the same place); processed
    # messages are deleted, not archived. config.celery creates the folders when the worker starts.
    CELERY_BROKER_TRANSPORT_OPTIONS = jobs.filesystem_broker_options(JOBS_DIR)
    # Remote control (inspect, ping) and worker-to-worker events need a broadcast-capable broker;
    # one local worker has no use for them, and they would poll the folders for nothing.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # the worker itself waits for Redis to come back
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL and not JOBS_WORKER)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
# The worker logs through LOGGING below (one line per record, like the web process), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat's file-based scheduler (celery.beat.PersistentScheduler) keeps only each job's last run time
# in this file; the schedule itself is the code below (docs/jobs.md says why not django-celery-beat).
CELERY_BEAT_SCHEDULE_FILENAME = str(JOBS_DIR / "beat-schedule")

# The `make run` worker sends every job once as it starts (they are idempotent), so a new user sees
# PM work orders at once rather than after the first hour; beat then keeps the intervals.
JOBS_RUN_AT_START = env.bool("JOBS_RUN_AT_START", default=JOBS_WORKER)
# The periodic jobs and their intervals: config/jobs.py; JOB_SCHEDULE changes them (docs/jobs.md).
JOB_TASKS = jobs.JOB_TASKS
JOB_INTERVALS = jobs.job_intervals(env.str("JOB_SCHEDULE", default=""))
CELERY_BEAT_SCHEDULE = jobs.beat_schedule(JOB_INTERVALS)
# The PM generator's bounds per run (maintenance.services.generate_pm_workorders): a schedule behind
# by more occurrences catches up over later runs.
PM_MAX_OCCURRENCES_PER_RUN = env.int("PM_MAX_OCCURRENCES_PER_RUN", default=10)
PM_MAX_SCHEDULES_PER_RUN = env.int("PM_MAX_SCHEDULES_PER_RUN", default=10000)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)  # each webhook attempt (docs/webhooks.md)

# --- Alerting, silent monitors, reminders (the contract's "Alerts, jobs and notifications") -------
# A breach opens an alert once it is sustained: every reading beyond the band for this many seconds,
# or this many consecutive readings; it resolves once readings stay inside by the margin as long.
ALERT_SUSTAIN_SECONDS = env.int("ALERT_SUSTAIN_SECONDS", default=30)
ALERT_SUSTAIN_READINGS = env.int("ALERT_SUSTAIN_READINGS", default=3)
ALERT_RECOVERY_MARGIN_BPM = env.int("ALERT_RECOVERY_MARGIN_BPM", default=5)
# An assigned monitor silent this long raises a device_offline alert and a corrective work order.
MONITOR_STALE_SECONDS = env.int("MONITOR_STALE_SECONDS", default=300)
# A break-glass grant gives its holder read access to one patient for this long (clinical/access.py).
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=240)
# Interoperability: the HL7 v2 listener (manage.py hl7_listen), who may read /metrics, webhooks.
HL7_MLLP_HOST = env.str("HL7_MLLP_HOST", default="127.0.0.1")
HL7_MLLP_PORT = env.int("HL7_MLLP_PORT", default=2575)
HL7_ALLOWED_SOURCES = env.list("HL7_ALLOWED_SOURCES", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])
# SMS for appointment reminders: the console backend prints them; the HTTP backend POSTs to a gateway.
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.ConsoleSmsBackend")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)

# --- Live events (WebSocket /ws/events/, docs/events.md) --------------------------------------------
# The channel layer carries committed events (core.events.deliver) to the consumers. With REDIS_URL it
# is Redis, shared by every web process (and by the Celery worker, whose jobs publish too); without it
# it is in-process memory, which reaches only the clients of the process that published: enough for
# `make run` (one server process), not for several processes; `make run`'s jobs worker relays its
# events to the server (EVENTS_RELAY_* below).
CHANNEL_LAYERS = live_events.channel_layers(REDIS_URL, socket_timeout=REDIS_SOCKET_TIMEOUT,
                                             prefix=env.str("CACHE_KEY_PREFIX", default="meditrack"))
# The contract's 5 seconds for the first message ({"token": ...}); then 4401.
EVENTS_AUTH_TIMEOUT = env.float("EVENTS_AUTH_TIMEOUT", default=5.0)
# A write that publishes waits at most this long for the channel layer after its commit, then logs a warning.
EVENTS_SEND_TIMEOUT = env.float("EVENTS_SEND_TIMEOUT", default=max(1.0, REDIS_SOCKET_TIMEOUT))
# The relay, for `make run` without Redis only (config/devserver.py sets both variables, with a secret
# made per run): the jobs worker POSTs its events to the web process's POST /internal/events/
# (events/relay.py), which hands them to its in-memory layer. The worker sends (EVENTS_RELAY_URL); the
# web process accepts from loopback with the secret (EVENTS_RELAY_TOKEN; empty: the route is a 404).
# With REDIS_URL both stay off: every process shares the Redis layer.
EVENTS_RELAY_TOKEN = "" if REDIS_URL else env.str("MEDITRACK_EVENTS_RELAY_TOKEN", default="")
if EVENTS_RELAY_TOKEN and len(EVENTS_RELAY_TOKEN) < 32:
    raise ImproperlyConfigured("MEDITRACK_EVENTS_RELAY_TOKEN: at least 32 characters (config/devserver.py makes one).")
EVENTS_RELAY_URL = env.str("MEDITRACK_EVENTS_RELAY_URL", default="") if JOBS_WORKER and EVENTS_RELAY_TOKEN else ""

# --- Auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The API's failed-login lock under authenticate(), so Django admin's login shares it.
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginGuardBackend"]
AUTH_PASSWORD_VALIDATORS, PASSWORD_HASHERS = base.AUTH_PASSWORD_VALIDATORS, base.PASSWORD_HASHERS
AUDITLOG_LOGENTRY_MODEL, AUDITLOG_STORE_JSON_CHANGES = base.AUDITLOG_LOGENTRY_MODEL, base.AUDITLOG_STORE_JSON_CHANGES
AUDITLOG_CID_GETTER, AUDITLOG_MASK_CALLABLE = base.AUDITLOG_CID_GETTER, base.AUDITLOG_MASK_CALLABLE
MIGRATION_MODULES = base.MIGRATION_MODULES

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_LIFETIME_MIN", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# One-time codes (password reset, email verification, invitations) and login protection.
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=10 * 60)
OTP_MAX_ATTEMPTS = 5
INVITATION_TTL_SECONDS = 72 * 3600
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=5 * 60)

# --- REST framework ----------------------------------------------------------------------------
# The fixed part (classes, pagination, handler): config/base.py; the rates come from the environment.
REST_FRAMEWORK = {**base.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
    "anon": env.str("THROTTLE_ANON", default="600/min"),
    "user": env.str("THROTTLE_USER", default="3000/min"),
    "otp_email": env.str("THROTTLE_OTP_EMAIL", default="10/10m"),
    "otp_address": env.str("THROTTLE_OTP_ADDRESS", default="60/10m"),
}}
# How many proxies' X-Forwarded-For entries to trust for the client address (throttling). 0 trusts
# none: a client cannot pick its own address. (DRF's None would trust the whole header.)
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=0)

# The OpenAPI document's fixed settings: config/openapi.py (nothing in them differs per environment).

# Request bodies: JSON up to 10 MB (a 5,000-reading batch is ~0.5 MB); uploads are checked per route.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Password of the demo users that `make run` creates (development only; refused with DEBUG off).
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="MediTrack-demo-2026")

# --- Email -------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent_emails"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MediTrack <no-reply@meditrack.local>")

# --- i18n, static, media -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES, LOCALE_PATHS = base.LANGUAGES, [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production: DEBUG off) ----------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Secure cookies unless DEBUG is on; turn them off only for a plain-HTTP local stack (docker compose
# on localhost), where a browser would drop them and Django admin's login would fail on CSRF.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
if not DEBUG:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: one line per record with request id, user and route, JSON or plain (config/logconfig.py) -----
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")  # json: for a log collector
LOGGING = logging_config(level=env.str("LOG_LEVEL", default="INFO"), log_format=LOG_FORMAT)
