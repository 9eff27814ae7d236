"""Rate limits (Flask-Limiter), answered in the JSON error shape.

Per address, only failed logins and registrations count, with limits far above the per-account
guard's (domain/login_guard.py), so an office behind one address is not locked out by a few typos.
Per signed-in user, every change shares one budget (RATELIMIT_WRITES), so no account can flood the
database with requests.
"""

import hashlib
import math
import time

import flask_limiter
from flask import current_app, request
from flask_jwt_extended import get_jwt_identity
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address

from errors import error_response


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, checking limits only inside the views they decorate.

    Every limit here decorates the views it guards, and those views check it themselves; no limit applies
    app-wide (default, application or blueprint limits). Flask-Limiter's own check before every request
    would find nothing to count, at a cost every route paid: it is skipped.
    """

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


# Behind Heroku's router, ProxyFix (TRUSTED_PROXY_HOPS) has already put the client's address here.
# If Redis (RATELIMIT_STORAGE_URI) is unreachable, count in memory meanwhile: the per-account
# limit, in the database, still holds across workers.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True, swallow_errors=True)


def init_app(app):
    """Attach the limiter; its refusals answer in the JSON error shape."""
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _throttled)


def limit_login_failures():
    """Per-address limit on failed logins (RATELIMIT_LOGIN): only 401s count."""
    return limiter.limit(
        lambda: current_app.config["RATELIMIT_LOGIN"],
        deduct_when=lambda response: response.status_code == 401,
    )


def limit_registrations():
    """Per-address limit on registrations (RATELIMIT_REGISTER): each account created or name found
    taken counts; input refused for its shape does not."""
    return limiter.limit(
        lambda: current_app.config["RATELIMIT_REGISTER"],
        deduct_when=lambda response: response.status_code in (201, 409),
    )


WRITES = "writes"


def limit_writes():
    """Per-user limit on changes (RATELIMIT_WRITES), one budget shared by every view it decorates.
    Goes below ``@jwt_required()`` (it counts the signed-in user) and below ``@blp.arguments``, so a
    request refused for its shape costs nothing."""
    return limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_WRITES"], scope=WRITES, key_func=_signed_in_user
    )


def limit_feed_fetches():
    """Per-feed limit on fetches (RATELIMIT_FEEDS), keyed by a hash of the token in the path: an unknown
    token counts as a known one does, so the limit says nothing about which exist."""
    return limiter.limit(lambda: current_app.config["RATELIMIT_FEEDS"], key_func=_feed_token)


def _feed_token():
    return "feed:" + hashlib.sha256(request.view_args["token"].encode()).hexdigest()


def _signed_in_user():
    return f"user:{get_jwt_identity()}"


def _throttled(_error):
    breached = limiter.current_limit
    retry_after = max(1, math.ceil(breached.reset_at - time.time())) if breached else 60
    per_user = breached is not None and WRITES in breached.request_args
    message = "Too many changes from this account" if per_user else "Too many attempts from this address"
    if request.view_args and "token" in request.view_args:
        message = "Too many fetches of this calendar feed"
    return error_response(429, f"{message}; retry later.", headers={"Retry-After": str(retry_after)})
