"""Roomvault settings: every value comes from the environment, with its embedded default beside it.

The defaults run on a fresh machine with nothing installed (SQLite, a local media folder and a
filesystem Celery broker under DATA_DIR); environment variables switch to PostgreSQL, Redis or
RabbitMQ and S3. See README.md for the table of variables.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# GENERAL ---------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DEBUG = env.bool("DEBUG", default=False)
# The secret key is checked below, once the database tells a single host from several.
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Absolute URLs in API bodies (meta, url, links) use this when set, else the request's host.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"
ASGI_APPLICATION = "console.asgi.application"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "console",
    "recordings",
    "recordings.lifecycle",
    "recordings.video",
    "recordings.voice",
    "recordings.compositions",
    "recordings.imports",
    "recordings.devtools",
]

MIDDLEWARE = [
    # First: probes and /metrics are answered whatever the Host or scheme (console/health.py).
    "console.health.ProbeMiddleware",
    "console.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # console.middleware: page middleware that the APIs' paths skip (it says why).
    "console.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "console.middleware.SessionMiddleware",
    # Not skipped on the APIs: it validates the Host against ALLOWED_HOSTS on every request.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "console.middleware.AuthenticationMiddleware",
    "console.middleware.IdleSessionMiddleware",
    "console.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it records failed sign-ins and locks out.
    "axes.middleware.AxesMiddleware",
]

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
                "console.context_processors.navigation",
            ],
        },
    },
]

# DATABASE --------------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'roomvault.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_roomvault.sqlite3")}

# Sessions, page tokens, signed media URLs and stored import credentials are signed or sealed with
# SECRET_KEY, so every host of one vault needs the same one. A server database means several
# hosts may share it: without a key each would make its own, and nothing would work across them.
# A single host (SQLite) or a developer (DEBUG) keeps a key generated once into DATA_DIR by the
# entry points (console/datadir.py), never by importing these settings.
SECRET_KEY_FILE = None
if not SECRET_KEY:
    if not DEBUG and not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With a server database (DATABASE_URL) every host must use the "
            "same SECRET_KEY: set it in the environment of every web, worker and beat process "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY_FILE = DATA_DIR / "secret_key"
    SECRET_KEY = SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.exists() else ""

# SECURITY AND AUTH -----------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/security/
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# Lock a username from one address after repeated failures (by IP alone, one office behind a NAT
# would lock itself out; by username alone, anyone could lock out anyone).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# How many reverse proxies in front of Roomvault append to X-Forwarded-For; 0 ignores the header.
# The lockout and the audit read the client's address the same way (console/client_ip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "console.client_ip.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
# A console session ends after this long without a request (console/sessions.py).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=12 * 3600)
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=300)
# Behind HTTPS (a https PUBLIC_BASE_URL in production), insist on it.
_HTTPS = not DEBUG and PUBLIC_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _HTTPS else 0)
# Other hosts of the domain are not ours to decide: the operator opts in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# EMAIL -----------------------------------------------------------------------------------------
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# Invitations and password resets are mailed. Without EMAIL_URL mail is printed to the server's
# console and an inviter is shown the invitation link once instead (console.mail).
_email = env.email_url("EMAIL_URL", default="consolemail://")
# Unset parts come back as None; leave Django's defaults for them.
globals().update({name: value for name, value in _email.items() if value is not None})
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Roomvault <roomvault@localhost>")
# An invitation link can be used once, within this many days.
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)
# A password reset link stays valid this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3 * 3600)

# STATIC FILES ----------------------------------------------------------------------------------
# https://whitenoise.readthedocs.io/
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# MEDIA -----------------------------------------------------------------------------------------
# One switch: local folder (default) or S3 (AWS or any S3-compatible server).
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="local")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Behind nginx (deploy/nginx.conf): Django checks a signed media URL and answers with an empty
# X-Accel-Redirect to this internal location, which nginx serves from MEDIA_ROOT with Range.
# Empty: Django streams the bytes itself. S3 media never pass through us, so it is refused there.
MEDIA_ACCEL_REDIRECT = env.str("MEDIA_ACCEL_REDIRECT", default="")
if MEDIA_ACCEL_REDIRECT and not (
    MEDIA_ACCEL_REDIRECT.startswith("/") and MEDIA_ACCEL_REDIRECT.endswith("/")
):
    raise ImproperlyConfigured(
        f"MEDIA_ACCEL_REDIRECT ({MEDIA_ACCEL_REDIRECT!r}) must start and end with '/', "
        "e.g. /protected/ (the internal location of deploy/nginx.conf)"
    )
if MEDIA_ACCEL_REDIRECT and MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(
        f"MEDIA_ACCEL_REDIRECT is for MEDIA_STORAGE=local only (here {MEDIA_STORAGE!r}): "
        "S3 serves its own media through presigned URLs; unset MEDIA_ACCEL_REDIRECT"
    )
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="")
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="")
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
# Accounts' external buckets that may be written with the AWS_* credentials above (comma-separated);
# any other external bucket takes only the account's own AWS credentials (AwsCredentialsSid).
EXTERNAL_S3_ALLOWED_BUCKETS = env.list("EXTERNAL_S3_ALLOWED_BUCKETS", default=[])
# Upper bound of one request body (form posts); media uploads stream and have their own cap.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# CONTENT SECURITY POLICY -----------------------------------------------------------------------
# https://django-csp.readthedocs.io/en/latest/configuration.html
# Pages load script and style only from our own static files: no inline <script>, on* handler or
# style="" anywhere, so markup injected into a page cannot run. The API docs add data: images
# (console/urls.py). Media may come from the S3 endpoint or a tenant's own bucket (signed URLs);
# audio and video cannot run script, so any https origin is allowed for them.
_MEDIA_ORIGINS = [SELF, "https:"]
if AWS_S3_ENDPOINT_URL:
    _endpoint = urlsplit(AWS_S3_ENDPOINT_URL)
    _MEDIA_ORIGINS.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "media-src": _MEDIA_ORIGINS,
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# CACHE ----------------------------------------------------------------------------------------
# Shared by every web process (files under DATA_DIR on one machine; CACHE_URL=redis://… beyond).
# It holds only figures that are cheap to recompute, such as the dashboard's.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}
DASHBOARD_FIGURES_SECONDS = env.int("DASHBOARD_FIGURES_SECONDS", default=60)

# CELERY ----------------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# The default broker is kombu's filesystem transport: no server needed on a fresh machine.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis's visibility timeout is derived from the tasks' time limits in JOBS, at the end.
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# API -------------------------------------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["console.authentication.TwilioBasicAuthentication"],
    # Every API and ingest view is held to the caller's scope (console.roles), unless it says
    # otherwise.
    "DEFAULT_PERMISSION_CLASSES": ["console.authentication.ScopeAllowsAction"],
    "DEFAULT_RENDERER_CLASSES": ["recordings.twilio_api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "EXCEPTION_HANDLER": "recordings.twilio_api.errors.twilio_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Roomvault API",
    "DESCRIPTION": "Twilio-compatible Video Recordings API served by Roomvault.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are public, as Twilio's own are: no credentials are read there,
    # so an API caller's Basic header or a console session changes nothing.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set that both the API and the ingest parameters use.
    "ENUM_NAME_OVERRIDES": {
        "CallbackMethodEnum": "recordings.lifecycle.choices.CallbackMethod",
        "RecordingChannelsEnum": "recordings.voice.choices.RecordingChannels",
        "RecordingTrackEnum": "recordings.voice.choices.RecordingTrack",
    },
}
API_PAGE_SIZE_DEFAULT = 50
API_PAGE_SIZE_MAX = 1000
MEDIA_URL_TTL_DEFAULT = 600
MEDIA_URL_TTL_MAX = 3600

# RECORDINGS ------------------------------------------------------------------------------------
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=30)
# Voice recordings' metadata is kept longer after deletion (seed 003: 40 days).
VOICE_RECORDING_RETENTION_DAYS = env.int("VOICE_RECORDING_RETENTION_DAYS", default=40)
# Twilio keeps a deleted composition's metadata 30 days, as a video recording's (seed 001).
COMPOSITION_RETENTION_DAYS = env.int("COMPOSITION_RETENTION_DAYS", default=30)
# An account with the trash on keeps a deleted recording's media this long, restorable.
TRASH_DAYS = env.int("TRASH_DAYS", default=30)

# DATA_DIR FOLDERS ------------------------------------------------------------------------------
# What the entry points create (console/datadir.py) and importing these settings never does:
# DATA_DIR itself (SQLite, file cache, beat's schedule), collected static files, the default
# media folder (never one MEDIA_ROOT names elsewhere: a missing mount must show in /readyz, not be
# papered over with an empty local folder) and the filesystem broker's folders.
DATA_FOLDERS = [DATA_DIR, STATIC_ROOT]
if MEDIA_STORAGE == "local" and MEDIA_ROOT == DATA_DIR / "media":
    DATA_FOLDERS.append(MEDIA_ROOT)
if CELERY_BROKER_URL.startswith("filesystem://"):
    DATA_FOLDERS += [v for k, v in CELERY_BROKER_TRANSPORT_OPTIONS.items() if "folder" in k]

# HEALTH AND METRICS ----------------------------------------------------------------------------
# /healthz, /readyz and /metrics (README "Health, metrics and logs").
# Each of /readyz's checks (database, broker, media store) must answer within this long.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=3.0)
# /metrics answers only "Authorization: Bearer <METRICS_TOKEN>"; unset, it answers 404 to all.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Several web processes on one host (gunicorn workers): an empty folder they all write their
# samples to (prometheus_client reads this variable itself; wipe the folder at each start).
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# LOGGING ---------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/logging/
# LOG_FORMAT=json: one JSON object per line on stderr (python-json-logger), for web, worker and
# beat alike, with each request's method, route, status and duration.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes keeps failed sign-ins in its own table; its INFO line per sign-in is noise.
    # The twilio library (the importer's source client) logs every request and its headers.
    # A line per request in JSON only: as text, the server's own access log says it already.
    "loggers": {
        "axes": {"level": "WARNING"},
        "twilio": {"level": "WARNING"},
        "console.requests": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}

# IMPORTS ---------------------------------------------------------------------------------------
# The first wait before retrying a source's 429 or 5xx answer; each further one doubles it.
IMPORT_RETRY_BACKOFF_SECONDS = env.float("IMPORT_RETRY_BACKOFF_SECONDS", default=1.0)
# A console import runs as a chain of tasks (slices). A slice takes new recordings for
# IMPORT_TASK_SECONDS, then waits for the downloads still in flight, each of which may run for
# IMPORT_DOWNLOAD_SECONDS (one that takes longer fails with that reason), and queues the next.
# Both must fit inside the import task's own soft time limit, the rest of which is left for writing
# what arrived last; its hard limit comes after, far inside the broker's visibility timeout.
IMPORT_TASK_SECONDS = env.float("IMPORT_TASK_SECONDS", default=120.0)
IMPORT_DOWNLOAD_SECONDS = env.float("IMPORT_DOWNLOAD_SECONDS", default=600.0)
IMPORT_TASK_SOFT_TIME_LIMIT = env.float("IMPORT_TASK_SOFT_TIME_LIMIT", default=840.0)
IMPORT_TASK_TIME_LIMIT = env.float("IMPORT_TASK_TIME_LIMIT", default=900.0)
if IMPORT_TASK_SECONDS + IMPORT_DOWNLOAD_SECONDS >= IMPORT_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"IMPORT_TASK_SECONDS ({IMPORT_TASK_SECONDS:g}) plus IMPORT_DOWNLOAD_SECONDS "
        f"({IMPORT_DOWNLOAD_SECONDS:g}) must be less than IMPORT_TASK_SOFT_TIME_LIMIT "
        f"({IMPORT_TASK_SOFT_TIME_LIMIT:g}): an import slice and the downloads it leaves in flight "
        "must end before the task's soft time limit stops them"
    )
if IMPORT_TASK_TIME_LIMIT <= IMPORT_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"IMPORT_TASK_TIME_LIMIT ({IMPORT_TASK_TIME_LIMIT:g}) must be more than "
        f"IMPORT_TASK_SOFT_TIME_LIMIT ({IMPORT_TASK_SOFT_TIME_LIMIT:g}): a slice stopped by the "
        "soft limit needs time to keep its progress and queue the next one"
    )

# CALLBACKS -------------------------------------------------------------------------------------
# Status callbacks: each attempt waits this long; failures are retried with exponential backoff
# (base * 2^attempt seconds) until this many attempts were made.
CALLBACK_TIMEOUT_SECONDS = env.float("CALLBACK_TIMEOUT_SECONDS", default=10.0)
CALLBACK_MAX_ATTEMPTS = env.int("CALLBACK_MAX_ATTEMPTS", default=6)

# Compositions run on their own queue, so workers for them can run on machines of their own.
CELERY_TASK_ROUTES = {"compositions.compose": {"queue": "compositions"}}
# A composition may take this long (a 4-hour room at Twilio's worst case of half its length).
COMPOSITION_TIME_LIMIT = env.int("COMPOSITION_TIME_LIMIT", default=2 * 3600 + 60)
# How long a composition of an ended room waits for recordings still awaiting their media
# (polling every COMPOSITION_MEDIA_POLL_SECONDS) before composing what arrived.
COMPOSITION_MEDIA_WAIT_SECONDS = env.int("COMPOSITION_MEDIA_WAIT_SECONDS", default=3600)
COMPOSITION_MEDIA_POLL_SECONDS = env.int("COMPOSITION_MEDIA_POLL_SECONDS", default=10)
# Seed 001: "The maximum size of all selected Recordings for a Composition is 40 GB."
COMPOSITION_MAX_SOURCE_BYTES = env.int("COMPOSITION_MAX_SOURCE_BYTES", default=40 * 10**9)
CALLBACK_RETRY_BASE_SECONDS = env.float("CALLBACK_RETRY_BASE_SECONDS", default=5.0)

# OUTBOUND --------------------------------------------------------------------------------------
# Private networks (CIDRs, comma-separated) that URLs given by tenants may reach: status callbacks,
# console imports and their media. Loopback, private, link-local (cloud metadata) and other
# non-public addresses are refused otherwise; e.g. 127.0.0.0/8 for a developer's own receivers.
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])

# INGEST ----------------------------------------------------------------------------------------
# Largest media file a media server may upload (bytes); uploads stream to disk, never to memory.
INGEST_MAX_UPLOAD_BYTES = env.int("INGEST_MAX_UPLOAD_BYTES", default=8 * 1024**3)

# BULK DELETION ---------------------------------------------------------------------------------
# Recordings soft-deleted per chunk (one transaction each); a task runs chunks for up to
# BULK_DELETE_TASK_SECONDS, well inside the broker's visibility timeout and the task time limit.
BULK_DELETE_CHUNK = env.int("BULK_DELETE_CHUNK", default=1000)
BULK_DELETE_TASK_SECONDS = env.float("BULK_DELETE_TASK_SECONDS", default=60.0)
# While the API's recent p99 (console/latency.py) is over this many ms, a bulk deletion pauses
# longer and longer between chunks (recordings/lifecycle/throttle.py); 0 never pauses.
BULK_DELETE_API_P99_MS = env.float("BULK_DELETE_API_P99_MS", default=250.0)

# RETENTION -------------------------------------------------------------------------------------
# Deleted recordings purged per batch (one short transaction each) by the daily purge.
PURGE_BATCH_SIZE = env.int("PURGE_BATCH_SIZE", default=5000)
# The media sweep leaves a just-deleted recording's media to its own deletion task this long.
MEDIA_SWEEP_GRACE_SECONDS = env.int("MEDIA_SWEEP_GRACE_SECONDS", default=300)
# How often beat runs that sweep (and re-queues media deletions lost with their worker).
MEDIA_SWEEP_SECONDS = env.int("MEDIA_SWEEP_SECONDS", default=600)

# S3 MEDIA UPLOADS ------------------------------------------------------------------------------
# Part size (and threshold) of multipart uploads to S3; S3's minimum part size is 5 MiB.
S3_MULTIPART_CHUNK = env.int("S3_MULTIPART_CHUNK", default=8 * 1024 * 1024)

# JOBS ------------------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
# Why the broker settings are what they are (docs/deploy.md, "Broker settings and why"):
# - acks_late + reject_on_worker_lost + prefetch 1 (CELERY, above): a task is acknowledged once
#   it has run, so a broker that redelivers gives a killed worker's task to another, and a worker
#   holds no more than the one task it runs.
# - Redis redelivers a task not acknowledged within its visibility timeout, even one still
#   running: the timeout must outlast the longest hard time limit (a composition's), or that task
#   runs twice. It is derived from the limits; one set below them is refused.
# - RabbitMQ closes the channel of a consumer that holds an unacknowledged message longer than its
#   consumer_timeout (30 min by default): a composition of up to COMPOSITION_TIME_LIMIT needs
#   consumer_timeout above it in rabbitmq.conf (docs/deploy.md).
# - The filesystem broker deletes a message as a worker fetches it: no redelivery at all.
# Whatever the broker, jobs keep their progress in the database, and the watchdog (beat, every
# minute) queues again any job that made no progress for JOB_STALL_SECONDS: a queued job whose
# message was lost, a running one whose worker was. It must outlast a healthy job's quietest
# stretch: a bulk deletion's chunk, an import slice's heartbeat (a third of it), a composition's
# one percent.
JOB_STALL_SECONDS = env.int("JOB_STALL_SECONDS", default=300)
# How often beat runs that watchdog: a lost job waits up to JOB_STALL_SECONDS plus this long.
JOB_WATCHDOG_SECONDS = env.int("JOB_WATCHDOG_SECONDS", default=60)
# A recording still awaiting media this long after its room or call ended is given up: failed
# (video) or absent (voice), with its status callback.
MEDIA_WAIT_HOURS = env.float("MEDIA_WAIT_HOURS", default=24.0)
TASK_TIME_LIMITS = {
    "CELERY_TASK_TIME_LIMIT": CELERY_TASK_TIME_LIMIT,
    "IMPORT_TASK_TIME_LIMIT": IMPORT_TASK_TIME_LIMIT,
    "COMPOSITION_TIME_LIMIT": COMPOSITION_TIME_LIMIT,
}
_longest_name = max(TASK_TIME_LIMITS, key=TASK_TIME_LIMITS.__getitem__)
_longest = TASK_TIME_LIMITS[_longest_name]
# A margin past the hard limit: the worker needs a moment to kill the task and give the slot back.
VISIBILITY_TIMEOUT = env.int("VISIBILITY_TIMEOUT", default=int(_longest * 1.1) + 60)
if _longest >= VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        f"VISIBILITY_TIMEOUT ({VISIBILITY_TIMEOUT}) must be more than {_longest_name} "
        f"({_longest:g}): Redis would deliver a task still running to a second worker."
    )
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = VISIBILITY_TIMEOUT
