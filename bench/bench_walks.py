"""How long /faults and walk-stats take on a chain-sized database with many walk-throughs.

    .venv/bin/python bench/bench_walks.py /tmp/shop-10k.db          # copies it first
    .venv/bin/python bench/bench_walks.py /tmp/shop-10k.db --walks 100000

The database (from bench/seed_db.py) is copied to a temporary file and migrated; the copy gets
`--walks` finished walk-throughs over the last 8 weeks by random staff of all 200 teams (a
third escalated, some still open), then the queries run: one supervisor's /faults, an admin's
/faults over every team, the weekly digest's call for one team, and walk-stats.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import outcomes, storage
from bot.storage import iso
from knowledge.library import load_library
from knowledge.walks import ESCALATE, FIXED, next_of

NOW = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Taipei
TZ = ZoneInfo("Asia/Taipei")


def fill(db, kb, n: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    staff = [
        (r["id"], r["team_id"])
        for r in db.query("SELECT id, team_id FROM users WHERE role = 'staff'")
    ]
    cards = [c for c in kb.cards.values() if c.walk is not None]
    walks, steps = [], []
    for wid in range(1, n + 1):
        uid, team = rng.choice(staff)
        card = rng.choice(cards)
        assert card.walk is not None
        start = NOW - timedelta(minutes=rng.randrange(8 * 7 * 24 * 60))
        at, step, turn, status, fixed = start, card.walk.steps[0], 0, "escalated", None
        while True:
            if step.ask:
                outcome_k = rng.randrange(len(step.ask))
                target, outcome = step.ask[outcome_k].go, f"a:{outcome_k}"
            elif rng.random() < 0.35:
                target, outcome = FIXED, "fixed"
            else:
                target, outcome = next_of(card.walk, step) or ESCALATE, "next"
            steps.append((wid, turn, step.id, outcome, iso(at)))
            at += timedelta(minutes=rng.randrange(1, 5))
            turn += 1
            if target in (FIXED, ESCALATE):
                if target == FIXED:
                    status, fixed = "fixed", step.id
                break
            step = next(s for s in card.walk.steps if s.id == target)
        taken = None if status != "escalated" or rng.random() < 0.1 else uid
        walks.append((wid, uid, team, card.id, status, turn, iso(start), iso(at), fixed,
                      iso(at) if status == "escalated" else None, taken))  # fmt: skip
    with db.atomic():
        db.conn.executemany(
            """INSERT INTO walks (id, user_id, team_id, card, status, turn, started_at, ended_at,
                   fixed_step, reported_at, taken_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
            walks,
        )
        db.conn.executemany("INSERT INTO walk_steps VALUES (?,?,?,?,?)", steps)


def timed(fn, runs: int = 5) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    out, times = None, []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--walks", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    kb = load_library().kb
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "walks.db"
        shutil.copy(args.db, path)
        db = storage.open_db(path)
        t0 = time.perf_counter()
        fill(db, kb, args.walks, random.Random(args.seed))
        print(f"{args.walks} walk-throughs added in {time.perf_counter() - t0:.1f} s")
        sup = storage.get_user(db, next(iter(db.query(
            "SELECT user_id FROM team_leads LIMIT 1")))["user_id"])  # fmt: skip
        admin = storage.User(0, "admin", None, "zh-TW", "admin", None, None, True)
        assert sup is not None
        ms, faults = timed(lambda: outcomes.faults_for(db, kb, sup, None, NOW, TZ))
        print(f"/faults, one supervisor's team: {ms:.1f} ms ({faults.total} this week)")  # type: ignore[union-attr]
        ms, faults = timed(lambda: outcomes.faults_for(db, kb, admin, None, NOW, TZ))
        print(f"/faults, admin over 200 teams: {ms:.1f} ms ({faults.total} this week, "  # type: ignore[union-attr]
              f"{faults.open_count} open)")  # type: ignore[union-attr]  # fmt: skip
        team = sup.team_id or 1
        ms, _ = timed(lambda: outcomes.week_faults(db, kb, team, NOW, TZ))
        print(f"week_faults (digest), one team: {ms:.1f} ms")
        ms, stats = timed(lambda: outcomes.walk_stats(db, kb), runs=3)
        print(f"walk-stats over all {args.walks}: {ms:.0f} ms ({len(stats)} cards)")  # type: ignore[arg-type]
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
