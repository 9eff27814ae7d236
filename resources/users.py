"""/users: the accounts that can log in, their roles and the employee each one is (admins)."""

from flask_jwt_extended import current_user, jwt_required

from database import end_read_transaction
from domain import accounts
from domain.permissions import AdminOnly
from models import db
from schemas.auth import PasswordResetIn
from schemas.fields import PageArgs
from schemas.users import UserOut, UserPatchIn
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint("users", __name__, url_prefix="/users", description="User accounts (admins)")


@blp.get("")
@blp.errors(AdminOnly)
@jwt_required()
@admin_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, UserOut(many=True), headers=PAGE_HEADERS)
def list_users(args):
    """List user accounts, a page at a time (admins)."""
    return paginate(accounts.select_users(), args)


@blp.get("/<id:user_id>")
@blp.errors(AdminOnly)
@jwt_required()
@admin_required
@blp.response(200, UserOut)
def get_user(user_id):
    """Show one user account (admins)."""
    return accounts.get_user_or_404(user_id)


@blp.patch("/<id:user_id>")
@blp.errors(
    AdminOnly,
    accounts.OwnLink,
    accounts.LastAdmin,
    accounts.EmployeeTaken,
    accounts.UnknownEmployee,
    accounts.ArchivedEmployeeLink,
    429,
)
@jwt_required()
@admin_required
@blp.arguments(UserPatchIn, required=False, example={"role": "manager", "employee_id": 1})
@blp.response(200, UserOut)
@rate_limits.limit_writes()
def patch_user(data, user_id):
    """Change a user's role, linked employee or active flag (admins); it applies to their next request."""
    user = accounts.get_user_or_404(user_id)
    accounts.update_user(user, data, current_user)
    db.session.commit()
    return user


@blp.post("/<id:user_id>/password")
@blp.errors(AdminOnly, accounts.OwnReset, 429)
@jwt_required()
@admin_required
@blp.arguments(PasswordResetIn, example={"new_password": "a temporary passphrase", "must_change": True})
@blp.response(200, UserOut)
@rate_limits.limit_writes()
def reset_password(data, user_id):
    """Set a user's password (admins; not their own); every session of theirs ends at once."""
    accounts.require_resettable(current_user, user_id)
    end_read_transaction()  # the hash is slow on purpose: hold no lock while it runs
    new_hash = accounts.hash_password(data["new_password"])
    user = accounts.get_user_or_404(user_id)
    accounts.reset_password(user, new_hash, data["must_change"])
    db.session.commit()
    return user
