"""Security headers on every response, errors included.

The API answers only JSON to scripts and internal front ends, so outside /docs a browser that
somehow renders a response may run nothing, load nothing and frame nothing. /docs keeps the
policy its blueprint sets (docs.py), which lets Swagger UI load its own files.
"""

from flask import request

API_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# Two years, the span browsers' preload lists ask for; no `preload`: that is the domain owner's call.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"
HEADERS = {
    # Browsers must take the Content-Type as sent, never sniff JSON into HTML or script.
    "X-Content-Type-Options": "nosniff",
    # Older browsers ignore CSP's frame-ancestors: no page may frame a response (clickjacking).
    "X-Frame-Options": "DENY",
    # URLs carry ids and filters (who took which days): never hand them to another site.
    "Referrer-Policy": "no-referrer",
}
# Not set, on purpose: X-XSS-Protection (obsolete; its filter caused leaks), CORS headers (no
# cross-origin browser client is promised, and none is the safe default), Cross-Origin-* policies
# (credentials are bearer tokens, never cookies, so another site's page cannot load anything
# personal), and a Server header we cannot remove (gunicorn writes it after the app).


def init_app(app):
    """Add the security headers to every response."""
    app.after_request(add_security_headers)


def add_security_headers(response):
    """Set the headers a response lacks; those a view or blueprint chose (docs' CSP, assets' caching) stay."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Blueprint after_request functions (docs.py's CSP) run before this app-wide one.
    response.headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
    # Responses hold personal data and tokens: no browser, proxy or CDN may keep a copy. Files that
    # say how to cache themselves (Swagger UI's versioned assets, cached for a year) keep their rule.
    response.headers.setdefault("Cache-Control", "no-store")
    # Only over HTTPS (behind Heroku's router, ProxyFix or gunicorn's FORWARDED_ALLOW_IPS report the
    # client's scheme): browsers ignore HSTS over plain HTTP, and http://127.0.0.1 must keep working.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response
