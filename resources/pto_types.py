"""/pto-types: the kinds of time off a company offers, and how each treats balances."""

from flask import url_for
from flask_jwt_extended import jwt_required

from domain import pto_types
from domain.permissions import AdminOnly
from models import db
from schemas.pto_types import PtoTypeIn, PtoTypeOut, PtoTypePatchIn, PtoTypeQuery
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint(
    "pto_types", __name__, url_prefix="/pto-types", description="Time-off types and how they treat balances"
)


@blp.get("")
@jwt_required()
@blp.arguments(PtoTypeQuery, location="query")
@blp.response(200, PtoTypeOut(many=True), headers=PAGE_HEADERS)
def list_pto_types(args):
    """List the active time-off types, the default first (archived ones with ?archived=true)."""
    return paginate(pto_types.select_types(args["archived"]), args)


@blp.post("")
@blp.errors(AdminOnly, pto_types.TypeConflict, 429)
@jwt_required()
@admin_required
@blp.arguments(
    PtoTypeIn,
    example={
        "key": "sick-leave",
        "name": "Sick leave (own bucket)",
        "balance": "own",
        "requires_approval": False,
        "color": "#c0392b",
    },
)
@blp.response(201, PtoTypeOut)
@rate_limits.limit_writes()
def create_pto_type(data):
    """Add a time-off type (admins)."""
    pto_type = pto_types.add_type(data)
    db.session.commit()
    return pto_type, {"Location": url_for("pto_types.get_pto_type", type_key=pto_type.key)}


@blp.get("/<type_key:type_key>")
@jwt_required()
@blp.response(200, PtoTypeOut)
def get_pto_type(type_key):
    """Show one time-off type, archived or not."""
    return pto_types.get_type_or_404(type_key)


@blp.patch("/<type_key:type_key>")
@blp.errors(AdminOnly, pto_types.TypeInUse, pto_types.TypeConflict, 429)
@jwt_required()
@admin_required
@blp.arguments(PtoTypePatchIn, required=False, example={"requires_approval": False, "overdraft_hours": 8})
@blp.response(200, PtoTypeOut)
@rate_limits.limit_writes()
def update_pto_type(data, type_key):
    """Change a type's settings, make it the default, archive or restore it (admins); how it treats balances
    only until something uses it."""
    pto_type = pto_types.change_type(type_key, data)
    db.session.commit()
    return pto_type


@blp.delete("/<type_key:type_key>")
@blp.errors(AdminOnly, pto_types.TypeConflict, 429)
@blp.doc(
    description="Archives rather than deletes: the type takes no new entries (a 409), and its entries, "
    "balances and ledger lines stay. The default type, or one whose balance an active type draws on, "
    'cannot be archived (409). `PATCH {"archived": false}` restores it.'
)
@jwt_required()
@admin_required
@blp.response(204)
@rate_limits.limit_writes()
def archive_pto_type(type_key):
    """Archive a time-off type (admins): no new entries; history kept."""
    pto_types.archive_type(type_key)
    db.session.commit()
