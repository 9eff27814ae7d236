"""/users: the accounts that can log in."""

from flask_jwt_extended import jwt_required
from sqlalchemy import select

from api import PAGE_HEADERS, Blueprint, paginate
from models import User, db
from schemas import PageArgs, UserOut

blp = Blueprint("users", __name__, url_prefix="/users", description="User accounts")


@blp.get("")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, UserOut(many=True), headers=PAGE_HEADERS)
def list_users(args):
    """List user accounts, a page at a time."""
    return paginate(select(User).order_by(User.id), args)


@blp.get("/<id:user_id>")
@jwt_required()
@blp.response(200, UserOut)
def get_user(user_id):
    """Show one user account."""
    return db.get_or_404(User, user_id, description="No user with that id.")
