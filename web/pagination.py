"""Paginated lists: one page of a statement, and the X-Total-Count and Link headers that describe the rest."""

from functools import lru_cache
from urllib.parse import urlencode

from flask import request
from sqlalchemy import bindparam, func, select

from database import execute
from models import db

_PAGE_PARAMETERS = ("page", "per_page")
PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "Number of items on all pages",
        "required": True,
        "schema": {"type": "integer"},
    },
    "Link": {
        "description": "RFC 8288 links to the first, prev, next and last pages",
        "required": True,
        "schema": {"type": "string"},
    },
}


def paginate(statement, args, params=None, record=None):
    """Run one page of ``statement`` (with bind ``params``); return its items and the X-Total-Count and
    Link headers. The items are model objects when the statement selects one model, else rows, or what
    ``record`` makes of each row.

    A page with rows that is not full is the last one, so its offset and length give the total;
    only a full page, or one past the end, needs a count. (A window count on the page query instead
    makes PostgreSQL read every matching row even for that page: 4.5 ms at 20,000 employees, where
    the count alone takes 2.)
    """
    page, per_page = args["page"], args["per_page"]
    offset = (page - 1) * per_page
    rows, counting, selects_one_model = _paging(statement)
    params = {**(params or {}), "page_limit": per_page, "page_offset": offset}
    if selects_one_model:
        items = db.session.scalars(rows, params).all()
    else:  # rows, read straight on the connection: the ORM's loading adds nothing to them
        items = execute(rows, params).all()
        if record is not None:
            items = [record(item) for item in items]
    if 0 < len(items) < per_page or (page == 1 and not items):
        total = offset + len(items)
    else:
        counted = db.session.scalar(counting, params)
        # Reads run in autocommit on PostgreSQL: rows deleted between the two statements must not
        # leave a total smaller than the full page just read.
        total = max(counted, offset + len(items)) if items else counted
    return items, {"X-Total-Count": str(total), "Link": _link_header(page, per_page, total)}


@lru_cache(maxsize=256)
def _paging(statement):
    """The page and count statements of ``statement``, and whether it selects one model. Built once per
    statement: SQLAlchemy derives a new statement's cache key anew on each execution, which costs more
    than a short page's rows (the hot lists' statements are themselves built once)."""
    rows = statement.limit(bindparam("page_limit")).offset(bindparam("page_offset"))
    counting = select(func.count()).select_from(statement.order_by(None).subquery())
    return rows, counting, _selects_one_model(statement)


def _selects_one_model(statement):
    (first, *others) = statement.column_descriptions
    return not others and first["expr"] is first["entity"]


def _link_header(page, per_page, total):
    last = max(1, -(-total // per_page))
    pages = {"first": 1, "last": last}
    if page > 1:
        pages["prev"] = min(page - 1, last)
    if page < last:
        pages["next"] = page + 1
    # The request's other parameters (its filters) encoded once, before the page's own.
    others = urlencode([item for item in request.args.items(multi=True) if item[0] not in _PAGE_PARAMETERS])
    base = f"{request.base_url}?{others}&" if others else f"{request.base_url}?"
    links = (f'<{base}page={number}&per_page={per_page}>; rel="{rel}"' for rel, number in pages.items())
    return ", ".join(links)
