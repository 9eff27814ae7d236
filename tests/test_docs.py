"""/docs: Swagger UI served by the app alone, under a strict Content-Security-Policy, working in a browser."""

import re
from html.parser import HTMLParser
from pathlib import Path

import flask_swagger_ui
import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from helpers import TIMEOUT, admin_token, create_employee

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
STRICT_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it. Playwright never downloads one.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_TIMEOUT_MS = 15_000  # bounds every launch, navigation, click and expectation
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) =>
  window.reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`));
"""


class PageParts(HTMLParser):
    """The URLs an HTML page loads, and whatever it carries inline that a strict CSP would block."""

    def __init__(self, html):
        super().__init__()
        self.urls, self.inline = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[name] for name in ("src", "href") if name in attrs]
        if tag == "style" or (tag == "script" and "src" not in attrs):
            self.inline.append(f"<{tag}>")
        self.inline += [f"{tag} {name}=" for name in attrs if name == "style" or name.startswith("on")]


def csp_directives(header):
    return dict(directive.strip().split(" ", 1) for directive in header.split(";"))


def test_docs_page_is_same_origin_with_nothing_inline_under_a_strict_csp(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = csp_directives(response.headers["Content-Security-Policy"])
    assert {name: policy.get(name) for name in STRICT_DIRECTIVES} == STRICT_DIRECTIVES
    page = response.get_data(as_text=True)
    parts = PageParts(page)
    assert parts.inline == []
    assert parts.urls and all(url.startswith("/") and not url.startswith("//") for url in parts.urls)
    assert re.findall(r"https?://\S+", page) == []
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "init.js"} <= {Path(url).name for url in parts.urls}
    assert 'data-openapi-url="/openapi.json"' in page


def test_every_file_the_docs_page_loads_is_served_under_the_csp(client):
    urls = PageParts(client.get("/docs").get_data(as_text=True)).urls

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == CONTENT_TYPES[Path(url).suffix], url
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'"), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        packaged = SWAGGER_UI_DIST / Path(url).name
        if "/assets/" in url:
            assert response.data == packaged.read_bytes(), f"{url} is not flask-swagger-ui's file"


def test_swagger_ui_files_are_cached_for_good_and_the_start_script_revalidated(client):
    urls = PageParts(client.get("/docs").get_data(as_text=True)).urls
    (bundle,) = (url for url in urls if url.endswith("/swagger-ui-bundle.js"))
    (init,) = (url for url in urls if url.endswith("/init.js"))

    cached = client.get(bundle).cache_control
    assert (cached.public, cached.max_age, cached.immutable) == (True, 365 * 24 * 3600, True)
    response = client.get(init)
    assert response.cache_control.no_cache
    assert client.get(init, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_unknown_versions_and_files_are_not_found(client):
    bundle = next(
        url for url in PageParts(client.get("/docs").get_data(as_text=True)).urls if "bundle" in url
    )
    other_version = re.sub(r"/assets/[^/]+/", "/assets/0.0.1/", bundle)

    assert client.get(other_version).status_code == 404
    assert client.get(bundle.replace("swagger-ui-bundle.js", "no-such-file.js")).status_code == 404
    assert client.get("/docs/static/no-such-file.js").status_code == 404


def test_docs_are_not_part_of_the_api_contract(client):
    spec = client.get("/openapi.json").json

    assert [path for path in spec["paths"] if path.startswith("/docs")] == []


@pytest.mark.live
@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: the /docs browser test needs Debian's chromium (.ci/run installs it)",
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the page is the same on any database
def test_swagger_ui_authorizes_and_tries_an_operation_against_the_live_api(live_server):
    """In headless Chromium under the CSP: every operation renders, the Authorize dialog takes the
    bearer token, and "Try it out" on GET /employees gets a 200 with the employee from the server."""
    base = live_server.base_url
    token = admin_token(base)
    create_employee(base, token, hours_balance=40)
    spec = requests.get(f"{base}/openapi.json", timeout=TIMEOUT).json()
    operations = sum(method != "parameters" for methods in spec["paths"].values() for method in methods)
    console, page_errors, csp_violations, requested = [], [], [], []
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)

    with (
        sync_playwright() as playwright,
        playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=BROWSER_TIMEOUT_MS
        ) as browser,
    ):
        page = browser.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)
        page.on("console", lambda message: console.append((message.type, message.text)))
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.on("request", lambda request: requested.append(request.url))
        page.expose_function("reportCspViolation", lambda violation: csp_violations.append(violation))
        page.add_init_script(REPORT_CSP_VIOLATIONS)

        page.goto(f"{base}/docs")
        expect(page.locator(".opblock")).to_have_count(operations)
        list_employees = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/employees"]')
        )
        expect(list_employees.locator(".opblock-summary")).to_contain_text(re.compile(r"GET\s*/employees"))
        expect(page.locator(".servers select")).to_have_value(base)  # whatever public URL the spec names

        authorize = page.locator(".auth-wrapper .authorize")
        expect(authorize).to_have_class(re.compile(r"\bunlocked\b"))
        authorize.click()
        dialog = page.locator(".modal-ux")
        # One form per security scheme: the access token goes in bearerAuth's (refreshToken's is /refresh's).
        access = dialog.locator(".auth-container").filter(has_text="bearerAuth")
        access.get_by_label("auth-bearer-value").fill(token)
        access.get_by_role("button", name="Apply credentials").click()
        expect(access).to_contain_text("Authorized")
        dialog.get_by_role("button", name="Close").first.click()
        expect(authorize).to_have_class(re.compile(r"\blocked\b"))

        list_employees.locator(".opblock-summary-control").click()
        list_employees.get_by_role("button", name="Try it out").click()
        list_employees.get_by_role("button", name="Execute").click()
        live_response = list_employees.locator(".live-responses-table .response")
        expect(live_response.locator(".response-col_status")).to_have_text("200")
        expect(live_response.locator(".response-col_description")).to_contain_text("Dana Scully")

        page.reload()  # persistAuthorization: the token outlives the page
        expect(authorize).to_have_class(re.compile(r"\blocked\b"))

    assert csp_violations == []
    assert [text for kind, text in console if kind == "error" and "Content Security Policy" in text] == []
    assert page_errors == []
    assert [url for url in requested if not url.startswith(base + "/")] == []
