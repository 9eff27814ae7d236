"""/accrual-policies: how balances grow by the company's rules, and what a new policy year keeps."""

from flask import url_for
from flask_jwt_extended import jwt_required

from domain import accruals, pto_types
from domain.permissions import AdminOnly
from models import db
from schemas.accruals import PolicyIn, PolicyOut, PolicyPatchIn, PolicyQuery
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint(
    "accrual_policies",
    __name__,
    url_prefix="/accrual-policies",
    description="Accrual policies: how balances grow, and what each policy year keeps",
)


@blp.get("")
@jwt_required()
@blp.arguments(PolicyQuery, location="query")
@blp.response(200, PolicyOut(many=True), headers=PAGE_HEADERS)
def list_accrual_policies(args):
    """List the active accrual policies (archived ones with ?archived=true), by name."""
    return paginate(accruals.select_policies(args["archived"], args.get("type")), args)


@blp.post("")
@blp.errors(AdminOnly, pto_types.UnknownType, pto_types.NotABalance, pto_types.TypeArchived, 429)
@jwt_required()
@admin_required
@blp.arguments(
    PolicyIn,
    example={
        "name": "Vacation, monthly",
        "type": "vacation",
        "frequency": "monthly",
        "tiers": [{"after_years": 0, "hours": 6.67}, {"after_years": 3, "hours": 10}],
        "max_balance": 120,
        "carry_over": "up_to",
        "carry_over_hours": 40,
        "for_new_hires": True,
    },
)
@blp.response(201, PolicyOut)
@rate_limits.limit_writes()
def create_accrual_policy(data):
    """Add an accrual policy for a type with a balance of its own (admins)."""
    policy = accruals.add_policy(data)
    db.session.commit()
    return policy, {"Location": url_for("accrual_policies.get_accrual_policy", policy_id=policy.id)}


@blp.get("/<id:policy_id>")
@jwt_required()
@blp.response(200, PolicyOut)
def get_accrual_policy(policy_id):
    """Show one accrual policy, archived or not."""
    return accruals.get_policy_or_404(policy_id)


@blp.patch("/<id:policy_id>")
@blp.errors(AdminOnly, accruals.PolicyArchived, 429)
@jwt_required()
@admin_required
@blp.arguments(PolicyPatchIn, required=False, example={"name": "Vacation (2027 handbook)"})
@blp.response(200, PolicyOut)
@rate_limits.limit_writes()
def update_accrual_policy(data, policy_id):
    """Rename a policy, make it the one new hires get, archive or restore it (admins); its rules never
    change."""
    policy = accruals.change_policy(policy_id, data)
    db.session.commit()
    return policy


@blp.delete("/<id:policy_id>")
@blp.errors(AdminOnly, 429)
@blp.doc(
    description="Archives rather than deletes: the policy takes no new assignments; employees on it keep "
    'accruing until an assignment from a later day replaces it. `PATCH {"archived": false}` restores it.'
)
@jwt_required()
@admin_required
@blp.response(204)
@rate_limits.limit_writes()
def archive_accrual_policy(policy_id):
    """Archive an accrual policy (admins): no new assignments; its lines stay."""
    accruals.archive_policy(policy_id)
    db.session.commit()
