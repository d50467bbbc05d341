"""The one settings file. Everything that differs between machines comes from the environment.

- ``DATABASE_URL``: PostgreSQL in production (``postgres://user@host:5432/name``); SQLite by default.
- ``DJANGO_DEBUG``: ``1`` (default, local) or ``0``.
- ``DJANGO_SECRET_KEY``: required when DEBUG is off.
- ``DJANGO_ALLOWED_HOSTS``: comma-separated.
- ``FANGPIN_DATA_DIR``: where the SQLite file and uploads live (default ``./var``).
- ``FANGPIN_LOGIN_*`` and ``FANGPIN_BEHIND_PROXY``: login throttling, see docs/operations.md.
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
    "ninja",  # serves the API docs' scripts and styles from here instead of a CDN (content security policy)
    "fangpin.profiles",
    "fangpin.areas",
    "fangpin.accounts",
    "fangpin.audit",
    "fangpin.registry",
    "fangpin.cases",
    "fangpin.interop",
    "fangpin.assistance",
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
if os.environ.get("FANGPIN_BEHIND_PROXY", "0") == "1":
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "right-most"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

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
if not DEBUG:
    SESSION_COOKIE_SECURE = os.environ.get("DJANGO_SECURE_COOKIES", "1") == "1"
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

TASKS = {
    "default": {
        "BACKEND": os.environ.get("FANGPIN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# An import job waiting or running with no progress for this long is shown as interrupted.
FANGPIN_IMPORT_STALL_SECONDS = int(os.environ.get("FANGPIN_IMPORT_STALL_SECONDS", "1800"))

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGPIN_LOG_LEVEL", "WARNING")},
}

# Page size of every list page.
FANGPIN_PAGE_SIZE = 30
