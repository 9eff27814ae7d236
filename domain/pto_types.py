"""Time-off types: the kinds of leave a company offers, how each treats balances, and the one default.

Types are referred to by their key everywhere (entries, balances, ledger lines), so a key never changes,
and neither does how a type treats balances once anything has used it: a different treatment is a
new type (the history of the old one stays as it was).
"""

from sqlalchemy import bindparam, exists, func, or_, select, update
from werkzeug.exceptions import Conflict, NotFound

from database import lock_table_for_writes
from errors import InvalidField
from models import MAX_PTO_TYPES, Balance, LedgerLine, PtoEntry, PtoType, db, utcnow

# What an admin may change on a type at any time (fields of ``PtoType``), applying from then on.
SETTINGS = ("name", "paid", "requires_approval", "overdraft_hours", "color")


class UnknownType(InvalidField):
    description = "No time-off type has that key."

    def __init__(self, key, field="type", location="json"):
        super().__init__(field, f"No time-off type {key!r}.", location)


class TypeArchived(Conflict):
    description = "The time-off type is archived: it takes no new entries (its history stays)."


class TypeInUse(Conflict):
    description = (
        "The type's entries or ledger lines were made under how it treats balances now: that cannot "
        "change. Create a new type (and archive this one) instead."
    )


class TypeConflict(Conflict):
    description = (
        "The change would leave the types inconsistent: no default, a default that is archived or keeps "
        "no balance of its own, an archived type that active types draw on, a key taken, or too many types."
    )


class NotABalance(InvalidField):
    description = "The type keeps no balance of its own: name the type whose balance it draws on, if any."


_BY_KEY = select(PtoType).where(PtoType.key == bindparam("key"))
_DEFAULT = select(PtoType).where(PtoType.is_default)
# A filing holds its type's row shared until it commits, so a change of how the type treats balances,
# of its policy or an archive waits for it, and finds its entry when checking whether the type is used.
_BY_KEY_FOR_FILING = _BY_KEY.with_for_update(read=True)
_DEFAULT_FOR_FILING = _DEFAULT.with_for_update(read=True)
# The same hold, for a statement that reads the type beside a row it locks for update (the employee's).
# SQLite has no row locks: its BEGIN IMMEDIATE already serialises writers.
_HELD_FOR_FILING = "FOR SHARE OF pto_types"


def held_for_filing(statement):
    """``statement``, a SELECT ... FOR UPDATE OF another table that reads a type, holding the type's row
    shared until commit, as a filing holds it (``type_for_new_entry``)."""
    return statement.suffix_with(_HELD_FOR_FILING, dialect="postgresql")


# A change holds the type's row until it commits: filings of the type wait for it, and see it done.
_BY_KEY_FOR_CHANGE = _BY_KEY.with_for_update().execution_options(populate_existing=True)


def find_type(key):
    """The type with ``key`` (archived ones too), or None."""
    return db.session.scalars(_BY_KEY, {"key": key}).one_or_none()


def get_type_or_404(key):
    """The type with ``key`` (archived ones too), or 404."""
    return _found(find_type(key))


def _found(pto_type):
    if pto_type is None:
        raise NotFound("No time-off type with that key.")
    return pto_type


def type_for_new_entry(key):
    """The type a new entry is filed under, held until commit: ``key``'s (422 if unknown, 409 if archived),
    or the default."""
    if key is None:
        return db.session.scalars(_DEFAULT_FOR_FILING).one()
    pto_type = db.session.scalars(_BY_KEY_FOR_FILING, {"key": key}).one_or_none()
    if pto_type is None:
        raise UnknownType(key)
    return require_active_type(pto_type)


def require_active_type(pto_type):
    """Return ``pto_type`` unless it is archived (409)."""
    if pto_type.archived:
        raise TypeArchived(f"The type {pto_type.key!r} is archived: it takes no new entries.")
    return pto_type


def balance_type(key, field="type", location="query"):
    """The key of the balance ``key`` names, checked (``require_own_balance``); ``None`` names the default
    type's balance."""
    if key is None:
        return db.session.scalars(_DEFAULT).one().key
    return require_own_balance(find_type(key), key, field, location).key


def require_own_balance(pto_type, key=None, field="type", location="query"):
    """Return ``pto_type`` if it keeps a balance of its own; else 422 on ``field``: no such type (None),
    or it draws on another type's balance (naming that one), or keeps none."""
    if pto_type is None:
        raise UnknownType(key, field, location)
    if pto_type.balance == "shared":
        message = f"{pto_type.key!r} draws on the balance of {pto_type.draws_on!r}: ask for that one."
        raise NotABalance(field, message, location)
    if pto_type.balance == "none":
        raise NotABalance(field, f"{pto_type.key!r} keeps no balance.", location)
    return pto_type


def select_types(archived):
    """The statement listing the types, the default first, then by key; archived ones instead if asked."""
    archived_clause = PtoType.archived_at.is_not(None) if archived else PtoType.archived_at.is_(None)
    return select(PtoType).where(archived_clause).order_by(PtoType.is_default.desc(), PtoType.key)


def add_type(data):
    """Create a type from validated ``data`` (key, name, balance, draws_on and the settings)."""
    lock_table_for_writes(PtoType)
    if db.session.get(PtoType, data["key"]) is not None:
        raise TypeConflict(f"A type with the key {data['key']!r} exists (perhaps archived).")
    if db.session.scalar(select(func.count()).select_from(PtoType)) >= MAX_PTO_TYPES:
        raise TypeConflict(f"A company may keep at most {MAX_PTO_TYPES} types, archived ones included.")
    make_default = data.pop("is_default", False)
    pto_type = PtoType(**data, is_default=False)
    _check_draws_on(pto_type)
    db.session.add(pto_type)
    if make_default:
        _make_default(pto_type)
    return pto_type


def change_type(key, changes):
    """Change a type's settings, how it treats balances (only while nothing has used it), whether it is
    the default, or archived; return it."""
    pto_type = _type_for_change(key)
    for name in SETTINGS:
        if name in changes:
            setattr(pto_type, name, changes[name])
    if "balance" in changes or "draws_on" in changes:
        _change_treatment(pto_type, changes)
    if changes.get("archived") is True:
        _archive(pto_type)
    elif changes.get("archived") is False and pto_type.archived:
        _restore(pto_type)
    if changes.get("is_default") is True:
        _make_default(pto_type)
    elif changes.get("is_default") is False and pto_type.is_default:
        raise TypeConflict("There is always one default type: make another type the default instead.")
    return pto_type


def archive_type(key):
    """Archive the type ``key`` (404 if unknown): no new entries; its entries, balances and lines stay.
    Not the default, nor a balance an active type draws on (409). Archiving twice does nothing."""
    _archive(_type_for_change(key))


def _type_for_change(key):
    """The type ``key`` (404 if unknown), read with every lock a change needs: the table's, so that two
    changes (of the default, say) queue, and the row's, so that filings of the type finish first."""
    lock_table_for_writes(PtoType)
    return _found(db.session.scalars(_BY_KEY_FOR_CHANGE, {"key": key}).one_or_none())


def _archive(pto_type):
    if pto_type.archived:
        return
    if pto_type.is_default:
        raise TypeConflict("The default type cannot be archived: make another type the default first.")
    sharing = db.session.scalars(
        select(PtoType.key).where(PtoType.draws_on == pto_type.key, PtoType.archived_at.is_(None))
    ).all()
    if sharing:
        raise TypeConflict(f"Active types draw on its balance ({', '.join(sharing)}): archive them first.")
    pto_type.archived_at = utcnow()


def _restore(pto_type):
    """Take ``pto_type`` out of the archive: a shared type only while the type it draws on is active."""
    if pto_type.balance == "shared":
        bank = db.session.get(PtoType, pto_type.draws_on)
        if bank.archived:
            raise TypeConflict(f"It draws on {bank.key!r}, which is archived: restore that first.")
    pto_type.archived_at = None


def _change_treatment(pto_type, changes):
    """Change how ``pto_type`` treats balances (``balance`` and ``draws_on`` in ``changes``): a shape that
    holds together (422 otherwise), and only while no entry, balance or ledger line refers to it (409)."""
    balance = changes.get("balance", pto_type.balance)
    if "draws_on" in changes:
        draws_on = changes["draws_on"]
    else:  # a shared type keeps its bank unless told another; the others draw on none
        draws_on = pto_type.draws_on if balance == "shared" else None
    if balance == "shared" and draws_on is None:
        raise InvalidField("draws_on", "A shared type names the type whose balance it draws on.")
    if balance != "shared" and draws_on is not None:
        raise InvalidField("draws_on", "Only a shared type draws on another type's balance.")
    if (balance, draws_on) == (pto_type.balance, pto_type.draws_on):
        return
    if _in_use(pto_type.key):
        raise TypeInUse(
            f"Entries or lines of {pto_type.key!r} were made as {pto_type.balance!r}: create a new type."
        )
    if pto_type.balance == "own" and balance != "own":
        if pto_type.is_default:
            raise TypeConflict("The default type keeps its own balance.")
        if db.session.scalar(select(exists().where(PtoType.draws_on == pto_type.key))):
            raise TypeConflict(f"Other types draw on the balance of {pto_type.key!r}.")
    pto_type.balance, pto_type.draws_on = balance, draws_on
    _check_draws_on(pto_type)


def _in_use(key):
    """Whether any entry, balance or ledger line refers to the type ``key``."""
    return db.session.scalar(
        select(
            or_(
                exists().where(or_(PtoEntry.type == key, PtoEntry.balance_type == key)),
                exists().where(Balance.type == key),
                exists().where(LedgerLine.type == key),
            )
        )
    )


def _check_draws_on(pto_type):
    """A shared type draws on another active type with a balance of its own (else 422 on ``draws_on``)."""
    if pto_type.balance != "shared":
        return
    bank = db.session.get(PtoType, pto_type.draws_on)
    if bank is None or bank.archived or bank.balance != "own" or bank.key == pto_type.key:
        raise InvalidField("draws_on", "Must be the key of another active type with its own balance.")


def _make_default(pto_type):
    """Make ``pto_type`` the one default: it keeps its own balance and is active."""
    if pto_type.balance != "own" or pto_type.archived:
        raise TypeConflict("The default type must be active and keep its own balance.")
    if pto_type.is_default:
        return
    # Clear the old default first: the database holds at most one (uq_pto_types_is_default).
    db.session.execute(
        update(PtoType)
        .where(PtoType.is_default)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    pto_type.is_default = True
