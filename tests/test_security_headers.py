"""Every response carries the security headers, errors and /docs included; HSTS only over HTTPS."""

import re

import pytest

from app import create_app
from helpers import PASSWORD, app_settings, dispose, register_and_login
from models import db
from web import docs
from web.rate_limits import limiter

HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
HSTS = "Strict-Transport-Security"


@limiter.limit("1 per day")
def limited():
    """A route Flask-Limiter guards, so that a test can be answered 429."""
    return {"message": "ok"}


def explode():
    raise RuntimeError("a bug")


def csp_directives(header):
    return dict(directive.strip().split(" ", 1) for directive in header.split(";"))


def assert_api_headers(response):
    """The headers of a JSON API response: locked down, never cached, no HSTS over plain HTTP."""
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    assert response.headers.get("Cache-Control") == "no-store", response.request.path
    policy = csp_directives(response.headers["Content-Security-Policy"])
    assert (policy["default-src"], policy["frame-ancestors"]) == ("'none'", "'none'")
    assert HSTS not in response.headers


def test_every_auth_response_is_never_cached(client):
    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    registered = client.post("/register", json={"username": "hr.lead", "password": PASSWORD})
    tokens = client.post("/login", json={"username": "hr.lead", "password": PASSWORD})
    refreshed = client.post("/refresh", headers=bearer(tokens.json["refresh_token"]))
    me = client.get("/me", headers=bearer(tokens.json["access_token"]))
    changed = client.post(
        "/me/password",
        json={"current_password": PASSWORD, "new_password": "a longer passphrase now"},
        headers=bearer(tokens.json["access_token"]),
    )
    logged_out = client.post("/logout", headers=bearer(tokens.json["access_token"]))
    wrong_password = client.post("/login", json={"username": "hr.lead", "password": "not the password"})

    responses = [registered, tokens, refreshed, me, changed, logged_out, wrong_password]
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200, 200, 401]
    for response in responses:
        assert_api_headers(response)


def test_api_documents_and_health_carry_the_headers(client):
    admin = register_and_login(client, "admin")

    for response in (
        client.get("/openapi.json"),
        client.get("/health"),
        client.get("/employees", headers=admin),
        client.post("/employees", json={"name": "Dana Scully", "hours_balance": 8}, headers=admin),
    ):
        assert response.status_code in (200, 201), response.request.path
        assert_api_headers(response)


def test_error_responses_carry_the_headers(client):
    admin = register_and_login(client, "admin")

    responses = {
        401: client.get("/employees"),
        404: client.get("/no-such-thing"),
        405: client.delete("/login"),
        413: client.post(
            "/pto", data='{"note": "' + "x" * 70_000 + '"}', content_type="application/json", headers=admin
        ),
        415: client.post("/pto", data="hours=8", content_type="text/plain", headers=admin),
        422: client.post("/employees", json={"name": ""}, headers=admin),
    }

    for code, response in responses.items():
        assert response.status_code == code
        assert_api_headers(response)


def test_unexpected_errors_and_rate_limits_carry_the_headers(app):
    app.add_url_rule("/explode", view_func=explode)
    app.add_url_rule("/limited", view_func=limited)
    client = app.test_client()

    crashed = client.get("/explode")
    # The limiter's counters may outlive an app: ask until it refuses (the limit is 1).
    limited_responses = [client.get("/limited") for _ in range(2)]

    assert crashed.status_code == 500
    assert_api_headers(crashed)
    assert limited_responses[-1].status_code == 429
    assert "Retry-After" in limited_responses[-1].headers
    assert_api_headers(limited_responses[-1])


def test_an_unavailable_database_answers_503_with_the_headers():
    client = create_app(app_settings("sqlite:////nonexistent-directory/pto.sqlite3")).test_client()

    for response in (
        client.post("/login", json={"username": "someone", "password": PASSWORD}),
        client.get("/health"),
    ):
        assert response.status_code == 503
        assert_api_headers(response)


def test_docs_keep_their_own_policy_and_their_files_stay_cacheable(client):
    page = client.get("/docs")
    urls = re.findall(r'(?:src|href)="(/docs/[^"]+)"', page.get_data(as_text=True))
    (bundle,) = (url for url in urls if url.endswith("/swagger-ui-bundle.js"))
    (init,) = (url for url in urls if url.endswith("/init.js"))
    asset, script = client.get(bundle), client.get(init)

    for response in (page, asset, script):
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == docs.CONTENT_SECURITY_POLICY
        for name, value in HEADERS.items():
            assert response.headers[name] == value
    assert page.headers["Cache-Control"] == "no-store"
    assert (asset.cache_control.max_age, asset.cache_control.immutable) == (365 * 24 * 3600, True)
    assert not asset.cache_control.no_store
    assert script.cache_control.no_cache and not script.cache_control.no_store


def test_hsts_only_over_https(client):
    assert HSTS not in client.get("/health").headers

    over_https = client.get("/health", base_url="https://localhost")

    assert over_https.headers[HSTS].startswith("max-age=")
    assert int(over_https.headers[HSTS].split(";")[0].removeprefix("max-age=")) >= 365 * 24 * 3600


@pytest.mark.parametrize(("hops", "hsts"), [(0, False), (1, True)])
def test_hsts_follows_the_scheme_only_a_trusted_proxy_reports(database_url, hops, hsts):
    """Behind Heroku's router (TRUSTED_PROXY_HOPS=1) X-Forwarded-Proto is believed; else it is forged."""
    app = create_app(app_settings(database_url, TRUSTED_PROXY_HOPS=hops))

    response = app.test_client().get("/health", headers={"X-Forwarded-Proto": "https"})

    assert (HSTS in response.headers) is hsts
    with app.app_context():
        db.engine.dispose()


def test_a_host_outside_trusted_hosts_is_refused_and_links_name_a_trusted_one(database_url, monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", "pto.example.com, localhost")
    app = create_app(app_settings(database_url))
    client = app.test_client()
    admin = register_and_login(client, "admin")  # the test client's own host is localhost
    forged = client.get("/employees", headers={**admin, "Host": "attacker.example.net"})
    trusted = client.get("/employees?per_page=1", headers={**admin, "Host": "pto.example.com"})
    dispose(app)

    assert forged.status_code == 400
    assert forged.json["message"] == "Host 'attacker.example.net' is not trusted."
    assert trusted.status_code == 200, trusted.json
    assert "<http://pto.example.com/employees?" in trusted.headers["Link"]


def test_production_trusts_the_host_of_public_url_by_default(database_url, monkeypatch):
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    monkeypatch.setenv("PUBLIC_URL", "https://pto.example.com")
    secret = "a-random-production-secret-0123456789-abcdefghij"

    production = create_app(app_settings(database_url, APP_ENV="production", JWT_SECRET_KEY=secret))
    development = create_app(app_settings(database_url, APP_ENV="development"))
    dispose(production)
    dispose(development)

    assert production.config["TRUSTED_HOSTS"] == ["pto.example.com"]
    assert development.config["TRUSTED_HOSTS"] is None
    assert (
        production.test_client().get("/health", headers={"Host": "attacker.example.net"}).status_code == 400
    )


def test_an_empty_trusted_hosts_setting_trusts_any_host_instead_of_none(database_url, monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", " , ")
    app = create_app(app_settings(database_url))

    response = app.test_client().get("/health", headers={"Host": "pto.example.com"})

    dispose(app)
    assert app.config["TRUSTED_HOSTS"] is None
    assert response.status_code == 200, response.json
