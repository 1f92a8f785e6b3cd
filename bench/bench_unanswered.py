"""/unanswered on a chain-sized database: the time to build a supervisor's first page (query,
grouping, rendering) and the query plan.

    .venv/bin/python bench/bench_unanswered.py                  # copies /tmp/shop-10k.db
    .venv/bin/python bench/bench_unanswered.py --db OTHER.db    # a database made by seed_db.py

The seeded database is copied first (the copy is migrated; the original is never written).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed_db import NOW
from bot import storage, unanswered
from bot.render import unanswered as views
from knowledge.library import load_library

PLAN_SQL = "EXPLAIN QUERY PLAN " + storage.UNANSWERED_SQL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("/tmp/shop-10k.db"))
    parser.add_argument("--teams", type=int, default=41, help="how many teams to time, +1")
    args = parser.parse_args()
    library = load_library()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        shutil.copy(args.db, path)
        db = storage.open_db(path)
        try:
            sups = list(
                db.query(
                    """SELECT l.user_id, l.team_id FROM team_leads l ORDER BY l.team_id LIMIT ?""",
                    [args.teams],
                )
            )
            timings, sizes = [], []
            # The first call in a process also loads what the matcher loads lazily (OpenCC's
            # tables, the character readings): time it apart, as the bot's first question.
            first = sups[-1]
            warm_user = storage.get_user(db, first["user_id"])
            assert warm_user is not None
            start = time.perf_counter()
            unanswered.page_of(db, library, warm_user, first["team_id"], 0, NOW)
            print(f"first call in the process: {1000 * (time.perf_counter() - start):.1f} ms")
            for row in sups[:-1]:
                user = storage.get_user(db, row["user_id"])
                assert user is not None
                start = time.perf_counter()
                page = unanswered.page_of(db, library, user, row["team_id"], 0, NOW)
                assert page is not None
                views.list_page(page, user.language, UTC)
                timings.append(1000 * (time.perf_counter() - start))
                since = NOW - timedelta(days=unanswered.WINDOW_DAYS)
                n = len(storage.unanswered_questions(db, row["team_id"], since, NOW))
                sizes.append((n, page.total))
            timings.sort()
            print(f"/unanswered first page, {len(timings)} teams' supervisors:")
            print(
                f"  median {statistics.median(timings):.1f} ms, "
                f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms, "
                f"max {timings[-1]:.1f} ms"
            )
            qs = [n for n, _g in sizes]
            gs = [g for _n, g in sizes]
            print(
                f"  per team: {min(qs)}-{max(qs)} listed questions in 30 days, "
                f"{min(gs)}-{max(gs)} groups"
            )
            print("query plan:")
            plan = list(db.query(PLAN_SQL, [1, "2026-11-07", "2026-12-07", "+10 minutes"]))
            for step in plan:
                print(f"  {step['detail']}")
            scans = [s["detail"] for s in plan if s["detail"].startswith("SCAN")]
            print("full scans:", scans or "none")
        finally:
            db.close()


if __name__ == "__main__":
    main()
