"""Settings, all from the environment.

SQLite under ./var/ by default; PostgreSQL when DATABASE_URL is set.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
# What Pingan creates (database, keys, attachments, exports, backups) is owner-only (DESIGN §8). Set
# here because every Pingan process, server, worker and command alike, loads these settings first.
os.umask(0o077)
VAR_DIR = Path(os.environ.get("PINGAN_VAR", "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _secret_from_file(name: str, make) -> str:
    """A secret kept under ./var/ so that it survives restarts of the demo."""
    path = VAR_DIR / name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value


DEBUG = _env_bool("PINGAN_DEBUG", False)
SECRET_KEY = os.environ.get("PINGAN_SECRET_KEY") or _secret_from_file(
    "secret.key", lambda: secrets.token_urlsafe(50)
)
# Key for PII encryption at rest (Fernet, urlsafe base64 of 32 bytes). Read lazily by
# pingan.core.crypto so that a missing key fails only where PII is touched.
FIELD_KEY = os.environ.get("PINGAN_FIELD_KEY", "")
FIELD_KEY_FILE = VAR_DIR / "field.key"

# Receipt codes are kept only as HMAC-SHA256 under this key (DESIGN §8). Losing it makes every
# receipt unreadable, so it lives beside the field key and must be backed up with it.
RECEIPT_KEY = os.environ.get("PINGAN_RECEIPT_KEY") or _secret_from_file(
    "receipt.key", lambda: secrets.token_urlsafe(32)
)

ALLOWED_HOSTS = [h for h in os.environ.get("PINGAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
ALLOWED_ORIGINS = [o for o in os.environ.get("PINGAN_ALLOWED_ORIGINS", "").split(",") if o]
COUNTY_CODE = os.environ.get("PINGAN_COUNTY_CODE", "")
# How the portal names the county to the public (示范县); unset: the county region's name.
COUNTY_NAME = os.environ.get("PINGAN_COUNTY_NAME", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Only for its templates and static files: the API docs then load Swagger UI from Pingan itself
    # (no CDN, which the CSP forbids and an intranet cannot reach).
    "ninja",
    "pingan.core",
    "pingan.regions",
    "pingan.accounts",
    "pingan.audit",
    "pingan.cases",
    "pingan.notices",
    "pingan.exports",
    "pingan.statistics",
    "pingan.analytics",
    "pingan.assessment",
    "pingan.supervision",
    "pingan.documents",
    "pingan.reports",
    "pingan.accountability",
    "pingan.screening",
    "pingan.focusareas",
    "pingan.surges",
    "pingan.inspections",
    "pingan.creation",
    "pingan.campaigns",
    "pingan.cockpit",
    "pingan.suggest",
    "pingan.api",
    "pingan.portal",
    "pingan.demo",
    "pingan.open311",
    "pingan.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pingan.core.middleware.NoStore",
    "pingan.core.middleware.ApiErrorShape",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body: size, NUL, nesting and invisible characters (DESIGN §8).
    "pingan.core.input.InputGuard",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-out after 8 h and after 30 min idle (with a message, so after messages), then the second
    # login step for those who need it.
    "pingan.accounts.middleware.SessionLimits",
    "django_otp.middleware.OTPMiddleware",
    "pingan.accounts.middleware.TwoFactorRequired",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "pingan.core.middleware.DomainErrorPages",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pingan.urls"
WSGI_APPLICATION = "pingan.wsgi.application"

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
                "pingan.navigation.navigation",
                "pingan.dashboard.accountability",
                "pingan.dashboard.focus_areas",
                "pingan.dashboard.surges",
            ],
            "builtins": ["pingan.core.templatetags.pingan_tags"],
        },
    },
]

# While the database is away every request answers 503 at once (pingan.core.outage): a new connection
# gives up after this many seconds, and a kept one is checked before each request reuses it, so that
# the first requests after the database returns do not fail on connections it dropped.
DB_CONNECT_TIMEOUT = int(os.environ.get("PINGAN_DB_CONNECT_TIMEOUT", "3"))


def database_from_url(url: str) -> dict[str, Any]:
    """A database from its URL, with the connection options Pingan uses for PostgreSQL."""
    db: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    if db["ENGINE"] == "django.db.backends.postgresql":
        # No JIT: Pingan's reads are short, and a plan estimated above jit_above_cost spent more time
        # compiling than running (1M cases: the KPI engine's stock read, 10 ms of work, 38 ms with JIT).
        db["OPTIONS"] = {"connect_timeout": DB_CONNECT_TIMEOUT, "options": "-c jit=off"}
        # Server-side binding with prepared statements: PostgreSQL then reuses query plans, and on the
        # ledger and case pages planning cost more than executing. Set PINGAN_PG_PREPARE=0 behind a
        # transaction-pooling proxy (pgbouncer), which cannot keep prepared statements.
        prepare = int(os.environ.get("PINGAN_PG_PREPARE", "5"))
        if prepare > 0:
            db["OPTIONS"] |= {"server_side_binding": True, "prepare_threshold": prepare}
    return db


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
    if test_name := os.environ.get("PINGAN_TEST_DB_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": test_name}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PINGAN_SQLITE", str(VAR_DIR / "pingan.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                # How long a write waits for another writer before the request answers 503.
                "timeout": float(os.environ.get("PINGAN_SQLITE_BUSY_TIMEOUT", "20")),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
            },
        }
    }

# A PostgreSQL streaming replica (DESIGN §9): the cockpit, the KPI API, report drafting and ledger
# exports read from it (pingan.core.replica); everything else, and every write, goes to the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    replica = database_from_url(os.environ["DATABASE_REPLICA_URL"])
    if "postgresql" not in DATABASES["default"]["ENGINE"] or "postgresql" not in replica["ENGINE"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL 只用于 PostgreSQL 流复制备库：请同时用 DATABASE_URL 指定 PostgreSQL 主库，"
            "两者都以 postgres:// 开头。"
        )
    # Under test the replica is the test database itself: nothing is created or migrated there.
    DATABASES["replica"] = replica | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["pingan.core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# DESIGN §8: at least 12 characters, not a common or all-digit password, not like the user's own names.
# Their messages are in Chinese under LANGUAGE_CODE zh-hans (the length one from pingan.accounts.passwords).
_VALIDATION = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": _VALIDATION + "UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "pingan.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": _VALIDATION + "CommonPasswordValidator"},
    {"NAME": _VALIDATION + "NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "pingan.accounts.clientlock.ClientLockBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Admin permissions follow roles (admin: configuration and accounts; auditor: the audit log).
    "pingan.accounts.backends.RolePermissionBackend",
]
# Staff login lockout (DESIGN §8): five failures for one username lock it for 15 minutes,
# whichever address they come from; the web login and POST /api/v1/auth/token count alike.
AXES_FAILURE_LIMIT = int(os.environ.get("PINGAN_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PINGAN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# ... and twenty failures from one client address, whatever usernames they try, stop that address for
# as long (pingan.accounts.clientlock; higher, since a town office signs in from behind one address).
PINGAN_CLIENT_LOGIN_FAILURES = int(os.environ.get("PINGAN_CLIENT_LOGIN_FAILURES", "20"))
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "pingan.accounts.views.locked_out"
AXES_VERBOSE = False
# axes warns that a lock without the client address can be dodged by rotating user agents or cookies;
# axes' own lock is on the username alone, which neither changes, and the lock per client is ours.
# SQLite builds no index with included columns (models.W040); only PostgreSQL, the production
# database, reads the monthly counters from the index alone.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]

# No inline scripts or styles anywhere in our pages. The Django admin (5.2) still uses inline
# styles and scripts of its own, so it is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Staff sessions end PINGAN_SESSION_HOURS after sign-in and after PINGAN_SESSION_IDLE_MINUTES without a
# request (DESIGN §8); pingan.accounts.middleware.SessionLimits enforces both from stamps in the session.
PINGAN_SESSION_HOURS = float(os.environ.get("PINGAN_SESSION_HOURS", "8"))
PINGAN_SESSION_IDLE_MINUTES = float(os.environ.get("PINGAN_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = int(PINGAN_SESSION_HOURS * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# API tokens expire this many days after they are issued.
PINGAN_TOKEN_DAYS = int(os.environ.get("PINGAN_TOKEN_DAYS", "90"))
# TOTP (django-otp): required for custodian and admin, open to all staff (pingan.accounts.twofactor).
OTP_TOTP_ISSUER = "平安"
# A wrong code makes the next try wait 1, 2, 4, 8 … seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1


def https_settings(hosts: list[str], origins: list[str]) -> dict:
    """What PINGAN_HTTPS=true turns on: Pingan behind a TLS-terminating proxy (DESIGN §8).

    The proxy must set X-Forwarded-Proto itself and drop any the client sends; otherwise a client could
    claim HTTPS. Cookies get the `__Host-` prefix, which browsers accept only with Secure, path "/" and
    no Domain, so no sibling host can plant or read them. HSTS stays off subdomains and out of the
    browsers' preload list unless the operator opts in: both bind every other site of the domain too.
    """
    include_subdomains = _env_bool("PINGAN_HSTS_INCLUDE_SUBDOMAINS", False)
    preload = _env_bool("PINGAN_HSTS_PRELOAD", False)
    return {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": int(os.environ.get("PINGAN_HSTS_SECONDS", "31536000")),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": include_subdomains,
        "SECURE_HSTS_PRELOAD": preload,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_PATH": "/",
        "CSRF_COOKIE_DOMAIN": None,
        # Same-origin posts pass Django's Origin check anyway; these are for a proxy that rewrites Host.
        "CSRF_TRUSTED_ORIGINS": origins
        or [f"https://{'*' if h.startswith('.') else ''}{h}" for h in hosts if h != "*"],
        # `check --deploy` asks for both HSTS options; they are the operator's choice (see above).
        "SILENCED_SYSTEM_CHECKS": [
            *SILENCED_SYSTEM_CHECKS,
            *([] if include_subdomains else ["security.W005"]),
            *([] if preload else ["security.W021"]),
        ],
    }


HTTPS = _env_bool("PINGAN_HTTPS", False)
if HTTPS:
    globals().update(https_settings(ALLOWED_HOSTS, ALLOWED_ORIGINS))

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("PINGAN_MEDIA", str(VAR_DIR / "media"))).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The 矛盾纠纷排查 return of a month is due by this day of the next month (GOVERNANCE §9).
SCREENING_DAY = int(os.environ.get("PINGAN_SCREENING_DAY", "5"))
PINGAN_MAX_UPLOAD_BYTES = int(os.environ.get("PINGAN_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# A whole request (several photos of a portal report included) is refused above this, before it is read.
PINGAN_MAX_BODY_BYTES = int(os.environ.get("PINGAN_MAX_BODY_BYTES", str(32 * 1024 * 1024)))
FILE_UPLOAD_HANDLERS = ["pingan.core.input.CappedUploadHandler"]
# 智能建议: the model `pingan train` writes and the intake and dispatch forms read (none: no hints).
SUGGEST_MODEL = Path(os.environ.get("PINGAN_SUGGEST_MODEL", str(VAR_DIR / "suggest.npz"))).resolve()
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
PINGAN_INPUT_ERROR_RENDERERS = {"/open311/": "pingan.open311.formats.render_input_error"}
# The ranking the accountability rule `ranking_last` reads: a dotted path to
# `provider(level, period) -> [{"code", "rank"}, ...]`; set empty (or not importable), that rule is skipped.
PINGAN_RANKING_PROVIDER = os.environ.get("PINGAN_RANKING_PROVIDER", "pingan.assessment.ranking.provider")
# The 红黑榜 of the 月通报 (GOVERNANCE §5), for the town and the department rankings alike: the first
# `commend_top` by rank are commended, unless their grade is one that is criticised; criticised are those
# whose grade is in `criticise_grades` (a veto makes the grade E) and, with `criticise_last`, the last.
PINGAN_HONOUR_ROLL = {"commend_top": 3, "criticise_grades": ["D", "E"], "criticise_last": True}
PINGAN_MAX_IMAGE_PIXELS = int(os.environ.get("PINGAN_MAX_IMAGE_PIXELS", str(40_000_000)))

# The cache holds the public path's rate-limit counters. The database cache works on one machine with
# several workers; set PINGAN_CACHE_URL=redis://… when running more than one machine.
if os.environ.get("PINGAN_CACHE_URL"):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["PINGAN_CACHE_URL"],
        }
    }
else:
    # Room for the kept sums of ended months (pingan.analytics.kept) and the cockpit's figures: a few
    # per scope and month; past the default 300 entries Django culls a third of the table at a time.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pingan_cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# Public path (portal and public API; Open311 clients hold an api key): limits per client and window.
# Behind a reverse proxy set PINGAN_CLIENT_ADDRESS_HEADER (e.g. HTTP_X_REAL_IP) to tell clients apart;
# the address is only ever hashed, never stored (DESIGN §8).
PINGAN_CLIENT_ADDRESS_HEADER = os.environ.get("PINGAN_CLIENT_ADDRESS_HEADER", "")
# How many proxies of ours append to that header: the client is the address they saw, counted from the
# right. Whatever the client itself put in front (X-Forwarded-For: forged, real) is never trusted.
PINGAN_TRUSTED_PROXY_HOPS = int(os.environ.get("PINGAN_TRUSTED_PROXY_HOPS", "1"))
PINGAN_PUBLIC_WINDOW_SECONDS = int(os.environ.get("PINGAN_PUBLIC_WINDOW_SECONDS", "900"))
PINGAN_PUBLIC_LOOKUP_FAILURES = int(os.environ.get("PINGAN_PUBLIC_LOOKUP_FAILURES", "10"))
PINGAN_PUBLIC_SUBMISSIONS = int(os.environ.get("PINGAN_PUBLIC_SUBMISSIONS", "10"))
PINGAN_PUBLIC_MESSAGES = int(os.environ.get("PINGAN_PUBLIC_MESSAGES", "30"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("PINGAN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Ledger exports of more rows than this are written by `pingan worker` in the background and offered for
# download on a progress page; smaller ones download at once. Background files are kept this many hours.
PINGAN_EXPORT_BACKGROUND_ROWS = int(os.environ.get("PINGAN_EXPORT_BACKGROUND_ROWS", "2000"))
PINGAN_EXPORT_KEEP_HOURS = float(os.environ.get("PINGAN_EXPORT_KEEP_HOURS", "24"))
# A task still marked running this long after it started is taken as abandoned by a worker that died
# on another machine, and run again by the next `pingan worker` to start (pingan.core.taskqueue).
PINGAN_TASK_STALE_MINUTES = int(os.environ.get("PINGAN_TASK_STALE_MINUTES", "30"))

# How long a server process keeps rows read on every request (a user's grants, a token, categories,
# regions, time-limit rules) before reading them again; a change reaches every process within this many
# seconds (pingan.core.memo). 0: always read afresh.
PINGAN_MEMO_SECONDS = float(os.environ.get("PINGAN_MEMO_SECONDS", "5"))

# The audit log is this many hash chains, each with its own head row locked by an append
# (pingan.audit.log): writes about different objects do not wait on each other's head.
PINGAN_AUDIT_PARTITIONS = int(os.environ.get("PINGAN_AUDIT_PARTITIONS", "8"))

# Business calendar: working periods of a working day, local time.
PINGAN_WORK_HOURS = os.environ.get("PINGAN_WORK_HOURS", "08:30-12:00,14:00-17:30")
# Escalation: one level (handler → unit_head → dispatcher → leader) per this many hours overdue.
PINGAN_ESCALATION_HOURS = float(os.environ.get("PINGAN_ESCALATION_HOURS", "24"))
# 挂牌督办 of a major hazard, listed by the system on acceptance: days between progress reports.
PINGAN_LISTED_REPORT_DAYS = int(os.environ.get("PINGAN_LISTED_REPORT_DAYS", "7"))
# 调解协议: the handler is reminded this many days before the performance deadline (and once it passes).
PINGAN_PERFORMANCE_REMIND_DAYS = int(os.environ.get("PINGAN_PERFORMANCE_REMIND_DAYS", "3"))
# 研判预警 (pingan.surges): a village × category whose last 7 days exceed its 8-week weekly mean with a
# Poisson upper tail below this P (and at least MIN_CASES cases); this many reports at one address within
# CLUSTER_HOURS; a 群体性 case of at least GROUP_SIZE people. benchmarks/surges.py measures the P.
PINGAN_SURGE_P = float(os.environ.get("PINGAN_SURGE_P", "0.001"))
PINGAN_SURGE_MIN_CASES = int(os.environ.get("PINGAN_SURGE_MIN_CASES", "3"))
PINGAN_SURGE_CLUSTER_REPORTS = int(os.environ.get("PINGAN_SURGE_CLUSTER_REPORTS", "3"))
PINGAN_SURGE_CLUSTER_HOURS = int(os.environ.get("PINGAN_SURGE_CLUSTER_HOURS", "72"))
PINGAN_SURGE_GROUP_SIZE = int(os.environ.get("PINGAN_SURGE_GROUP_SIZE", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PINGAN_LOG_LEVEL", "WARNING")},
}
