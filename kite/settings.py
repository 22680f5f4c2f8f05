"""Kite's settings: one module, every value from the environment.

Defaults suit the embedded mode of `make run` (SQLite and SeaweedFS/Valkey
under ./var/); production sets the variables listed in docs/configuration.md.
What `make run` decides (its secret, database, storage and broker) it writes to
`var/kite.env`, which is read here for any variable the environment leaves
unset, so `manage.py` works in a second terminal with nothing exported.
"""

import os
from pathlib import Path
from typing import Any, overload

import dj_database_url
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _read_env_file(path: Path | None) -> dict[str, str]:
    """`NAME=value` lines (blank lines and `#` comments skipped); nothing when there is no such file."""
    if path is None or not path.is_file():
        return {}
    try:
        text = path.read_text()
    except (OSError, UnicodeError) as error:
        raise ImproperlyConfigured(
            f"{path} cannot be read ({error}); set KITE_ENV_FILE to another file or empty"
        ) from None
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value")
        values[name.strip()] = value.strip()
    return values


# KITE_ENV_FILE names another file; set it empty to read none.
_ENV_FILE_SETTING = os.environ.get("KITE_ENV_FILE")
if _ENV_FILE_SETTING is None:
    ENV_FILE: Path | None = Path(os.environ.get("KITE_VAR_DIR", BASE_DIR / "var")) / "kite.env"
else:
    ENV_FILE = Path(_ENV_FILE_SETTING) if _ENV_FILE_SETTING else None
_FILE_VALUES = _read_env_file(ENV_FILE)


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    """Read `name` from the environment, else from ENV_FILE; or the contents of the file named by `name_FILE`
    (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, _FILE_VALUES.get(name, default))


def envbool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def envint(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    value = env(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_dramatiq",
    "axes",
    "kite",
    "activity",
    "accounts",
    "quotas",
    "topics",
    "documents",
    "shares",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and JSON shrink several times on the wire. BREACH: Django pads each compressed answer by a random
    # length ("Heal the Breach") and masks the CSRF token anew in every answer, the mitigations its docs name.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kite.middleware.ContentSecurityPolicyMiddleware",
    "kite.middleware.TimezoneMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Before the password check, a locked-out username and address (django-axes), then a locked-out address
    # (ACC-04). Axes stays first: force_login and sessions use the first backend that can load a user.
    "axes.backends.AxesStandaloneBackend",
    "accounts.throttle.AddressBackend",
    "accounts.backends.PasswordBackend",
]

ROOT_URLCONF = "kite.urls"
WSGI_APPLICATION = "kite.wsgi.application"

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
                "quotas.context_processors.quota",
            ],
            "builtins": ["kite.templatetags.sizes", "kite.templatetags.when"],
        },
    },
]

VAR_DIR = Path(os.environ.get("KITE_VAR_DIR", str(BASE_DIR / "var")))
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kite.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent confirms serialise on SQLite's write lock; wait rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents:list"
LOGOUT_REDIRECT_URL = "home"

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "kite@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Object storage ----------------------------------------------------------
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", "http://127.0.0.1:8333")
# The browser signs nothing, but SigV4 covers the Host header: presign against
# the address the browser will reach.
S3_PUBLIC_ENDPOINT_URL: str = env("S3_PUBLIC_ENDPOINT_URL") or S3_ENDPOINT_URL
S3_BUCKET = env("S3_BUCKET", "kite")
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID", "kite-dev-access")
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY", "kite-dev-secret")
S3_REGION = env("S3_REGION", "us-east-1")


def _s3_options(endpoint_url: str) -> dict:
    return {
        "access_key": S3_ACCESS_KEY_ID,
        "secret_key": S3_SECRET_ACCESS_KEY,
        "bucket_name": S3_BUCKET,
        "endpoint_url": endpoint_url,
        "region_name": S3_REGION,
        "signature_version": "s3v4",
        "addressing_style": "path",
        "default_acl": None,
        "file_overwrite": False,
        "querystring_expire": 300,
        # Fail fast when storage is down: the caller answers 503 and retries later.
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=20,
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    }


STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options(S3_ENDPOINT_URL)},
    "documents": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options(S3_ENDPOINT_URL)},
    "documents_public": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": _s3_options(S3_PUBLIC_ENDPOINT_URL),
    },
    "staticfiles": {
        "BACKEND": "kite.staticstorage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Background work ---------------------------------------------------------
BROKER_URL = env("BROKER_URL", "redis://127.0.0.1:6379/0")
_broker_options: dict[str, Any]
if BROKER_URL.startswith(("amqp://", "amqps://")):
    _broker_class, _broker_options = "dramatiq.brokers.rabbitmq.RabbitmqBroker", {"url": BROKER_URL}
elif BROKER_URL.startswith(("redis://", "rediss://", "valkey://")):
    _broker_class = "dramatiq.brokers.redis.RedisBroker"
    _broker_options = {
        "url": BROKER_URL.replace("valkey://", "redis://", 1),
        "namespace": env("BROKER_NAMESPACE", "kite"),
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
    }
else:
    raise ImproperlyConfigured("BROKER_URL must be a redis://, valkey:// or amqp:// URL")
DRAMATIQ_BROKER = {
    "BROKER": _broker_class,
    "OPTIONS": _broker_options,
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

# --- API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "not logged in" into a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kite.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["kite.api.JSONParser"],
    "EXCEPTION_HANDLER": "kite.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kite API",
    "DESCRIPTION": "Documents, topics, quota and provider settings of one Kite user.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Documents and exports both have a `state`, each with its own choices: each enum gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "DocumentStateEnum": "documents.models.Document.State",
        "ExportStateEnum": "exports.models.Export.State",
    },
    # Swagger UI is served by the app itself, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "kite.schema.add_error_responses"],
}

# --- Kite --------------------------------------------------------------------
GIB = 1024**3
MIB = 1024**2
KITE_DEFAULT_QUOTA_BYTES = envint("KITE_DEFAULT_QUOTA_BYTES", 1 * GIB, minimum=0)
KITE_MAX_UPLOAD_BYTES = envint("KITE_MAX_UPLOAD_BYTES", 100 * MIB, minimum=1, maximum=5 * GIB)
# UP-01: files larger than this upload as S3 multipart uploads, in parts of KITE_MULTIPART_PART_SIZE (the store
# takes no part under 5 MiB but the last, and at most 10,000 parts).
KITE_MULTIPART_THRESHOLD = envint("KITE_MULTIPART_THRESHOLD", 64 * MIB, minimum=5 * MIB)
KITE_MULTIPART_PART_SIZE = envint("KITE_MULTIPART_PART_SIZE", 16 * MIB, minimum=5 * MIB, maximum=5 * GIB)
KITE_PENDING_UPLOAD_TTL = envint("KITE_PENDING_UPLOAD_TTL", 24 * 3600, minimum=120)
KITE_UPLOAD_URL_EXPIRY = envint("KITE_UPLOAD_URL_EXPIRY", 900, minimum=30, maximum=900)
if KITE_PENDING_UPLOAD_TTL <= KITE_UPLOAD_URL_EXPIRY:
    # Purging before the presigned POST expires would let a late upload leave an orphan object.
    raise ImproperlyConfigured("KITE_PENDING_UPLOAD_TTL must be longer than KITE_UPLOAD_URL_EXPIRY")
# LIFE-01: days a document stays in the trash before the scheduler deletes it (and its stored object) for good.
KITE_TRASH_DAYS = envint("KITE_TRASH_DAYS", 30, minimum=1, maximum=3650)
# A document queued or processing for this long has lost its message; the sweeper resends it.
KITE_PROCESSING_TIMEOUT = envint("KITE_PROCESSING_TIMEOUT", 900, minimum=60)
# A queued document's message the broker no longer holds is sent again after this many seconds.
KITE_QUEUE_RESEND_AFTER = envint("KITE_QUEUE_RESEND_AFTER", 120, minimum=10)
KITE_DOWNLOAD_URL_EXPIRY = envint("KITE_DOWNLOAD_URL_EXPIRY", 300, minimum=10, maximum=300)
# LIFE-06: each person's activity log keeps this many days; the scheduler deletes older events.
KITE_ACTIVITY_DAYS = envint("KITE_ACTIVITY_DAYS", 365, minimum=1)
# LIFE-04: what one address, one share link, and wrong passwords for one link may do in ten minutes.
KITE_SHARE_REQUESTS_PER_ADDRESS = envint("KITE_SHARE_REQUESTS_PER_ADDRESS", 60, minimum=1)
KITE_SHARE_REQUESTS_PER_LINK = envint("KITE_SHARE_REQUESTS_PER_LINK", 120, minimum=1)
KITE_SHARE_PASSWORD_FAILURES = envint("KITE_SHARE_PASSWORD_FAILURES", 10, minimum=1)
# Origins whose pages may post files straight to the bucket (its CORS rule).
KITE_UPLOAD_ORIGINS = envlist("KITE_UPLOAD_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation). Empty: derived from SECRET_KEY.
KITE_ENCRYPTION_KEYS = envlist("KITE_ENCRYPTION_KEY")
for _key in KITE_ENCRYPTION_KEYS:
    try:
        from cryptography.fernet import Fernet

        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured("KITE_ENCRYPTION_KEY must be Fernet keys (Fernet.generate_key())") from None

# The server's default LLM provider (D-15); without a kind, the built-in classifier is the default.
KITE_DEFAULT_PROVIDER_KIND = env("KITE_DEFAULT_PROVIDER_KIND", "") or ""
if KITE_DEFAULT_PROVIDER_KIND not in ("", "openai", "anthropic", "builtin"):
    raise ImproperlyConfigured("KITE_DEFAULT_PROVIDER_KIND must be openai, anthropic or builtin")
KITE_DEFAULT_PROVIDER_BASE_URL = env("KITE_DEFAULT_PROVIDER_BASE_URL", "") or ""
KITE_DEFAULT_PROVIDER_MODEL = env("KITE_DEFAULT_PROVIDER_MODEL", "") or ""
KITE_DEFAULT_PROVIDER_API_KEY = env("KITE_DEFAULT_PROVIDER_API_KEY", "") or ""
# DOC-08: user base URLs may reach private addresses only when this is on.
KITE_PROVIDER_ALLOW_PRIVATE_URLS = envbool("KITE_PROVIDER_ALLOW_PRIVATE_URLS", False)
KITE_PROVIDER_TIMEOUT = envint("KITE_PROVIDER_TIMEOUT", 60, minimum=1)
# Bounds on what a worker reads from one document.
KITE_CLASSIFY_MAX_BYTES = envint("KITE_CLASSIFY_MAX_BYTES", 20 * MIB, minimum=1024)
KITE_CLASSIFY_MAX_CHARS = envint("KITE_CLASSIFY_MAX_CHARS", 200_000, minimum=1000)
# Limits of the child process that reads a PDF or Word file (documents.sandbox): CPU seconds and memory.
KITE_EXTRACT_SECONDS = envint("KITE_EXTRACT_SECONDS", 20, minimum=1)
KITE_EXTRACT_MEMORY_MB = envint("KITE_EXTRACT_MEMORY_MB", 1536, minimum=128)
# Reading scans and photos (READ-01..03): the OCR engine, its languages, and the limits of one document.
KITE_OCR_ENGINE = env("KITE_OCR_ENGINE", "auto") or "auto"
if KITE_OCR_ENGINE not in ("auto", "tesseract", "rapidocr", "off"):
    raise ImproperlyConfigured("KITE_OCR_ENGINE must be auto, tesseract, rapidocr or off")
KITE_OCR_LANGUAGES = env("KITE_OCR_LANGUAGES", "eng+fra+deu") or "eng"
KITE_OCR_SECONDS = envint("KITE_OCR_SECONDS", 900, minimum=5)
KITE_MAX_PAGES = envint("KITE_MAX_PAGES", 500, minimum=1)
KITE_MAX_IMAGE_PIXELS = envint("KITE_MAX_IMAGE_PIXELS", 100_000_000, minimum=1_000_000)
# The language search stems words in (documents.search.language): applied by `manage.py migrate`, which then
# indexes every document again.
KITE_SEARCH_LANGUAGE = (env("KITE_SEARCH_LANGUAGE", "english") or "english").strip().lower()
# How numeric dates in documents read (documents.dates): 03/11/2026 is 3 November under DMY, 11 March under MDY.
KITE_DATE_ORDER = env("KITE_DATE_ORDER", "DMY") or "DMY"
if KITE_DATE_ORDER not in ("DMY", "MDY", "YMD"):
    raise ImproperlyConfigured("KITE_DATE_ORDER must be DMY, MDY or YMD")
# LIFE-05: a finished export is kept (and linked) this many hours, then deleted.
KITE_EXPORT_HOURS = envint("KITE_EXPORT_HOURS", 24, minimum=1, maximum=24 * 30)

# --- Security (SEC-05) ---------------------------------------------------------
# KITE_SECURE: the site is served over HTTPS (directly or behind a proxy that sets X-Forwarded-Proto).
KITE_SECURE = envbool("KITE_SECURE", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = KITE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", KITE_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes talk plain HTTP inside the network
if envbool("SECURE_PROXY_SSL_HEADER", KITE_SECURE):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if KITE_SECURE else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ACC-04: django-axes locks a username+address pair out after repeated failures, for pages and the API.
AXES_FAILURE_LIMIT = envint("KITE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
KITE_LOGIN_COOLOFF_MINUTES = envint("KITE_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = KITE_LOGIN_COOLOFF_MINUTES / 60  # hours
# Across usernames: failed log-ins one address may make per cool-off window, and accounts it may make per hour.
KITE_ADDRESS_FAILURE_LIMIT = envint("KITE_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
KITE_SIGNUPS_PER_ADDRESS = envint("KITE_SIGNUPS_PER_ADDRESS", 10, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
KITE_PROXY_COUNT = envint("KITE_PROXY_COUNT", 0, minimum=0)
# Failed log-ins are counted per username and client address; behind a proxy the client is read from
# X-Forwarded-For (kite.clientip), or every attempt would seem to come from the proxy.
AXES_CLIENT_IP_CALLABLE = "kite.clientip.client_ip"
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A share link's token is in its path: Django's request logs name paths, so they pass through a redaction.
    "filters": {"redact_secrets": {"()": "kite.logs.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
