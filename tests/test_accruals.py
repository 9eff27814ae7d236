"""Accrual policies as HR uses them: policies, who is on which, the run that posts their lines (safe to
schedule daily), and projections that show a balance on a future day before anything is posted
(PRODUCT.md §7; the arithmetic alone is in test_accrual_rules.py)."""

import calendar
import threading
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from flask.cli import FlaskGroup

from domain import accrual_runs
from helpers import create_employee, create_pto_type, file_pto, ledger
from models import AccrualRun, db
from tests.helpers import company_today as today

MONTHLY_VACATION = {
    "name": "Vacation, monthly",
    "type": "vacation",
    "frequency": "monthly",
    "tiers": [{"after_years": 0, "hours": 6.67}, {"after_years": 3, "hours": 10}],
    "max_balance": 80,
    "carry_over": "up_to",
    "carry_over_hours": 40,
}


def create_policy(client, admin, **fields):
    response = client.post("/accrual-policies", json={**MONTHLY_VACATION, **fields}, headers=admin)
    assert response.status_code == 201, response.json
    return response.json


def hire_on(client, admin, hire_date, hours_balance=0, name="Dana"):
    response = client.post(
        "/employees",
        json={"name": name, "hours_balance": hours_balance, "hire_date": str(hire_date)},
        headers=admin,
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def assign(client, admin, employee_id, policy_id, effective_from, **fields):
    body = {"policy_id": policy_id, "effective_from": str(effective_from), **fields}
    return client.post(f"/employees/{employee_id}/accrual-assignments", json=body, headers=admin)


def run_through(app, day):
    """A run through ``day``, as `flask accrue` makes one (a day after today too: what a projection
    promises for it); the run's record."""
    with app.app_context():
        run = accrual_runs.start_run(day, "cli")
        for _handled in accrual_runs.run_in_batches(run):
            db.session.commit()
        return {"id": run.id, "lines": run.lines, "hours": run.hours, "status": run.status}


def policy_lines(client, admin, employee_id):
    return [
        (line["effective_on"], line["kind"], line["delta"])
        for line in ledger(client, admin, employee_id).lines
        if line["policy_id"] is not None
    ]


def months_ago(months):
    day = today()
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, 1)


# Policies


def test_an_admin_creates_a_policy_and_everyone_can_read_it(client, admin, report):
    policy = create_policy(client, admin)

    assert policy["tiers"] == [{"after_years": 0, "hours": 6.67}, {"after_years": 3, "hours": 10}]
    assert (policy["method"], policy["frequency"], policy["accrue_at"]) == ("per_period", "monthly", "end")
    listed = client.get("/accrual-policies", headers=report.headers)
    assert [shown["id"] for shown in listed.json] == [policy["id"]]
    assert client.get(f"/accrual-policies/{policy['id']}", headers=report.headers).json == policy


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tiers": [{"after_years": 1, "hours": 8}]}, "tiers"),
        ({"tiers": [{"after_years": 0, "hours": 8}, {"after_years": 0, "hours": 9}]}, "tiers"),
        ({"tiers": []}, "tiers"),
        ({"method": "per_hours_worked"}, "per_hours_worked"),
        ({"per_hours_worked": 30}, "per_hours_worked"),
        ({"policy_year": "fixed"}, "policy_year"),
        ({"policy_year": "fixed", "year_start_month": 2, "year_start_day": 29}, "year_start_day"),
        ({"carry_over": "up_to", "carry_over_hours": None}, "carry_over_hours"),
        (
            {"carry_over": "none", "carry_over_hours": None, "carry_over_expires_after_days": 90},
            "carry_over_expires_after_days",
        ),
        ({"carry_over_expires_after_days": 365}, "carry_over_expires_after_days"),  # within the year
        ({"frequency": "daily"}, "frequency"),
        ({"type": "unpaid"}, "type"),
        ({"type": "no-such-type"}, "type"),
        ({"waiting_days": -1}, "waiting_days"),
        ({"tiers": [{"after_years": 0, "hours": 2080.01}]}, "tiers"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_policy_that_does_not_add_up_is_refused_naming_the_field(client, admin, fields, field):
    response = client.post("/accrual-policies", json={**MONTHLY_VACATION, **fields}, headers=admin)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_only_admins_manage_policies(client, admin, manager):
    assert client.post("/accrual-policies", json=MONTHLY_VACATION, headers=manager.headers).status_code == 403
    policy = create_policy(client, admin)
    assert (
        client.patch(
            f"/accrual-policies/{policy['id']}", json={"name": "X"}, headers=manager.headers
        ).status_code
        == 403
    )


def test_a_policy_s_rules_cannot_be_edited_only_its_name_and_status(client, admin):
    policy = create_policy(client, admin)

    refused = client.patch(f"/accrual-policies/{policy['id']}", json={"max_balance": 200}, headers=admin)
    renamed = client.patch(f"/accrual-policies/{policy['id']}", json={"name": "2027 handbook"}, headers=admin)

    assert refused.status_code == 422
    assert renamed.json["name"] == "2027 handbook"
    assert client.delete(f"/accrual-policies/{policy['id']}", headers=admin).status_code == 204
    assert client.get("/accrual-policies", headers=admin).json == []
    archived = client.get(f"/accrual-policies/{policy['id']}", headers=admin).json
    assert archived["archived"] is True


def test_new_hires_get_their_type_s_policy_from_their_hire_date(client, admin):
    first = create_policy(client, admin, for_new_hires=True)
    second = create_policy(client, admin, name="Vacation 2027", for_new_hires=True)
    employee_id = hire_on(client, admin, date(2026, 3, 9))

    assignments = client.get(f"/employees/{employee_id}/accrual-assignments", headers=admin).json

    assert [(shown["policy_id"], shown["effective_from"]) for shown in assignments] == [
        (second["id"], "2026-03-09")
    ]
    assert client.get(f"/accrual-policies/{first['id']}", headers=admin).json["for_new_hires"] is False


def test_making_another_policy_the_new_hires_one_unmakes_the_previous(client, admin):
    first = create_policy(client, admin, for_new_hires=True)
    second = create_policy(client, admin, name="Vacation 2027")

    changed = client.patch(f"/accrual-policies/{second['id']}", json={"for_new_hires": True}, headers=admin)

    assert changed.status_code == 200 and changed.json["for_new_hires"] is True
    assert client.get(f"/accrual-policies/{first['id']}", headers=admin).json["for_new_hires"] is False


def test_an_archived_policy_cannot_become_the_new_hires_one(client, admin):
    current = create_policy(client, admin, for_new_hires=True)
    old = create_policy(client, admin, name="Old")
    client.delete(f"/accrual-policies/{old['id']}", headers=admin)

    refused = client.patch(f"/accrual-policies/{old['id']}", json={"for_new_hires": True}, headers=admin)

    assert refused.status_code == 409
    assert client.get(f"/accrual-policies/{current['id']}", headers=admin).json["for_new_hires"] is True


# Runs


def test_a_run_posts_each_period_dated_on_its_day_and_a_second_run_posts_nothing(app, client, admin):
    policy = create_policy(client, admin, max_balance=None, accrue_at="start")  # on each month's 1st
    hired = months_ago(3)
    employee_id = hire_on(client, admin, hired)
    assert assign(client, admin, employee_id, policy["id"], hired).status_code == 201

    first = client.post("/accrual-runs", json={}, headers=admin)
    second = client.post("/accrual-runs", json={}, headers=admin)

    assert first.status_code == 201
    assert first.json["lines"] == 4 and first.json["hours"] == 26.68
    assert first.json["status"] == "finished" and first.json["duration_ms"] >= 0
    assert second.json["lines"] == 0
    lines = policy_lines(client, admin, employee_id)
    assert [(day, delta) for day, _kind, delta in lines] == [
        (str(months_ago(months)), 6.67) for months in (3, 2, 1, 0)
    ]
    runs = client.get("/accrual-runs", headers=admin).json
    assert [run["id"] for run in runs] == [second.json["id"], first.json["id"]]


def test_a_preview_shows_the_lines_and_writes_nothing(client, admin):
    policy = create_policy(client, admin, accrue_at="start")
    hired = months_ago(2)
    employee_id = hire_on(client, admin, hired)
    assign(client, admin, employee_id, policy["id"], hired)

    preview = client.post("/accrual-runs/preview", headers=admin)

    assert preview.status_code == 200
    assert preview.json["lines"] == 3
    assert [line["delta"] for line in preview.json["sample"]] == [6.67, 6.67, 6.67]
    assert policy_lines(client, admin, employee_id) == []
    assert client.get("/accrual-runs", headers=admin).json == []


def test_a_run_through_a_day_to_come_is_refused(client, admin):
    tomorrow = today() + timedelta(days=1)

    response = client.post("/accrual-runs", json={"through": str(tomorrow)}, headers=admin)

    assert response.status_code == 422
    assert "through" in response.json["errors"]


def test_a_catch_up_posts_what_daily_runs_would_have(app, client, admin):
    policy = create_policy(client, admin, frequency="semimonthly", tiers=[{"after_years": 0, "hours": 3.33}])
    daily, caught_up = (
        hire_on(client, admin, date(2025, 11, 20), name="Daily"),
        hire_on(client, admin, date(2025, 11, 20), name="Late"),
    )
    for employee_id in (daily, caught_up):
        assign(client, admin, employee_id, policy["id"], date(2025, 11, 20))
    assign(client, admin, caught_up, None, date(2025, 11, 20), type="vacation")  # on no policy, for now

    day = date(2025, 11, 20)
    while day <= date(2026, 3, 1):
        run_through(app, day)
        day += timedelta(days=9)
    assign(
        client, admin, caught_up, policy["id"], date(2025, 11, 20)
    )  # replaces "no policy", as nothing was posted
    run_through(app, date(2026, 3, 1))

    assert policy_lines(client, admin, caught_up) == policy_lines(client, admin, daily)


def test_an_employee_s_balance_on_a_past_day_counts_catch_up_lines_on_their_own_days(app, client, admin):
    policy = create_policy(client, admin)
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    assign(client, admin, employee_id, policy["id"], date(2026, 1, 1))
    run_through(app, date(2026, 3, 31))

    on_day = client.get(f"/employees/{employee_id}/balance?as_of=2026-02-28", headers=admin).json
    lines = client.get(f"/employees/{employee_id}/ledger?as_of=2026-02-28", headers=admin).json

    assert on_day["hours_balance"] == 13.34
    assert [line["period_start"] for line in lines if line["policy_id"]] == ["2026-01-01", "2026-02-01"]


def test_an_interrupted_run_is_finished_by_the_next_without_duplicates(app, client, admin, monkeypatch):
    policy = create_policy(client, admin)
    ids = [hire_on(client, admin, date(2026, 1, 1), name=f"E{number}") for number in range(5)]
    for employee_id in ids:
        assign(client, admin, employee_id, policy["id"], date(2026, 1, 1))
    monkeypatch.setattr(accrual_runs, "BATCH_SIZE", 2)

    with app.app_context():
        run = accrual_runs.start_run(date(2026, 4, 30), "cli")
        steps = accrual_runs.run_in_batches(run)
        for _step in range(2):  # the run's record, then its first batch
            next(steps)
            db.session.commit()
        next(steps)  # the second batch's lines are written, then the process dies before committing
        steps.close()
        db.session.rollback()
        interrupted = db.session.get(AccrualRun, run.id)
        assert (interrupted.status, interrupted.employees, interrupted.lines) == ("running", 2, 8)
    run_through(app, date(2026, 4, 30))

    for employee_id in ids:
        assert [kind for _day, kind, _delta in policy_lines(client, admin, employee_id)] == ["accrual"] * 4


def test_two_runs_at_once_post_each_line_once(app, client, admin, monkeypatch):
    policy = create_policy(client, admin)
    ids = [hire_on(client, admin, date(2026, 1, 1), name=f"E{number}") for number in range(6)]
    for employee_id in ids:
        assign(client, admin, employee_id, policy["id"], date(2026, 1, 1))
    monkeypatch.setattr(accrual_runs, "BATCH_SIZE", 2)
    results = []

    def run():
        results.append(run_through(app, date(2026, 6, 30)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 2
    assert sum(result["lines"] for result in results) == 36
    for employee_id in ids:
        assert len(policy_lines(client, admin, employee_id)) == 6


# Projections


PROJECTIONS = {
    # a year end with a carry-over limit, a cap, a tier change on the third anniversary, a prorated month
    "cap, carry-over, tiers, proration": (
        {"max_balance": 60},
        3 * 365 - 20,
        ("expiry", "capped", "tier after 3"),
    ),
    # a credited waiting period that ends ahead, half-month periods, nothing carried over
    "waiting period, half months": (
        {"frequency": "semimonthly", "waiting_days": 90, "credit_waiting": True}
        | {"carry_over": "none", "carry_over_hours": None},
        30,
        ("credited after the 90-day waiting period", "expiry"),
    ),
    # a front-loaded year on hire anniversaries, a joiner's prorated share, up to 20 h carried over
    "front-loaded, anniversaries": (
        {
            "method": "front_loaded",
            "policy_year": "hire_anniversary",
            "tiers": [{"after_years": 0, "hours": 80}],
            "carry_over_hours": 20,
            "max_balance": None,
        },
        200,
        ("grant for", "expiry"),
    ),
}


@pytest.mark.parametrize(("fields", "days_ago", "reasons"), PROJECTIONS.values(), ids=PROJECTIONS)
def test_a_projection_is_what_the_run_then_posts(app, client, admin, fields, days_ago, reasons):
    policy = create_policy(client, admin, **fields)
    hired = today() - timedelta(days=days_ago)
    employee_id = hire_on(client, admin, hired, hours_balance=12)
    assign(client, admin, employee_id, policy["id"], hired)
    run_through(app, today())
    file_pto(client, admin, employee_id, 8)
    target = today() + timedelta(days=500)

    projected = client.get(f"/employees/{employee_id}/balances?as_of={target}", headers=admin).json
    run_through(app, target)

    vacation = next(shown for shown in projected if shown["type"] == "vacation")
    posted = [
        line for line in ledger(client, admin, employee_id).lines if line["effective_on"] > str(today())
    ]
    assert [
        (line["effective_on"], line["kind"], line["delta"], line["reason"])
        for line in vacation["projected_lines"]
    ] == [(line["effective_on"], line["kind"], line["delta"], line["reason"]) for line in posted]
    for reason in reasons:  # the rules the case is about are among the lines
        assert any(reason in line["reason"] or reason == line["kind"] for line in posted), reason
    assert vacation["as_of"] == str(target)
    assert (
        vacation["hours_balance"]
        == client.get(f"/employees/{employee_id}", headers=admin).json["hours_balance"]
    )


def test_an_employee_sees_their_next_accrual_and_projection_but_not_a_colleague_s(
    app, client, admin, manager, report
):
    policy = create_policy(client, admin, max_balance=None)
    colleague = create_employee(client, admin, "Colleague", 0)["id"]
    for employee_id in (report.employee_id, colleague):
        assign(client, admin, employee_id, policy["id"], today())

    own = client.get(f"/employees/{report.employee_id}/accruals", headers=report.headers)
    by_manager = client.get(f"/employees/{report.employee_id}/accruals", headers=manager.headers)
    others = client.get(f"/employees/{colleague}/accruals", headers=report.headers)
    projection = client.get(f"/employees/{colleague}/balances?as_of=2030-01-01", headers=report.headers)

    assert own.status_code == 200 and by_manager.json == own.json
    (outlook,) = own.json
    assert outlook["policy_id"] == policy["id"]
    assert outlook["next_accrual_on"] > str(today())
    assert 0 < outlook["next_accrual_hours"] <= 6.67  # this month's, prorated from today
    assert (others.status_code, projection.status_code) == (404, 404)


def test_a_projection_reaches_five_years_ahead_at_most(client, admin):
    employee_id = hire_on(client, admin, today())
    limit = today().replace(year=today().year + 5, day=min(today().day, 28))

    near = client.get(f"/employees/{employee_id}/balances?as_of={limit}", headers=admin)
    far = client.get(f"/employees/{employee_id}/balances?as_of=9999-12-31", headers=admin)
    one = client.get(f"/employees/{employee_id}/balance?as_of=9999-12-31", headers=admin)

    assert near.status_code == 200
    assert (far.status_code, one.status_code) == (422, 422)
    assert "5 years ahead" in far.json["errors"]["as_of"][0]


# Assignments and hours worked


def test_an_assignment_to_a_policy_that_does_not_exist_is_refused_naming_it(client, admin):
    employee_id = hire_on(client, admin, date(2026, 1, 1))

    response = assign(client, admin, employee_id, 999, date(2026, 1, 1))

    assert response.status_code == 422
    assert "policy_id" in response.json["errors"]


def test_a_backdated_assignment_is_corrected_by_the_next_run_never_by_editing_lines(app, client, admin):
    policy = create_policy(client, admin, max_balance=None)
    other = create_policy(
        client, admin, name="Other", tiers=[{"after_years": 0, "hours": 1}], max_balance=None
    )
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    assign(client, admin, employee_id, policy["id"], date(2026, 1, 1))
    run_through(app, date(2026, 3, 31))
    posted = ledger(client, admin, employee_id).lines

    backdated = assign(client, admin, employee_id, other["id"], date(2026, 3, 1))
    first, second = run_through(app, date(2026, 5, 31)), run_through(app, date(2026, 5, 31))

    assert backdated.status_code == 201
    assert client.get(backdated.headers["Location"], headers=admin).json == backdated.json
    lines = ledger(client, admin, employee_id).lines
    assert lines[: len(posted)] == posted  # nothing posted was edited
    added = [(line["effective_on"], line["policy_id"], line["delta"]) for line in lines[len(posted) :]]
    assert added == [
        ("2026-03-31", policy["id"], -6.67),  # March under the first policy, reversed
        ("2026-03-31", other["id"], 1),
        ("2026-04-30", other["id"], 1),
        ("2026-05-31", other["id"], 1),
    ]
    reversal = lines[len(posted)]
    assert reversal["reason"].startswith(f"Reversed ('Other' assigned from 2026-03-01 on {today()})")
    assert reversal["revision"] == 1
    assert (first["lines"], second["lines"]) == (4, 0)
    on_march_31 = client.get(f"/employees/{employee_id}/balance?as_of=2026-03-31", headers=admin).json
    assert on_march_31["hours_balance"] == 14.34  # January and February at 6.67, March at 1


def test_archiving_posts_what_policies_owe_up_to_the_last_day(app, client, admin):
    policy = create_policy(client, admin, max_balance=None)
    hired = months_ago(2)
    employee_id = hire_on(client, admin, hired)
    assign(client, admin, employee_id, policy["id"], hired)
    run_through(app, today().replace(day=1) - timedelta(days=1))  # through the end of last month
    before = policy_lines(client, admin, employee_id)

    assert client.delete(f"/employees/{employee_id}", headers=admin).status_code == 204

    (last,) = policy_lines(client, admin, employee_id)[len(before) :]
    assert last[0] == str(today())  # this month's share, to the day they left
    days = today().day
    share = Decimal("6.67") * days / calendar.monthrange(today().year, today().month)[1]
    assert last[2] == float(share.quantize(Decimal("0.01"), ROUND_HALF_UP))
    assert run_through(app, today())["lines"] == 0


def test_a_correction_run_through_an_earlier_day_corrects_every_posted_period(app, client, admin):
    first = create_policy(client, admin, tiers=[{"after_years": 0, "hours": 10}], max_balance=None)
    second = create_policy(
        client, admin, name="Second", tiers=[{"after_years": 0, "hours": 1}], max_balance=None
    )
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    assign(client, admin, employee_id, first["id"], date(2026, 1, 1))
    run_through(app, date(2026, 3, 31))

    assign(client, admin, employee_id, second["id"], date(2026, 1, 1))
    run_through(app, date(2026, 1, 31))
    run_through(app, date(2026, 3, 31))

    on_march_31 = client.get(f"/employees/{employee_id}/balance?as_of=2026-03-31", headers=admin).json
    assert on_march_31["hours_balance"] == 3  # the second policy's three months, the first's reversed


def test_an_assignment_from_within_a_period_already_posted_corrects_it(app, client, admin):
    at_start = {"accrue_at": "start", "tiers": [{"after_years": 0, "hours": 10}], "max_balance": None}
    first = create_policy(client, admin, **at_start)
    second = create_policy(client, admin, name="Second", **at_start)
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    assign(client, admin, employee_id, first["id"], date(2026, 1, 1))
    run_through(app, date(2026, 2, 1))  # February's 10 h landed on its first day

    assign(client, admin, employee_id, second["id"], date(2026, 2, 15))
    run_through(app, date(2026, 2, 28))

    february = [
        (day, delta) for day, _kind, delta in policy_lines(client, admin, employee_id) if day >= "2026-02"
    ]
    assert february == [("2026-02-01", 10), ("2026-02-01", -5), ("2026-02-15", 5)]  # 14 days each


def test_a_corrected_hire_date_is_corrected_by_the_next_run(app, client, admin):
    policy = create_policy(client, admin, max_balance=None)
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    assign(client, admin, employee_id, policy["id"], date(2026, 1, 1))
    run_through(app, date(2026, 2, 28))

    client.patch(f"/employees/{employee_id}", json={"hire_date": "2026-01-16"}, headers=admin)
    preview = client.post("/accrual-runs/preview", json={"through": "2026-02-28"}, headers=admin).json
    run_through(app, date(2026, 2, 28))

    (correction,) = preview["sample"]
    assert (correction["effective_on"], correction["delta"]) == ("2026-01-31", -3.23)  # to 16/31 of 6.67
    assert "hire date corrected from 2026-01-01 to 2026-01-16" in correction["reason"]
    assert [delta for _day, _kind, delta in policy_lines(client, admin, employee_id)] == [6.67, 6.67, -3.23]


def test_hours_worked_earn_hours_by_the_rate(app, client, admin):
    create_pto_type(client, admin, "sick-ca", name="Sick leave (California)")
    policy = create_policy(
        client,
        admin,
        name="Sick (CA)",
        type="sick-ca",
        method="per_hours_worked",
        per_hours_worked=30,
        tiers=[{"after_years": 0, "hours": 1}],
        max_balance=None,
        carry_over="all",
        carry_over_hours=None,
    )
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    assign(client, admin, employee_id, policy["id"], date(2026, 1, 1))
    worked = {"period_start": "2026-01-01", "period_end": "2026-01-15", "hours": 85}

    posted = client.post(f"/employees/{employee_id}/hours-worked", json=worked, headers=admin)
    run_through(app, date(2026, 1, 31))

    assert posted.status_code == 201
    assert [
        (line["type"], line["delta"])
        for line in ledger(client, admin, employee_id).lines
        if line["policy_id"]
    ] == [("sick-ca", 2.83)]
    corrected = client.post(
        f"/employees/{employee_id}/hours-worked", json={**worked, "hours": 90}, headers=admin
    )
    run_through(app, date(2026, 1, 31))
    assert corrected.status_code == 201
    lines = [line for line in ledger(client, admin, employee_id).lines if line["policy_id"]]
    assert [(line["delta"], line["revision"]) for line in lines] == [(2.83, 0), (0.17, 1)]  # 90 / 30 = 3


def test_hours_worked_periods_may_not_overlap_or_run_past_two_months(client, admin):
    employee_id = hire_on(client, admin, date(2026, 1, 1))
    path = f"/employees/{employee_id}/hours-worked"
    client.post(
        path, json={"period_start": "2026-01-01", "period_end": "2026-01-15", "hours": 80}, headers=admin
    )

    overlapping = client.post(
        path, json={"period_start": "2026-01-10", "period_end": "2026-01-24", "hours": 80}, headers=admin
    )
    too_long = client.post(
        path, json={"period_start": "2026-02-01", "period_end": "2026-04-30", "hours": 80}, headers=admin
    )

    assert overlapping.status_code == 409
    assert too_long.status_code == 422 and "period_end" in too_long.json["errors"]


# The command


@pytest.fixture
def flask(app, monkeypatch):
    """Run ``flask <args>`` against the test's app, as a scheduler does."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    return lambda *args: app.test_cli_runner().invoke(FlaskGroup(), list(args))


def test_flask_accrue_prints_one_summary_line_in_a_scheduler_s_log(client, admin, flask):
    policy = create_policy(client, admin, accrue_at="start")
    hired = months_ago(2)
    employee_id = hire_on(client, admin, hired)
    assign(client, admin, employee_id, policy["id"], hired)

    first, second = flask("accrue"), flask("accrue")

    assert first.exit_code == 0, first.output
    assert first.output.count("\n") == 1
    assert "3 line(s), 20.01 h, for 1 employee(s)" in first.output
    assert "0 line(s)" in second.output


def test_flask_accrue_refuses_a_day_to_come(flask):
    result = flask("accrue", "--through", str(today() + timedelta(days=1)))

    assert result.exit_code == 2
    assert "at most today" in result.output
