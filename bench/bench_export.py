"""Export and backup on a chain-sized database: /export of 30 days for one team (target
≤ 2 s), the query plans behind it (no full scan), and /backup of the whole file.

    .venv/bin/python bench/seed_db.py /tmp/shop-10k.db     # once, 35 s
    .venv/bin/python bench/bench_export.py /tmp/shop-10k.db

The database given is copied to a temporary folder first and never written to.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed_db import NOW, seed
from bot import backups, exporting, progress, storage
from bot.storage.export import EXPORT_SQL
from knowledge.loader import load_knowledge_or_raise

TZ = ZoneInfo("Asia/Taipei")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, nargs="?", help="a seeded database (default: seed one)")
    parser.add_argument("--team", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    kb = load_knowledge_or_raise()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shop.db"
        if args.db is not None:
            shutil.copyfile(args.db, path)
        else:
            print("seeding 10,000 users, 1M answers, 200k questions (35 s) …")
            seed(path)
        db = storage.open_db(path)
        try:
            team = storage.get_team(db, args.team)
            assert team is not None, f"no team {args.team}"
            members = len(storage.team_members(db, team.id))
            counts = {
                t: next(iter(db.query(f"SELECT COUNT(*) AS n FROM {t}")))["n"]
                for t in ("users", "teams", "drill_items", "questions")
            }
            params = {"team": team.id, "start": "2026-11-08", "end": "2026-12-08"}
            print("query plans (EXPLAIN QUERY PLAN):")
            full_scans = 0
            for name, sql in EXPORT_SQL.items():
                plan = [r["detail"] for r in db.query(f"EXPLAIN QUERY PLAN {sql}", params)]
                full_scans += sum(d.startswith("SCAN") for d in plan)
                print(f"  {name}: " + " | ".join(plan))
        finally:
            db.close()
        print(f"database: {counts}, {path.stat().st_size / 1e6:.0f} MB")
        rng = exporting.default_range(progress.local_day(NOW, TZ))
        times = []
        export = None
        for _ in range(args.runs):
            start = time.perf_counter()
            export = exporting.build_export_at(path, kb, team, rng, TZ, NOW, "zh-TW")
            times.append(time.perf_counter() - start)
        assert export is not None
        sizes = ", ".join(
            f"{f.kind} {f.rows} rows {len(f.data) / 1000:.0f} kB" for f in export.files
        )
        print(
            f"/export team {team.id} ({members} members), {rng.first} to {rng.last} "
            f"({rng.days} days): median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {args.runs} runs (target ≤ 2000 ms)"
        )
        print(f"  files: {sizes}")
        print(f"  full scans in the export queries: {full_scans}")

        folder = Path(tmp) / "backups"
        start = time.perf_counter()
        made = backups.take_backup(path, folder, 14, NOW, TZ)
        took = time.perf_counter() - start
        start = time.perf_counter()
        check = storage.integrity_check(made.path)
        checked = time.perf_counter() - start
        print(
            f"/backup: {made.size / 1e6:.0f} MB copied and checked in {took:.1f} s "
            f"(integrity_check alone {checked:.1f} s), result {made.check}/{check}"
        )
        target = Path(tmp) / "restored" / "shop.db"
        start = time.perf_counter()
        backups.restore(made.path, target, NOW, TZ)
        print(f"restore (check, move aside, open): {time.perf_counter() - start:.1f} s")
    print(f"reproduce: .venv/bin/python bench/bench_export.py {args.db or ''}".rstrip())


if __name__ == "__main__":
    main()
