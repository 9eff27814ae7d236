"""Request bodies sent without a Content-Length (Transfer-Encoding: chunked) obey MAX_CONTENT_LENGTH too.

Under gunicorn, Werkzeug reads such a body only up to the limit and silently drops the rest, so 64 KiB
of valid JSON followed by anything at all would be accepted. Reading the body here, up to one byte
past the limit, and handing it on with its length makes the app answer 413 (in the JSON error shape)
however the body was sent.
"""

import io


def init_app(app):
    """Wrap the app's WSGI callable so chunked bodies arrive with their length."""
    app.wsgi_app = _LengthOfChunkedBodies(app.wsgi_app, lambda: app.config["MAX_CONTENT_LENGTH"])


class _LengthOfChunkedBodies:
    def __init__(self, wsgi_app, max_length):
        self.wsgi_app = wsgi_app
        self.max_length = max_length

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get(
            "CONTENT_LENGTH"
        ):
            # One byte past the limit is enough to know the body is too large; the rest is never read.
            body = environ["wsgi.input"].read(self.max_length() + 1)
            # Handed on as a plain body of known length (Werkzeug ignores Content-Length beside chunked).
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]
            environ.pop("wsgi.input_terminated", None)
        return self.wsgi_app(environ, start_response)
