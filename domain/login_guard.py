"""Brute-force throttles: failed password checks per account (database) and per address (Flask-Limiter).

Per account, the database counts password checks against a username, so every worker and
dyno shares the count and a restart does not reset it. An attempt is counted *before* the
password is checked and forgiven when it succeeds: simultaneous guesses cannot all slip in
under the limit. Per address, Flask-Limiter counts failed attempts only, with a limit far above
the per-account one, so an office behind one address is not locked out by a few typos.
"""

import math
import time

from flask import current_app
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from sqlalchemy import bindparam, delete, select, text
from werkzeug.exceptions import TooManyRequests

from errors import error_response
from models import LoginThrottle, UTCDateTime, db, utcnow

# Behind Heroku's router, ProxyFix (TRUSTED_PROXY_HOPS) has already put the client's address here.
# If Redis (RATELIMIT_STORAGE_URI) is unreachable, count in memory meanwhile: the per-account
# limit, in the database, still holds across workers.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True, swallow_errors=True)

# One statement counts the attempt, opens a new window when the old one has ended, and refuses
# (returns no row) when the window already holds LOGIN_FAILURE_LIMIT attempts. The SQL is the
# same on SQLite and PostgreSQL, and atomic on both.
_CLAIM_ATTEMPT = text(
    """
    INSERT INTO login_throttles (username_key, failures, window_started_at)
    VALUES (:key, 1, :now)
    ON CONFLICT (username_key) DO UPDATE SET
        failures = CASE WHEN login_throttles.window_started_at <= :window_start
                        THEN 1 ELSE login_throttles.failures + 1 END,
        window_started_at = CASE WHEN login_throttles.window_started_at <= :window_start
                                 THEN :now ELSE login_throttles.window_started_at END
    WHERE login_throttles.window_started_at <= :window_start OR login_throttles.failures < :limit
    RETURNING failures
    """
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("window_start", type_=UTCDateTime()))
_WINDOW_STARTED_AT = select(LoginThrottle.window_started_at).where(
    LoginThrottle.username_key == bindparam("key")
)
_FORGIVE = delete(LoginThrottle).where(LoginThrottle.username_key == bindparam("key"))
_DELETE_ENDED_WINDOWS = delete(LoginThrottle).where(LoginThrottle.window_started_at <= bindparam("before"))


class AccountThrottled(TooManyRequests):
    description = "Too many failed password attempts for this account; retry later."


def init_app(app):
    """Attach the per-address limiter; its refusals answer in the JSON error shape."""
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _address_throttled)


def claim_password_attempt(username):
    """Count a password check against ``username``'s account, or raise 429 with Retry-After when its
    window already holds LOGIN_FAILURE_LIMIT failures. Commits, so the count stands even when the
    password then turns out wrong and the request fails."""
    key, now = username.lower(), utcnow()
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    params = {
        "key": key,
        "now": now,
        "window_start": now - window,
        "limit": current_app.config["LOGIN_FAILURE_LIMIT"],
    }
    claimed = db.session.execute(_CLAIM_ATTEMPT, params).first() is not None
    started_at = None if claimed else db.session.scalar(_WINDOW_STARTED_AT, {"key": key})
    db.session.commit()
    if not claimed:
        # The window may have been forgiven (a successful login) or pruned since the claim: come back now.
        retry_after = _seconds_until(started_at + window, now) if started_at else 1
        raise AccountThrottled(retry_after=retry_after)


def forgive_attempts(username):
    """The password was right: forget the account's failed attempts (in the caller's transaction)."""
    db.session.execute(_FORGIVE, {"key": username.lower()})


def prune_ended_windows(now=None):
    """Delete the throttles whose windows have ended; return how many."""
    before = (now or utcnow()) - current_app.config["LOGIN_FAILURE_WINDOW"]
    return db.session.execute(_DELETE_ENDED_WINDOWS, {"before": before}).rowcount


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


def _address_throttled(_error):
    breached = limiter.current_limit
    retry_after = max(1, math.ceil(breached.reset_at - time.time())) if breached else 60
    return error_response(
        429,
        "Too many attempts from this address; retry later.",
        headers={"Retry-After": str(retry_after)},
    )


def _seconds_until(moment, now):
    """Whole seconds from ``now`` until ``moment``, at least 1 (a Retry-After value)."""
    return max(1, math.ceil((moment - now).total_seconds()))
