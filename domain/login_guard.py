"""The per-account brute-force guard: failed password checks per username, counted in the database.

The database counts password checks against a username, so every worker and dyno shares the count
and a restart does not reset it. An attempt is counted *before* the password is checked and
forgiven when it succeeds: simultaneous guesses cannot all slip in under the limit. (The per-address
limit, which counts in Flask-Limiter's storage, is web/rate_limits.py.)
"""

import math

from flask import current_app
from sqlalchemy import bindparam, delete, select, text
from werkzeug.exceptions import TooManyRequests

from models import LoginThrottle, UTCDateTime, db, utcnow

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


def claim_password_attempt(username):
    """Count a password check against ``username``'s account, or raise 429 with Retry-After when its
    window already holds LOGIN_FAILURE_LIMIT failures (then nothing is written).

    The count must stand even when the password then turns out wrong and the request fails: the
    caller commits it before checking the password (resources/auth.py's one early commit).
    """
    key, now = username.lower(), utcnow()
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    params = {
        "key": key,
        "now": now,
        "window_start": now - window,
        "limit": current_app.config["LOGIN_FAILURE_LIMIT"],
    }
    if db.session.execute(_CLAIM_ATTEMPT, params).first() is None:
        # The window may have been forgiven (a successful login) or pruned since the claim: come back now.
        started_at = db.session.scalar(_WINDOW_STARTED_AT, {"key": key})
        retry_after = _seconds_until(started_at + window, now) if started_at else 1
        raise AccountThrottled(retry_after=retry_after)


def forgive_attempts(username):
    """The password was right: forget the account's failed attempts."""
    db.session.execute(_FORGIVE, {"key": username.lower()})


def prune_ended_windows(now=None):
    """Delete the throttles whose windows have ended; return how many."""
    before = (now or utcnow()) - current_app.config["LOGIN_FAILURE_WINDOW"]
    return db.session.execute(_DELETE_ENDED_WINDOWS, {"before": before}).rowcount


def _seconds_until(moment, now):
    """Whole seconds from ``now`` until ``moment``, at least 1 (a Retry-After value)."""
    return max(1, math.ceil((moment - now).total_seconds()))
