"""gunicorn settings for Heroku and local runs; every value can be overridden from the environment."""

import multiprocessing
import os

# Heroku routes to the dyno's port on every interface; HOST=127.0.0.1 keeps a local run private.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# Heroku sets WEB_CONCURRENCY from the dyno size; elsewhere, two workers per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# Heroku sends SIGTERM and kills the dyno 30 s later: finish in-flight requests well before that.
graceful_timeout = 25
timeout = 30
keepalive = 5
# No access log: the app writes one JSON line per request with more in it (request id, user,
# duration) to the errorlog, and Heroku's router logs each request too.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
