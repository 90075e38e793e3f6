"""Settings shared by every environment. Each value reads the environment with one default."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.log import DEFAULT_LOGGING
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database, broker and private files


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # pg_trgm and the trigram index of order numbers (§18); inert on SQLite.
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_fsm_log",
    "django_prometheus",
    "axes",  # login lockout (abuse limits, below)
    "csp",  # Content-Security-Policy (abuse limits, below)
    "tickets",
    "complaints",
    "idempotency",
    "merchant",
    "operations",
    "webhooks",
]

MIDDLEWARE = [
    # Request counts and latencies for /metrics (django-prometheus): first and last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that makes a page, the lockout page included (abuse limits, below).
    "config.csp.PlainPolicyCSPMiddleware",  # django-csp's, the plain header built once
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware, except that /merchant/ starts in zh-hans whatever the browser asks.
    "merchant.middleware.ChineseFirstLocaleMiddleware",
    # NUL in a path, cookie, query or form body: 404/400 before any view or lookup (§11).
    "config.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The product's 404/403 pages for the merchant pages' and the admin's own refusals, with
    # DEBUG on as off.
    "config.errors.ProductErrorPagesMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL selects the engine: SQLite by default (nothing to install), PostgreSQL in
# production and CI. The pool needs CONN_MAX_AGE = 0.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["pool"] = env_bool("DATABASE_POOL", True)
    # Parameters bound by the server, and a statement prepared once it has run a few times on
    # a pooled connection: the hot statements (a reply's lock, the token lookup) are then not
    # parsed and planned again on every request. Set DATABASE_SERVER_SIDE_BINDING=false behind
    # a pooler in transaction mode (PgBouncer), which cannot keep prepared statements.
    if env_bool("DATABASE_SERVER_SIDE_BINDING", True):
        options["server_side_binding"] = True
        options["prepare_threshold"] = 5  # psycopg's default, which Django turns off
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server, the worker and beat share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if os.environ.get("DATABASE_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format in both languages, read-only and editable alike (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves it after collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence files are private: stored outside any public URL, served by a permission-checked view.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGIN_URL = "merchant:login"
LOGIN_REDIRECT_URL = "merchant:dashboard"
LOGOUT_REDIRECT_URL = "merchant:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, refusing deep nesting, NUL and lone surrogates with a 400 (§11).
    "DEFAULT_PARSER_CLASSES": [
        "tickets.api.parsers.JSONParser",
        "tickets.api.parsers.FormParser",
        "tickets.api.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "tickets.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "tickets.api.errors.api_exception_handler",
    # Rates per caller (abuse limits, below).
    "DEFAULT_THROTTLE_CLASSES": ["tickets.api.throttling.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Every authenticated caller, per token (one token per user): §17's default.
        "user": os.environ.get("API_RATE_USER", "1200/min"),
        # The order system's service account pushes every order and its events.
        "order_system": os.environ.get("API_RATE_ORDER_SYSTEM", "12000/min"),
        # No valid credentials (a missing or wrong token, the docs), per client address.
        "anon": os.environ.get("API_RATE_ANON", "60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    # Swagger UI from the installed sidecar package, not a CDN: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Urge-shipment tickets API",
    "DESCRIPTION": "催发货售后任务工单: buyer apps, the order system and merchants.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components, so read-only fields are never asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TicketStateEnum": "tickets.models.TicketState",
        "PlanEnum": "tickets.models.Plan",
        "SecondPlanEnum": "tickets.models.SecondPlan",
        "SettlementEnum": "tickets.models.Settlement",
        "MessageKindEnum": "tickets.models.MessageKind",
        "ComplaintStateEnum": "complaints.models.ComplaintState",
        "ComplaintKindEnum": "complaints.models.ComplaintKind",
        "CompensationKindEnum": "complaints.models.CompensationKind",
    },
}

# Celery: one CELERY_ namespace. REDIS_URL (or CELERY_BROKER_URL) for real deployments; the
# default is kombu's filesystem transport so one machine runs web, worker and beat with no server.
# The filesystem transport ignores the host, but kombu warns ("No hostname was supplied") each
# time it pools a connection whose URL names none, so the default URL names one.
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if not CELERY_BROKER_URL.startswith("filesystem:")
    else {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
)
if CELERY_BROKER_URL.startswith("filesystem:"):
    BROKER_DIR.mkdir(parents=True, exist_ok=True)  # the transport does not create it
# On Redis, kombu's transport with the outage guard of config/broker.py.
CELERY_BROKER_TRANSPORT = (
    "config.broker:Transport" if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else None
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits for the broker however long it is away (Celery's default gives up after 100
# tries, about 50 minutes, and the worker exits).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Enqueueing is best effort (the outbox and the periodic re-send make up for a lost enqueue), so
# a request gives up on a dead broker after one quick retry instead of waiting seconds.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Every transition's audit row, with the service's actor, payload and instant.
DJANGO_FSM_LOG_STORAGE_METHOD = "tickets.audit.AuditBackend"

# Buyer messages (§10): delivered to this webhook signed with HMAC-SHA256, or logged when unset.
BUYER_MESSAGE_WEBHOOK_URL = os.environ.get("BUYER_MESSAGE_WEBHOOK_URL", "")
BUYER_MESSAGE_WEBHOOK_SECRET = os.environ.get("BUYER_MESSAGE_WEBHOOK_SECRET", SECRET_KEY)
# §15: merchants' webhook URLs are https with public addresses only, unless this is true (the
# default of the development and test settings).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)

# Operations (§16): /metrics answers loopback, and elsewhere only `Authorization: Bearer` with
# this token (empty: loopback only). The console pings the workers for at most this long.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
OPERATIONS_WORKER_PING_TIMEOUT = float(os.environ.get("OPERATIONS_WORKER_PING_TIMEOUT", "1.0"))
# §19: the publish form's "preview impact" stops (and says so) past this many seconds.
POLICY_IMPACT_TIMEOUT_SECONDS = float(os.environ.get("POLICY_IMPACT_TIMEOUT_SECONDS", "20"))

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}

# -- Abuse limits (§17): login lockout, the client's address, Content-Security-Policy ---------

# django-axes: 5 failed logins for one username from one address → that pair is refused for 15
# minutes, on every login that goes through django.contrib.auth (the merchant login and the
# admin's). Other usernames and other addresses are not affected; a successful login resets the
# count. The API's token authentication never calls authenticate(): it is throttled instead.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before the rest
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every process
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out are refused without being counted, so the lockout ends 15 minutes
# after the failure that caused it, the time the message gives.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login: failures are what we need
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"  # the login page, saying until when
AXES_VERBOSE = False  # no start-up banner in every process; failures are still logged

# The client's address, for the lockout and the API's anonymous rate (both read it with
# django-ipware through django-axes: axes.helpers.get_client_ip_address). TRUSTED_PROXY_COUNT
# is the number of reverse proxies in front of the application that append to X-Forwarded-For:
# 0 by default (the header is ignored, since anyone can send it; REMOTE_ADDR is the client);
# production's default is 1 (a TLS-terminating load balancer). With N, the address is the one
# the outermost of our proxies saw, the Nth from the right, whatever a client put further left.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))


def client_address_settings(proxies: int) -> dict:
    """django-ipware's settings (as django-axes passes them) for `proxies` trusted proxies."""
    if proxies < 0:
        raise ValueError("TRUSTED_PROXY_COUNT cannot be negative")
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": (
            ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if proxies else ("REMOTE_ADDR",)
        ),
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        # ipware counts the proxies named in the header: all of ours but the nearest one.
        "AXES_IPWARE_PROXY_COUNT": proxies - 1 if proxies else None,
    }


IPWARE_STRICT = False  # a longer header (a client's own entries) is not an error: see above
globals().update(client_address_settings(TRUSTED_PROXY_COUNT))

# django-csp: every response says where a page may load things from: this site only, and no
# inline script (the pages' scripts are static files; data goes in json_script blocks).
# Inline *styles* are allowed: Django's admin writes some (style attributes, and a <style>
# element on change lists without actions), as do our admin badges and the Swagger UI page.
# A style cannot run script; what the policy is for, injected script, stays blocked.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # Swagger UI's icons are data: URLs
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],  # as X-Frame-Options: DENY
    }
}

# Everything goes to the root logger's one console handler. Django's default config gives the
# `django` logger a console handler of its own (under DEBUG) that would print each of its
# records a second time ("Not Found: /api/v1/" twice): `handlers: []` removes it, and the
# records propagate to the root like every other library's. Configuring `django` resets its
# children, so runserver's access log (`django.server`) gets Django's own config back.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": DEFAULT_LOGGING["formatters"]["django.server"],
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not every successful login
    },
}
