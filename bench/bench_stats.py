"""Time /stats and the members-and-links queries on a chain-sized database; show their plans.

    # on a copy of the seeded 10k database (made with bench/seed_db.py when missing):
    .venv/bin/python bench/bench_stats.py /tmp/shop-10k.db

The source database is copied first and never written. Prints the median of 5 runs of each
query, and EXPLAIN QUERY PLAN lines; exits 1 if a plan scans a large table (questions,
drill_items, drills, srs) or /stats takes more than a second.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed_db import NOW, seed
from bot import storage
from bot.storage import iso
from bot.storage.membership import STATS_QUERIES

LARGE = ("questions", "drill_items", "drills", "srs")


def median_ms(fn: Callable[[], Any], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def plan(db: Any, sql: str, params: Any) -> list[str]:
    return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", default=Path("/tmp/shop-10k.db"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shop.db"
        if args.source.exists():
            shutil.copyfile(args.source, path)
        else:
            print(f"{args.source} missing: seeding a fresh 10k database (about 35 s)")
            seed(path)
        db = storage.open_db(path)
        try:
            return run(db)
        finally:
            db.close()


def run(db: Any) -> int:
    now = NOW
    since = now - timedelta(days=7)
    team_id = 1
    leads = storage.team_leads(db, team_id)
    sup = leads[0]
    # A few links per store, as a chain would have after months of /invite.
    for team in storage.list_teams(db):
        for days in (1, 3, 8):
            storage.create_invite(db, team.id, "staff", sup.id, now - timedelta(days=days),
                                  days=7, max_uses=20)  # fmt: skip
    someone = storage.team_members(db, team_id)[3]

    figures = storage.stats(db, since)
    timings = {
        "/stats (all figures)": median_ms(lambda: storage.stats(db, since)),
        **{
            f"  of which {name}": median_ms(
                lambda sql=sql: db.execute(sql, {"s": iso(since)}).fetchall()  # type: ignore[misc]
            )
            for name, sql in STATS_QUERIES.items()
        },
        "/remove <name> (find in 1 team)": median_ms(
            lambda: storage.find_members(db, [team_id], someone.first_name)
        ),
        "/remove <name> (admin, 200 teams)": median_ms(
            lambda: storage.find_members(
                db, [t.id for t in storage.list_teams(db)], someone.first_name
            )
        ),
        "/invite open links of a team": median_ms(lambda: storage.open_invites(db, team_id, now)),
        "/promote @username": median_ms(lambda: storage.find_user(db, "@nobody")),
    }
    print(f"figures: {figures}")
    for name, ms in timings.items():
        print(f"{name:40s} {ms:8.1f} ms")

    plans = {
        **{
            f"stats {name}": plan(db, sql, {"s": iso(since)})
            for name, sql in STATS_QUERIES.items()
        },
        "find_members": plan(
            db,
            """SELECT * FROM users WHERE id IN (SELECT id FROM users WHERE team_id IN (?)
               UNION SELECT user_id FROM team_leads WHERE team_id IN (?))
               AND (username = ? COLLATE NOCASE OR first_name = ? COLLATE NOCASE
                    OR CAST(id AS TEXT) = ?)""",
            [team_id, team_id, "Amy", "Amy", "Amy"],
        ),
        "open_invites": plan(
            db,
            """SELECT rowid, * FROM invites
               WHERE team_id = ? AND expires_at > ? AND uses < max_uses""",
            [team_id, iso(now)],
        ),
    }
    bad = []
    for name, lines in plans.items():
        print(f"\nEXPLAIN QUERY PLAN {name}:")
        for line in lines:
            print(f"  {line}")
            if line.startswith("SCAN") and line.split()[1] in LARGE:
                bad.append(f"{name}: {line}")
    if bad:
        print("\nfull scans of large tables:\n" + "\n".join(bad))
    if timings["/stats (all figures)"] > 1000:
        print("\n/stats took more than 1 s")
        bad.append("slow")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
