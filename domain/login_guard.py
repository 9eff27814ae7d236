"""The per-account brute-force guard: failed password checks per username, counted in the database.

Two counts, so that guessing stays slow but a stranger cannot lock the owner out: failures against
an account *from one address* (LOGIN_FAILURE_LIMIT, 5), which stops a guesser and nobody else, and
failures against the account from everywhere (LOGIN_ACCOUNT_FAILURE_LIMIT, 50), a ceiling that only
an attack from many addresses reaches, and which then holds for everyone until its window ends.

The database keeps the counts, so every worker and dyno shares them and a restart does not reset
them. An attempt is counted *before* the password is checked and forgiven when it succeeds:
simultaneous guesses cannot all slip in under the limit. (The per-address limit on failed logins
across accounts, which counts in Flask-Limiter's storage, is web/rate_limits.py.)
"""

import ipaddress
import math

from flask import current_app
from sqlalchemy import bindparam, delete, or_, select, text, update
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
_FORGIVE_FROM_ADDRESS = delete(LoginThrottle).where(LoginThrottle.username_key == bindparam("key"))
# A right password takes back its own claim on the account's ceiling, and only that: failures made
# elsewhere (perhaps by an attacker) stand until their window ends.
_FORGIVE_ONE = (
    update(LoginThrottle)
    .where(LoginThrottle.username_key == bindparam("key"), LoginThrottle.failures > 0)
    .values(failures=LoginThrottle.failures - 1)
)
_DELETE_ENDED_WINDOWS = delete(LoginThrottle).where(LoginThrottle.window_started_at <= bindparam("before"))


class AccountThrottled(TooManyRequests):
    description = "Too many failed password attempts for this account; retry later."


class ThrottledFromAddress(TooManyRequests):
    description = "Too many failed password attempts for this account from this address; retry later."


def claim_password_attempt(username, address):
    """Count a password check against ``username``'s account from ``address``, or raise 429 with
    Retry-After when that pair already holds LOGIN_FAILURE_LIMIT failures in the window, or the
    account LOGIN_ACCOUNT_FAILURE_LIMIT (then nothing stands: the caller's transaction is rolled back).

    The count must stand even when the password then turns out wrong and the request fails: the
    caller commits it before checking the password (resources/auth.py's one early commit).
    """
    config, now = current_app.config, utcnow()
    _claim(_address_key(username, address), config["LOGIN_FAILURE_LIMIT"], now, ThrottledFromAddress)
    _claim(_account_key(username), config["LOGIN_ACCOUNT_FAILURE_LIMIT"], now, AccountThrottled)


def forgive_attempts(username, address):
    """The password was right: forget the failures from this address, and this attempt's claim on
    the account's ceiling."""
    db.session.execute(_FORGIVE_FROM_ADDRESS, {"key": _address_key(username, address)})
    db.session.execute(_FORGIVE_ONE, {"key": _account_key(username)})


def forgive_all_attempts(username):
    """Forget every failed attempt against ``username``'s account, from every address (an admin has
    just given the account a new password)."""
    db.session.execute(
        delete(LoginThrottle)
        .where(
            or_(
                LoginThrottle.username_key == _account_key(username),
                LoginThrottle.username_key.startswith(f"addr {username.lower()} ", autoescape=True),
            )
        )
        .execution_options(synchronize_session=False)
    )


# Tagged keys, so an account's key can never be some name's key from some address. The address comes
# last and holds no space, so no two (name, address) pairs share a key either.
def _account_key(username):
    return f"acct {username.lower()}"


def _address_key(username, address):
    return f"addr {username.lower()} {_client_of(address)}"


def _client_of(address):
    """The client an address stands for: an IPv6 host is given a whole /64 (it can pick any address in
    it), so one machine must not count as billions of addresses."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:  # an IPv4 client seen through an IPv6 socket
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def _claim(key, limit, now, refusal):
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    params = {"key": key, "now": now, "window_start": now - window, "limit": limit}
    if db.session.execute(_CLAIM_ATTEMPT, params).first() is None:
        # The window may have been forgiven (a successful login) or pruned since the claim: come back now.
        started_at = db.session.scalar(_WINDOW_STARTED_AT, {"key": key})
        raise refusal(retry_after=_seconds_until(started_at + window, now) if started_at else 1)


def prune_ended_windows(now=None):
    """Delete the throttles whose windows have ended; return how many."""
    before = (now or utcnow()) - current_app.config["LOGIN_FAILURE_WINDOW"]
    return db.session.execute(_DELETE_ENDED_WINDOWS, {"before": before}).rowcount


def _seconds_until(moment, now):
    """Whole seconds from ``now`` until ``moment``, at least 1 (a Retry-After value)."""
    return max(1, math.ceil((moment - now).total_seconds()))
