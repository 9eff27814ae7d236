"""/health: whether the app and its database answer, for load balancers."""

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from errors import RETRY_AFTER_SECONDS
from models import db
from schemas.health import HealthOut
from web.api import Blueprint

blp = Blueprint("health", __name__, description="Service health")


@blp.get("/health")
@blp.doc(security=[])
@blp.response(200, HealthOut)
@blp.alt_response(503, schema=HealthOut, description="The database is down")
def health():
    """Report the app and database state: 200 when both answer, 503 when the database does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.warning("health check: database unavailable: %s", error.__class__.__name__)
        db.session.rollback()
        body = {"status": "unavailable", "database": "unavailable"}
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {"status": "ok", "database": "ok"}
