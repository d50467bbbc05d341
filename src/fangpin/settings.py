"""The one settings file. Everything that differs between machines comes from the environment.

- ``DATABASE_URL``: PostgreSQL in production (``postgres://user@host:5432/name``); SQLite by default.
- ``DJANGO_DEBUG``: ``1`` (default, local) or ``0``.
- ``DJANGO_SECRET_KEY``: required when DEBUG is off.
- ``DJANGO_ALLOWED_HOSTS``: comma-separated.
- ``FANGPIN_DATA_DIR``: where the SQLite file and uploads live (default ``./var``).
- ``FANGPIN_LOGIN_*`` and ``FANGPIN_BEHIND_PROXY``: login throttling, see docs/operations.md.
- ``DJANGO_SECURE_COOKIES`` (DEBUG off only): ``1`` (default) the site is reached over HTTPS only (secure
  cookies, http redirected to https, HSTS); ``0`` plain http, for ``make serve`` on 127.0.0.1 only.
- ``FANGPIN_STATIC_ROOT``, ``FANGPIN_BACKUP_DIR``, ``FANGPIN_LOG_LEVEL``: see docs/operations.md.
- ``FANGPIN_REDIS_URL`` (shared cache, else the database) and ``FANGPIN_DECLARE_*_RATE``: see docs/operations.md.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("FANGPIN_DATA_DIR", PROJECT_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
PROFILES_DIR = Path(os.environ.get("FANGPIN_PROFILES_DIR", PROJECT_DIR / "profiles"))

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "dev-only-not-secret-fangpin"
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "django_ratelimit",
    "ninja",  # serves the API docs' scripts and styles from here instead of a CDN (content security policy)
    "fangpin.profiles",
    "fangpin.areas",
    "fangpin.accounts",
    "fangpin.audit",
    "fangpin.registry",
    "fangpin.cases",
    "fangpin.discovery",
    "fangpin.jobs",
    "fangpin.interop",
    "fangpin.assistance",
    "fangpin.grid",
    "fangpin.followup",
    "fangpin.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A write that waited too long for an import (SQLite "database is locked", a county locked on PostgreSQL): 503, try again.
    "fangpin.jobs.middleware.BusyDatabaseMiddleware",
    # Last, so that it turns a refused login into the lockout page (R-SEC-06).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangpin.urls"
WSGI_APPLICATION = "fangpin.wsgi.application"

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
                "fangpin.accounts.context.navigation",
            ],
        },
    }
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'fangpin.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FANGPIN_TEST_SQLITE", "")} if os.environ.get("FANGPIN_TEST_SQLITE") else {}
else:
    DATABASES["default"].setdefault("TEST", {})
    if os.environ.get("FANGPIN_TEST_DB_NAME"):
        DATABASES["default"]["TEST"]["NAME"] = os.environ["FANGPIN_TEST_DB_NAME"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "display_name", "phone", "email")}},
    {"NAME": "fangpin.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Failed logins (R-SEC-06), django-axes ----------------------------------------------------------
# The backend refuses a locked account or client before the password is checked; the middleware
# answers the refused login with the Chinese login page (fangpin.accounts.lockout).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures within the cool-off time that lock: counted per account and, separately, per client address.
AXES_FAILURE_LIMIT = int(os.environ.get("FANGPIN_LOGIN_FAILURE_LIMIT", "10"))
FANGPIN_LOGIN_COOLOFF_MINUTES = int(os.environ.get("FANGPIN_LOGIN_COOLOFF_MINUTES", "15"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=FANGPIN_LOGIN_COOLOFF_MINUTES)
# Comma-separated groups, each counted on its own; "+" joins parameters that are counted together
# (e.g. "username,ip_address+user_agent"). Parameters: username, ip_address, user_agent.
AXES_LOCKOUT_PARAMETERS = [
    group.split("+") for group in os.environ.get("FANGPIN_LOGIN_LOCKOUT", "username,ip_address").replace(" ", "").split(",") if group
]
# Attempts while locked are refused but do not extend the lock: the user may retry after the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # a success from a shared address must not wipe other accounts' failures
AXES_LOCKOUT_CALLABLE = "fangpin.accounts.lockout.login_locked_out"
AXES_COOLOFF_MESSAGE = AXES_PERMALOCK_MESSAGE = "登录失败次数过多，账户已暂时锁定，请稍后再试或联系管理员"
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy's address: take the client's address from
# the last X-Forwarded-For entry, the one the proxy appended (a client cannot forge it).
BEHIND_PROXY = os.environ.get("FANGPIN_BEHIND_PROXY", "0") == "1"
if BEHIND_PROXY:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "right-most"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("FANGPIN_STATIC_ROOT", PROJECT_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# Development serves static files straight from the source folders. With DEBUG off WhiteNoise serves only
# what `collectstatic` gathered into STATIC_ROOT: names carry a content hash (cached for a year by
# browsers, so an upgrade is never mixed with old scripts) and gzip/brotli copies are made once, which
# matters for grid workers' phones (ECharts is 1 MB). A missing file fails at collectstatic, not in a page.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # search terms (names, ID numbers) in URLs never leave the site
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content security policy (R-SEC-06), django-csp: scripts and styles only from our static files or
# carrying the page's nonce (``request.csp_nonce``); no inline event handlers, no style="" attributes,
# no eval (htmx runs with allowEval off, see base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# --- Production (DEBUG off), R-OPS-01 ------------------------------------------------------------
# HTTPS is the rule; DJANGO_SECURE_COOKIES=0 is for `make serve` on 127.0.0.1 over plain http only
# (browsers do not send Secure cookies over http, so login would fail there).
HTTPS_ONLY = not DEBUG and os.environ.get("DJANGO_SECURE_COOKIES", "1") == "1"
if not DEBUG:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
    SECURE_SSL_REDIRECT = HTTPS_ONLY
    # One year by default. Sub-domains and preloading are left out on purpose (docs/operations.md):
    # a county's host name often sits under a government domain whose other sites this server does not run.
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if HTTPS_ONLY else 0
if BEHIND_PROXY:
    # The proxy (deploy/nginx-fangpin.conf) terminates TLS and says so in X-Forwarded-Proto; the
    # application is reachable only through it (bound to 127.0.0.1), so the header cannot be forged.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

TASKS = {
    "default": {
        "BACKEND": os.environ.get("FANGPIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A background job (of any kind) still waiting for a worker after this long is shown as interrupted;
# a running one after FANGPIN_JOB_DEAD_SECONDS (default 300) without a heartbeat (fangpin.jobs.services).
FANGPIN_IMPORT_STALL_SECONDS = int(os.environ.get("FANGPIN_IMPORT_STALL_SECONDS", "1800"))

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploads larger than the above are spooled to disk while they arrive: next to the data, not in /tmp
# (a 200 MB workbook would fill a RAM-backed /tmp, and systemd gives each service a private one).
FILE_UPLOAD_TEMP_DIR = DATA_DIR / "tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(exist_ok=True)

# Backups (python -m fangpin.manage backup): where they go and how many are kept.
FANGPIN_BACKUP_DIR = Path(os.environ.get("FANGPIN_BACKUP_DIR", DATA_DIR / "backups"))
FANGPIN_BACKUP_KEEP = int(os.environ.get("FANGPIN_BACKUP_KEEP", "14"))

# Logs go to standard error: the terminal under `make serve`, the journal under systemd
# (`journalctl -u fangpin-web -u fangpin-worker`). The application's own messages (import failures with
# their job number, stalled jobs, backups) from INFO up; everything else from WARNING (or FANGPIN_LOG_LEVEL).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGPIN_LOG_LEVEL", "WARNING")},
    "loggers": {
        "fangpin": {"level": os.environ.get("FANGPIN_LOG_LEVEL", "INFO")},
        "django_tasks": {"level": os.environ.get("FANGPIN_LOG_LEVEL", "INFO")},
        "django_tasks_db": {"level": os.environ.get("FANGPIN_LOG_LEVEL", "INFO")},
    },
}

# Page size of every list page.
FANGPIN_PAGE_SIZE = 30

# --- Shared cache: rate limits of the public pages (R-DISC-02), the status page's lookups ------------
# One cache for every process (gunicorn's workers, the task worker): Redis when FANGPIN_REDIS_URL is set
# (redis://127.0.0.1:6379/0), otherwise a table of the application's database (created by the
# migrations). Both increment a counter atomically and keep its expiry (fangpin.cache).
FANGPIN_REDIS_URL = os.environ.get("FANGPIN_REDIS_URL", "")
if FANGPIN_REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": FANGPIN_REDIS_URL,
                          "KEY_PREFIX": os.environ.get("FANGPIN_CACHE_PREFIX", "fangpin")}}
else:
    CACHES = {"default": {"BACKEND": "fangpin.cache.DatabaseCache", "LOCATION": "fangpin_cache",
                          "OPTIONS": {"MAX_ENTRIES": 100000}}}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = False  # a cache that cannot count refuses the submission (429), never lets it through
# django-ratelimit lists only memcached and django-redis as known good; Django's RedisCache increments
# with Redis's INCR and fangpin.cache.DatabaseCache in one locked transaction, both atomic.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# Public self-declaration (docs/self-declaration.md): "count/period" per client address for the page and
# for submissions, and per ID number for submissions (period: s, m, h, d, optionally with a number: 10m).
FANGPIN_DECLARE_PAGE_RATE = os.environ.get("FANGPIN_DECLARE_PAGE_RATE", "60/m")
FANGPIN_DECLARE_SUBMIT_RATE = os.environ.get("FANGPIN_DECLARE_SUBMIT_RATE", "10/h")
FANGPIN_DECLARE_ID_RATE = os.environ.get("FANGPIN_DECLARE_ID_RATE", "3/d")
# The site's public address printed in the villages' QR codes (https://fangpin.example.gov.cn); unset:
# the address the poster page was opened on.
FANGPIN_PUBLIC_URL = os.environ.get("FANGPIN_PUBLIC_URL", "")
