"""gunicorn settings for fangpin (R-OPS-01), used by deploy/fangpin-web.service, `make serve` and the
production smoke test: `gunicorn -c deploy/gunicorn.conf.py`.

Sized for the county server (2 cores): 3 worker processes × 4 threads. The pages are short requests;
the long work (import dry runs and applies, exports) runs in the task worker, not here. Threads keep a
worker responsive while one of its requests streams an export download or receives an upload.
"""

import os

wsgi_app = "fangpin.wsgi:application"
bind = os.environ.get("FANGPIN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FANGPIN_WEB_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("FANGPIN_WEB_THREADS", "4"))
# An upload of a 200 MB workbook is hashed and stored within the request: allow it minutes, not seconds
# (nginx gives the same time: proxy_read_timeout in deploy/nginx-fangpin.conf).
timeout = int(os.environ.get("FANGPIN_WEB_TIMEOUT", "300"))
graceful_timeout = 60  # requests in flight get this long to finish on stop or restart
keepalive = 5
# Recycle workers now and then, so memory held by one large request is given back.
max_requests = 2000
max_requests_jitter = 200
# Logs to standard error: the journal under systemd, the terminal under `make serve`.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("FANGPIN_WEB_LOG_LEVEL", "info")
# Client addresses in the access log come from nginx's X-Forwarded-For (the app itself uses the last entry,
# see FANGPIN_BEHIND_PROXY); X-Forwarded-Proto from a proxy on this machine marks the request as HTTPS.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FANGPIN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No runtime control socket: nothing outside systemd steers this server.
control_socket_disable = True
proc_name = "fangpin-web"
