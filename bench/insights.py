"""The agents' insights page over 100,000 workflow events: time per request.

A demo database (SQLite, then PostgreSQL when one answers; migrated and seeded) gets 100,000
generated events over the last 30 days (runs of both workflows that stop at every step, with
form errors, refusals, quotes and finishes), 2,000 searches without results and 5,000
feedback answers. The Flask test client,
signed in as the demo agent, asks for /en/agent/insights (the default 30 days: every event is
in range) 3 times to warm up, then 15 times timed; the aggregates are computed by the page's
SQL GROUP BY queries at each request.
"""
from __future__ import annotations

import random
import re
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from bench.common import DemoDatabase, app_config, median, percentile

CASE = "insights"
EVENTS = 100_000
GOAL_MS = 300
WORKFLOW_STEPS = {"seats": ["sign-in", "product", "seats", "review", "payment", "confirm", "done"],
                  "payment": ["sign-in", "card", "vat", "confirm", "done"]}


def generate_events(count: int, now: datetime, seed: int = 13) -> list[dict]:
    """Runs that go on to the next step with probability 0.8, with problems along the way (the
    details in the shapes helpcenter.workflow.events writes)."""
    rng = random.Random(seed)
    events: list[dict] = []
    run = 0
    while len(events) < count:
        run += 1
        workflow = "seats" if rng.random() < 0.8 else "payment"
        reference = f"HC-{run:06d}"
        at = now - timedelta(seconds=rng.randrange(29 * 24 * 3600))
        base = {"run_id": f"run-{run}", "reference": reference, "workflow": workflow, "contact_id": None}

        def add(kind, step, detail=None):
            nonlocal at
            at += timedelta(seconds=rng.randrange(5, 90))
            events.append({**base, "kind": kind, "step": step, "detail": detail or {}, "at": at})

        for step in WORKFLOW_STEPS[workflow]:
            add("step_shown", step)
            if rng.random() < 0.15:
                name = rng.choice(["quantity", "cardholder", "vat_number"])
                add("form_error", step, {"fields": {name: {"messages": ["Enter a valid value"],
                                                           "value": str(rng.randrange(600, 999))}}})
            if rng.random() < 0.04:
                add("refusal", step, {"code": rng.choice(["below_assigned", "card_declined", "corporate_account"])})
                break
            if step == "review":
                add("quote", step, {"quote": f"q{run}", "figures": {"currency": "EUR", "total": "272.00"}})
            if step == "done":
                add("finished", step)
            if rng.random() > 0.8:
                break
    return events[:count]


def measure(report, quick: bool = False) -> None:
    count = 10_000 if quick else EVENTS
    db = DemoDatabase().create()
    try:
        _measure_on(report, db.url, "SQLite", count)
    finally:
        db.remove()
    from bench.contention import database_url
    url, label = database_url()
    if url.startswith("postgresql"):
        from helpcenter.migrate import upgrade
        upgrade(url)
        _measure_on(report, url, label, count, seed=True)
    else:
        report.note(f"insights: no PostgreSQL run ({label})")


def _measure_on(report, url: str, label: str, count: int, seed: bool = False) -> None:
    from helpcenter import create_app
    from helpcenter.agent.sources import WorkflowEvent
    from helpcenter.help.models import ArticleFeedback, SearchMiss

    app = create_app(app_config(url))
    try:
        if seed:
            from helpcenter.billing.demo import seed_demo
            from helpcenter.staff import seed_demo_staff
            with app.app_context():
                session = app.extensions["db_sessionmaker"]()
                seed_demo(session, app.extensions["clock"].today())
                seed_demo_staff(session)
                session.commit()
                session.close()
        engine = app.extensions["db_engine"]
        now = datetime.now(timezone.utc)
        rng = random.Random(7)
        t0 = time.perf_counter()
        events = generate_events(count, now)
        with engine.begin() as conn:
            for i in range(0, len(events), 5000):
                conn.execute(insert(WorkflowEvent), events[i:i + 5000])
            conn.execute(insert(SearchMiss), [
                {"lang": rng.choice(["en", "fr"]), "query": f"missing words {n}", "count": rng.randrange(1, 50),
                 "first_seen": now - timedelta(days=20), "last_seen": now} for n in range(2000)])
            conn.execute(insert(ArticleFeedback), [
                {"article_id": rng.randrange(1, 8), "lang": rng.choice(["en", "fr"]), "helpful": rng.random() < 0.7,
                 "created_at": now - timedelta(seconds=rng.randrange(29 * 24 * 3600))} for _ in range(5000)])
        if engine.dialect.name == "postgresql":
            # A table in steady state: autovacuum has set the visibility map (index-only scans
            # read no heap page) and the planner's statistics, as it would within a minute.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        report.note(f"insights: {len(events):,} events inserted in {time.perf_counter() - t0:.1f} s ({label})")

        client = app.test_client()
        page = client.get("/en/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        signed = client.post("/en/sign-in", data={"email": "agent@vendor.example", "password": "demo-pass-agent",
                                                  "csrf_token": token})
        if signed.status_code != 303:
            raise RuntimeError(f"agent sign-in answered {signed.status_code}")
        timings = []
        for i in range(18):
            started = time.perf_counter()
            response = client.get("/en/agent/insights")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"insights answered {response.status_code}")
            if i >= 3:
                timings.append(elapsed)
        started_runs = sum(int(n.replace(",", "")) for n in
                           re.findall(r"Started: ([\d,]+);", response.get_data(as_text=True)))
        name = f"{count:,} events, {label.split(' (')[0]}"
        report.add(CASE, f"GET /en/agent/insights, median ({name})", f"{median(timings):.0f} ms",
                   f"< {GOAL_MS} ms", median(timings) < GOAL_MS)
        report.add(CASE, f"GET /en/agent/insights, p95 ({name})", f"{percentile(timings, 95):.0f} ms",
                   "", None, f"{started_runs:,} runs counted as started")
    finally:
        app.extensions["db_engine"].dispose()
