"""The migrations are the schema's only author: they match the models and run both ways."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from werkzeug.security import generate_password_hash

from helpers import (
    FAST_PASSWORD_HASH,
    PASSWORD,
    Api,
    assert_ledger_matches_balances,
    create_employee,
    decide,
    hire,
    hours_of,
    login,
    register_and_login,
    request_pto,
)
from models import Balance, Hours, PtoEntry, PtoType, UTCDateTime, db

# SQLite cannot reflect the lower(username) index; PostgreSQL compares it.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


def schema_differences(app):
    with app.app_context(), db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_migrated_schema_matches_the_models(app):
    assert schema_differences(app) == []


def test_migrations_downgrade_and_upgrade_cleanly(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()

    assert schema_differences(app) == []


def test_migrations_run_without_the_request_statement_timeout(database_url):
    """A release's `flask db upgrade` may take longer than a request may: the timeout is for requests."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statement_timeout is PostgreSQL's")
    from app import create_app
    from helpers import app_settings

    # 1 ms: under it neither the DDL nor the driver's own first queries on a new connection finish.
    app = create_app(app_settings(database_url, DATABASE_STATEMENT_TIMEOUT_SECONDS=0.001))
    with app.app_context():
        downgrade(revision="base")
        upgrade()


def test_accounts_made_before_password_resets_existed_need_no_change(app, client):
    """0004 adds must_change_password: accounts that exist then chose their own passwords."""
    from werkzeug.security import generate_password_hash

    from helpers import PASSWORD, login

    with app.app_context():
        downgrade(revision="0003")
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, password_hash, role, is_active, created_at) "
                "VALUES ('veteran', :hash, 'admin', :active, :now)"
            ),
            {"hash": generate_password_hash(PASSWORD), "active": True, "now": datetime.now(UTC)},
        )
        db.session.commit()
        upgrade()

    me = client.get("/me", headers=login(client, "veteran")).json
    assert (me["username"], me["must_change_password"]) == ("veteran", False)
    assert client.get("/employees", headers=login(client, "veteran")).status_code == 200


# ── 0005: the five fixed types become records, and every employee's hours_balance their vacation balance.

OLD_TYPES = ("vacation", "sick", "personal", "bereavement", "unpaid")
# How each old type treats balances after 0005: (balance, draws_on, paid); vacation is the default.
STARTER_TREATMENT = {
    "vacation": ("own", None, True),
    "sick": ("shared", "vacation", True),
    "personal": ("shared", "vacation", True),
    "bereavement": ("shared", "vacation", True),
    "unpaid": ("none", None, False),
}
# Where an entry's life ended. An entry cancelled once approved had its hours taken and refunded.
OLD_OUTCOMES = ("pending", "approved", "denied", "cancelled while pending", "cancelled once approved")
# The 0004 tables as the app wrote them; entry and ledger columns in full, as the copy must keep them.
EMPLOYEES_0004 = sa.table(
    "employees",
    sa.column("id"),
    sa.column("name"),
    sa.column("hours_balance", Hours),
    sa.column("manager_id"),
    sa.column("archived_at", UTCDateTime),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
USERS_0004 = sa.table(
    "users",
    sa.column("id"),
    sa.column("username"),
    sa.column("password_hash"),
    sa.column("role"),
    sa.column("employee_id"),
    sa.column("is_active"),
    sa.column("created_at", UTCDateTime),
)
ENTRIES_0004 = sa.table(
    "pto_entries",
    sa.column("id"),
    sa.column("employee_id"),
    sa.column("hours", Hours),
    sa.column("start_date", sa.Date),
    sa.column("end_date", sa.Date),
    sa.column("type"),
    sa.column("note"),
    sa.column("status"),
    sa.column("requested_by"),
    sa.column("created_at", UTCDateTime),
    sa.column("decided_by"),
    sa.column("decided_at", UTCDateTime),
    sa.column("decision_note"),
    sa.column("cancelled_by"),
    sa.column("cancelled_at", UTCDateTime),
    sa.column("cancellation_note"),
)
LEDGER_0004 = sa.table(
    "ledger_lines",
    sa.column("id"),
    sa.column("employee_id"),
    sa.column("kind"),
    sa.column("delta", Hours),
    sa.column("balance_after", Hours),
    sa.column("reason"),
    sa.column("actor_id"),
    sa.column("pto_entry_id"),
    sa.column("created_at", UTCDateTime),
)
ADMIN, MIA, ELI, ONA, REX, ZED = "admin", 1, 2, 3, 4, 5


@dataclass
class OldCompany:
    """A company's rows at revision 0004, and what the app showed of each employee then."""

    employees: list
    users: list
    entries: list
    ledger_lines: list

    def balance_of(self, employee_id):
        """hours_balance as 0004 stored it."""
        return next(row["hours_balance"] for row in self.employees if row["id"] == employee_id)

    def pending_of(self, employee_id):
        """pending_hours as 0004 computed it: the hours of pending entries that take hours (not unpaid)."""
        return sum(
            (
                entry["hours"]
                for entry in self.entries
                if entry["employee_id"] == employee_id
                and entry["status"] == "pending"
                and entry["type"] != "unpaid"
            ),
            Decimal("0.00"),
        )

    def entries_that(self, employee_id, status, takes_hours=True):
        return [
            entry
            for entry in self.entries
            if (entry["employee_id"], entry["status"]) == (employee_id, status)
            and (entry["type"] != "unpaid") == takes_hours
        ]


def old_company():
    """Mia manages Eli, who manages Ona; Rex (archived) reported to Mia; Zed, just hired, has nothing yet.

    Each of the five old types appears in every outcome, dated and undated, spread over Mia, Eli, Ona and
    Rex. Every ledger kind appears, and the lines explain each balance as 0004 kept it: an opening line,
    adjustments and an accrual, then the hours every approved entry took (unpaid took none) and gave back
    when cancelled.
    """
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    people = [  # id, name, manager, archived, opening hours, later adjustments
        (MIA, "Mia", None, False, Decimal("120.00"), [Decimal("8.00")]),
        (ELI, "Eli", MIA, False, Decimal("80.00"), [Decimal("-12.50")]),
        (ONA, "Ona", ELI, False, Decimal("40.00"), [Decimal("4.25"), Decimal("-2.00")]),
        (REX, "Rex", MIA, True, Decimal("64.00"), []),
        (ZED, "Zed", ONA, False, Decimal("0.00"), []),
    ]
    accounts = [  # username, role, employee, active
        (ADMIN, "admin", None, True),
        ("mia", "manager", MIA, True),
        ("eli", "manager", ELI, True),
        ("ona", "employee", ONA, True),
        ("rex", "employee", REX, False),
    ]
    users = [
        {
            "id": user_id,
            "username": username,
            "password_hash": generate_password_hash(PASSWORD, method=FAST_PASSWORD_HASH),
            "role": role,
            "employee_id": employee_id,
            "is_active": active,
            "created_at": now,
        }
        for user_id, (username, role, employee_id, active) in enumerate(accounts, start=1)
    ]
    user_of = {user["employee_id"]: user["id"] for user in users}
    admin_id = users[0]["id"]
    balances = {employee_id: Decimal("0.00") for employee_id, *_ in people}
    lines = []

    def line(employee_id, kind, delta, entry_id=None, reason=None):
        balances[employee_id] += delta
        lines.append(
            {
                "id": len(lines) + 1,
                "employee_id": employee_id,
                "kind": kind,
                "delta": delta,
                "balance_after": balances[employee_id],
                "reason": reason,
                "actor_id": admin_id,
                "pto_entry_id": entry_id,
                "created_at": now + timedelta(minutes=len(lines)),
            }
        )

    for employee_id, _name, _manager, _archived, opening, adjustments in people:
        line(employee_id, "opening", opening, reason="Opening balance")
        for delta in adjustments:
            line(employee_id, "adjustment", delta, reason="Correction")
    line(MIA, "accrual", Decimal("6.67"), reason="June accrual")

    entries = []
    cases = [
        (kind, outcome, dated) for kind in OLD_TYPES for outcome in OLD_OUTCOMES for dated in (False, True)
    ]
    for entry_id, (kind, outcome, dated) in enumerate(cases, start=1):
        employee_id = (MIA, ELI, ONA, REX)[entry_id % 4]
        status = outcome.split()[0]
        approved = outcome in ("approved", "cancelled once approved")
        start = date(2027, 1, 4) + timedelta(days=2 * entry_id) if dated else None
        filed_at = now + timedelta(days=1, hours=entry_id)
        entries.append(
            {
                "id": entry_id,
                "employee_id": employee_id,
                "hours": Decimal("1.25") * (1 + entry_id % 6),
                "start_date": start,
                "end_date": start + timedelta(days=entry_id % 2) if dated else None,
                "type": kind,
                "note": f"{kind}, {outcome}",
                "status": status,
                "requested_by": user_of[employee_id],
                "created_at": filed_at,
                "decided_by": admin_id if approved or status == "denied" else None,
                "decided_at": filed_at + timedelta(minutes=5) if approved or status == "denied" else None,
                "decision_note": "OK" if approved else None,
                "cancelled_by": admin_id if status == "cancelled" else None,
                "cancelled_at": filed_at + timedelta(minutes=9) if status == "cancelled" else None,
                "cancellation_note": "Plans changed" if status == "cancelled" else None,
            }
        )
        if approved and kind != "unpaid":
            line(employee_id, "pto_taken", -entries[-1]["hours"], entry_id)
            if status == "cancelled":
                line(employee_id, "refund", entries[-1]["hours"], entry_id)

    employees = [
        {
            "id": employee_id,
            "name": name,
            "hours_balance": balances[employee_id],
            "manager_id": manager_id,
            "archived_at": now if archived else None,
            "created_at": now,
            "updated_at": now,
        }
        for employee_id, name, manager_id, archived, _opening, _adjustments in people
    ]
    return OldCompany(employees, users, entries, lines)


def insert_rows(company):
    """Write ``company`` into a database at 0004, as the app did, ids included. (PostgreSQL's sequences
    do not see explicit ids: move them on, so that the rows the app adds next get new ones.)"""
    tables = ((EMPLOYEES_0004, company.employees), (USERS_0004, company.users))
    tables += ((ENTRIES_0004, company.entries), (LEDGER_0004, company.ledger_lines))
    for table, rows in tables:
        db.session.execute(sa.insert(table), rows)
        if db.engine.dialect.name == "postgresql":
            sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
            db.session.execute(sa.text(f"SELECT setval({sequence}, MAX(id)) FROM {table.name}"))
    db.session.commit()


@contextmanager
def at_revision(app, revision):
    """Inside the block the test's database is at ``revision``, in an app context; it leaves the block at
    head again, whatever happened there (the tests after it need the current schema)."""
    with app.app_context():
        downgrade(revision=revision)
        try:
            yield
        finally:
            db.session.close()  # the migration waits for no reader
            upgrade()


def pairs(statement):
    """What a two-column ``statement`` selects, as a dict."""
    return {key: value for key, value in db.session.execute(statement)}


def hours_in(shown):
    """Hours as the API shows them (a JSON number), as a Decimal."""
    return Decimal(str(shown))


def ledger_of(api, who, employee_id, **params):
    """An employee's ledger lines, oldest first (one page of 100: enough for these companies)."""
    path = f"/employees/{employee_id}/ledger"
    return api.ok("GET", path, headers=who, params={"per_page": 100, **params})


def rows_of(table, *extra):
    """Every row of ``table`` (its 0004 columns, then the ``extra`` ones named), by id."""
    columns = [sa.column(column.name, column.type) for column in table.c]
    table = sa.table(table.name, *columns, *map(sa.column, extra))
    return db.session.execute(sa.select(table).order_by(table.c.id)).all()


def hours_shown(api, who, employee_id):
    """(hours_balance, pending_hours, available_hours) as GET /employees/<id> shows them, as Decimals."""
    return tuple(map(hours_in, hours_of(api, who, employee_id)))


def test_upgrading_a_company_keeps_every_balance_line_and_entry(app, client):
    """0004 → head on a company's rows: every hours_balance becomes a vacation balance with its pending hours,
    every ledger line a vacation line, every entry keeps its type and draws on vacation (unpaid on none);
    the API then shows the same figures and moves hours on the migrated entries as on new ones."""
    company = old_company()
    with at_revision(app, "0004"):
        insert_rows(company)
        entries_before, lines_before = rows_of(ENTRIES_0004), rows_of(LEDGER_0004)

    with app.app_context():
        balances = db.session.execute(
            sa.select(Balance.employee_id, Balance.type, Balance.hours_balance, Balance.pending_hours)
        ).all()
        assert sorted(balances) == [
            (row["id"], "vacation", row["hours_balance"], company.pending_of(row["id"]))
            for row in company.employees
        ]
        lines_after = rows_of(LEDGER_0004, "type")
        assert list(map(tuple, lines_after)) == [(*line, "vacation") for line in lines_before]
        entries_after = rows_of(ENTRIES_0004, "balance_type")
        assert list(map(tuple, entries_after)) == [
            (*entry, None if entry.type == "unpaid" else "vacation") for entry in entries_before
        ]
        starters = db.session.execute(
            sa.select(PtoType.key, PtoType.balance, PtoType.draws_on, PtoType.paid).order_by(PtoType.key)
        ).all()
        assert {key: tuple(treatment) for key, *treatment in starters} == STARTER_TREATMENT
        settings = db.session.execute(
            sa.select(PtoType.key, PtoType.is_default, PtoType.requires_approval, PtoType.archived_at)
        ).all()
        assert sorted(settings) == sorted((key, key == "vacation", True, None) for key in OLD_TYPES)
    assert_ledger_matches_balances(app.config["SQLALCHEMY_DATABASE_URI"])

    # The API shows what 0004 showed, the default type first among the five types it lists.
    api = Api(client)
    admin, eli = login(api, ADMIN), login(api, "eli")
    listed = api.ok("GET", "/pto-types", headers=admin)
    assert [(row["key"], row["is_default"]) for row in listed[:1]] == [("vacation", True)]
    assert sorted(row["key"] for row in listed) == sorted(OLD_TYPES)
    for row in company.employees:
        held, pending = row["hours_balance"], company.pending_of(row["id"])
        assert hours_shown(api, admin, row["id"]) == (held, pending, held - pending), row["name"]
    (vacation,) = api.ok("GET", f"/employees/{ONA}/balances", headers=admin)
    assert (vacation["type"], vacation["drawn_on_by"]) == ("vacation", ["vacation", *sorted(OLD_TYPES[1:4])])
    shown_lines = ledger_of(api, admin, ONA, type="vacation")
    assert [(line["id"], hours_in(line["delta"]), line["type"]) for line in shown_lines] == [
        (line["id"], line["delta"], "vacation") for line in company.ledger_lines if line["employee_id"] == ONA
    ]

    # Eli approves a pending request Ona filed before 0005: its hours leave her vacation balance.
    held, pending, available = hours_shown(api, admin, ONA)
    entry = company.entries_that(ONA, "pending")[0]
    assert api.ok("POST", f"/pto/{entry['id']}/approve", headers=eli)["balance_type"] == "vacation"
    held, pending = held - entry["hours"], pending - entry["hours"]
    assert hours_shown(api, admin, ONA) == (held, pending, available)
    last = ledger_of(api, admin, ONA)[-1]
    assert (last["kind"], last["type"], last["pto_entry_id"]) == ("pto_taken", "vacation", entry["id"])
    assert (hours_in(last["delta"]), hours_in(last["balance_after"])) == (-entry["hours"], held)
    # An unpaid one moves nothing.
    unpaid = company.entries_that(ONA, "pending", takes_hours=False)[0]
    assert decide(api, eli, unpaid["id"], "approve").status_code == 200
    assert hours_shown(api, admin, ONA) == (held, pending, available)

    # The admin cancels an entry approved before 0005: one refund. One refunded before 0005 gets no second.
    entry = company.entries_that(MIA, "approved")[0]
    refunded = next(e for e in company.entries_that(MIA, "cancelled") if e["decided_by"] is not None)
    assert decide(api, admin, entry["id"], "cancel").status_code == 200
    assert decide(api, admin, entry["id"], "cancel").status_code == 409
    assert decide(api, admin, refunded["id"], "cancel").status_code == 409
    held, pending = company.balance_of(MIA) + entry["hours"], company.pending_of(MIA)
    assert hours_shown(api, admin, MIA) == (held, pending, held - pending)
    refunds = [line["pto_entry_id"] for line in ledger_of(api, admin, MIA) if line["kind"] == "refund"]
    old_refunds = [
        line["pto_entry_id"]
        for line in company.ledger_lines
        if (line["employee_id"], line["kind"]) == (MIA, "refund")
    ]
    assert refunded["id"] in old_refunds
    assert refunds == [*old_refunds, entry["id"]]


def test_downgrading_an_empty_database_to_0004_and_back(app):
    """Back to one hours_balance column per employee and no types or balances; then head again."""
    with at_revision(app, "0004"):
        inspector = sa.inspect(db.engine)
        tables = set(inspector.get_table_names())
        employee_columns = {column["name"] for column in inspector.get_columns("employees")}
        entry_columns = {column["name"] for column in inspector.get_columns("pto_entries")}

    assert not {"pto_types", "balances"} & tables
    assert "hours_balance" in employee_columns and "balance_type" not in entry_columns
    assert schema_differences(app) == []


def test_downgrading_to_0004_gives_each_employee_their_default_balance_back(app, client):
    """A company that used only the five starter types goes back to 0004 with each hours_balance its vacation
    balance, which its ledger lines still explain, and each entry its type; upgraded again, it shows what
    it showed before."""
    api = Api(client)
    admin = register_and_login(api, "admin")
    mia = hire(api, admin, "mia", role="manager", hours_balance=50)
    eli = hire(api, admin, "eli", manager=mia, hours_balance=30.5)
    rex = create_employee(api, admin, "Rex", 12)["id"]
    zed = create_employee(api, admin, "Zed", 0)["id"]
    request_pto(api, eli, eli.employee_id, 4, type="sick")  # pending
    request_pto(api, mia, eli.employee_id, 6, type="personal")  # approved at once
    refunded = request_pto(api, admin, eli.employee_id, 2.5, type="bereavement")["id"]
    assert decide(api, admin, refunded, "cancel").status_code == 200
    request_pto(api, admin, eli.employee_id, 8, type="unpaid")
    denied = request_pto(api, eli, eli.employee_id, 3, type="vacation")["id"]
    assert decide(api, mia, denied, "deny").status_code == 200
    request_pto(api, admin, mia.employee_id, 10, start_date="2027-03-01", end_date="2027-03-02")
    adjusted = {"hours_balance": 45, "reason": "Carry-over capped"}
    api.ok("PUT", f"/employees/{mia.employee_id}/balances/vacation", json=adjusted, headers=admin)
    assert api.request("DELETE", f"/employees/{rex}", headers=admin).status_code == 204
    employees = (mia.employee_id, eli.employee_id, rex, zed)
    shown = {employee_id: hours_shown(api, admin, employee_id) for employee_id in employees}
    entry_types = [(entry["id"], entry["type"]) for entry in api.ok("GET", "/pto", headers=admin)]
    assert shown[eli.employee_id] == (Decimal("24.5"), Decimal("4"), Decimal("20.5"))

    with at_revision(app, "0004"):
        balances = pairs(sa.select(EMPLOYEES_0004.c.id, EMPLOYEES_0004.c.hours_balance))
        ledger_sums = pairs(
            sa.select(
                LEDGER_0004.c.employee_id, sa.type_coerce(sa.func.sum(LEDGER_0004.c.delta), Hours)
            ).group_by(LEDGER_0004.c.employee_id)
        )
        types_kept = pairs(sa.select(ENTRIES_0004.c.id, ENTRIES_0004.c.type))

    assert balances == {employee_id: held for employee_id, (held, _, _) in shown.items()}
    assert ledger_sums == balances
    assert types_kept == dict(entry_types)
    assert {employee_id: hours_shown(api, admin, employee_id) for employee_id in employees} == shown


EMPLOYEES_0006 = sa.table(
    "employees",
    sa.column("name"),
    sa.column("archived_at", UTCDateTime),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)


def test_upgrading_dates_each_employee_s_hire_and_leaving_by_their_record(app):
    """Employees made before hire dates existed were hired on the day (UTC) their record was made, and the
    archived ones left on the day they were archived."""
    made = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)
    archived = datetime(2026, 6, 30, 0, 15, tzinfo=UTC)
    with at_revision(app, "0006"):
        db.session.execute(
            sa.insert(EMPLOYEES_0006),
            [
                {"name": "Stays", "archived_at": None, "created_at": made, "updated_at": made},
                {"name": "Left", "archived_at": archived, "created_at": made, "updated_at": archived},
            ],
        )
        db.session.commit()

    with app.app_context():
        rows = db.session.execute(sa.text("SELECT name, hire_date, left_on FROM employees ORDER BY name"))
        dates = {name: (str(hired), left and str(left)) for name, hired, left in rows}
        db.session.close()

    assert dates == {"Left": ("2025-03-01", "2026-06-30"), "Stays": ("2025-03-01", None)}


def test_upgrading_to_schedules_keeps_dated_entries_whose_dates_then_count_whole(app, client):
    """0008 → head on entries filed before schedules existed: they keep their hours and have no days, so
    their dates block other requests whole, and they refund once; the company's schedule and the default
    calendar are made once."""
    api = Api(client)
    admin = register_and_login(api, "admin")
    dana = create_employee(api, admin, "Dana", 80)
    dated = request_pto(api, admin, dana["id"], 16, start_date="2027-03-08", end_date="2027-03-09")
    request_pto(api, admin, dana["id"], 4)
    with at_revision(app, "0008"):
        days_tables = sa.inspect(db.engine).get_table_names()
        assert "pto_days" not in days_tables and "work_schedules" not in days_tables

    kept = api.ok("GET", f"/pto/{dated['id']}", headers=admin)
    assert (kept["hours"], kept["days"]) == (16, [])
    afternoon = api.request(
        "POST",
        "/pto",
        json={"employee_id": dana["id"], "start_date": "2027-03-09", "start_part": "afternoon"},
        headers=admin,
    )
    assert afternoon.status_code == 409
    assert (
        afternoon.json["message"]
        == f"These dates overlap PTO entry {dated['id']} (2027-03-08 to 2027-03-09, approved)."
    )
    assert [s["effective_from"] for s in api.ok("GET", "/work-schedules", headers=admin)] == ["0001-01-01"]
    assert [(c["id"], c["is_default"]) for c in api.ok("GET", "/holiday-calendars", headers=admin)] == [
        (1, True)
    ]
    assert decide(api, admin, dated["id"], "cancel").status_code == 200
    assert decide(api, admin, dated["id"], "cancel").status_code == 409
    assert hours_of(api, admin, dana["id"]) == (76, 0, 76)


def test_upgrading_to_revisions_counts_each_entry_s_changes_by_its_timestamps(app, client, manager, report):
    """0009 → head: an entry's revision counts a decision after filing and a cancellation, and updated_at
    is when the last change happened (what calendar feeds send as SEQUENCE and LAST-MODIFIED)."""
    api = Api(client)
    pending = request_pto(api, report, report.employee_id, 1)
    at_once = request_pto(api, manager, report.employee_id, 1)
    decided = request_pto(api, report, report.employee_id, 1)
    assert decide(api, manager, decided["id"], "approve").status_code == 200
    cancelled = request_pto(api, report, report.employee_id, 1)
    assert decide(api, report, cancelled["id"], "cancel").status_code == 200
    with at_revision(app, "0009"):
        assert "revision" not in {c["name"] for c in sa.inspect(db.engine).get_columns("pto_entries")}

    with app.app_context():
        entries = {
            row.id: row
            for row in db.session.execute(
                sa.select(
                    PtoEntry.id,
                    PtoEntry.revision,
                    PtoEntry.updated_at,
                    PtoEntry.created_at,
                    PtoEntry.decided_at,
                    PtoEntry.cancelled_at,
                )
            )
        }
    assert {
        name: entries[entry["id"]].revision
        for name, entry in {
            "pending": pending,
            "at once": at_once,
            "decided": decided,
            "cancelled": cancelled,
        }.items()
    } == {
        "pending": 0,
        "at once": 0,
        "decided": 1,
        "cancelled": 1,
    }
    assert entries[pending["id"]].updated_at == entries[pending["id"]].created_at
    assert entries[decided["id"]].updated_at == entries[decided["id"]].decided_at
    assert entries[cancelled["id"]].updated_at == entries[cancelled["id"]].cancelled_at
