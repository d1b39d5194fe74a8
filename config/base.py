"""The settings that never differ per environment (config/settings.py reads the rest from it):
installed apps, middleware, templates, password validators and REST framework's classes, as
config/openapi.py holds the schema's and config/logconfig.py the logging's."""

INSTALLED_APPS = [
    # First: its runserver (ASGI: HTTP and the /ws/events/ WebSocket on one port) replaces Django's.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "django_prometheus",
    "auditlog",
    "core",
    "organisation",
    "accounts",
    "clinical",
    "devices",
    "workorders",
    "maintenance",
    "spareparts",
    "monitoring",
    "dashboard",
    "reports",
    "notifications",
    "events",
    "demo",
    "audit",
    "fhir",
    "webhooks",
]

MIDDLEWARE = [
    # First and last: /metrics' request counts and latencies see every request (django-prometheus).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Accept-Language (en, the default, or ar) picks the language of messages; answers carry Content-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (the admin's session user), around the views: audit entries' actor and
    # the request's read entries, written in one INSERT before the response leaves.
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ApiExceptionMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]


TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Argon2 first: new passwords are hashed with it, and a login with an older (PBKDF2) hash rehashes
# it with Argon2 (Django upgrades a hash whose hasher is not the first one on a successful check).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# django-auditlog (audit/): our entry model, typed JSON changes, the request id as correlation id,
# free text masked to "[redacted]" (audit/registry.py).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_CID_GETTER = "core.middleware.current_request_id"
AUDITLOG_MASK_CALLABLE = "audit.registry.redact"
# django-auditlog's own LogEntry is swapped for audit.AuditEntry, but its migrations would still create
# that unused table, with a foreign key to users that makes PostgreSQL refuse Django's flush (TRUNCATE).
MIGRATION_MODULES = {"auditlog": None}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    # SimpleJWT's, answering an unknown Authorization scheme (`Token`, `JWT`) with what to send.
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.RolePermission"],
    # OPTIONS describes the serializer each write would use (create, update, the caller's role).
    "DEFAULT_METADATA_CLASS": "core.metadata.ActionMetadata",
    # ?format=csv where no CSV is offered, on any view: a 406 naming where it is, not DRF's 404.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.CSVNegotiation",
    # JSON in; the routes that take files add multipart themselves (core.parsers.UPLOAD_PARSERS).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.LimitedJSONParser"],
    # JSON only, also with DEBUG on: an error under /api/ is never an HTML page (Swagger UI at
    # /api/docs/ is the browsable interface). Written by orjson, as DRF's renderer writes it.
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.ListFilterBackend",
        "core.filters.ListSearchFilter",
        "core.filters.ListOrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",  # DRF's, degrading when the cache is down
        "core.throttling.UserRateThrottle",
    ],
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# The API speaks English (the default) and Arabic: our messages through gettext (locale/, compiled
# catalogues committed), Django's and DRF's through their own.
LANGUAGES = [("en", "English"), ("ar", "العربية")]
