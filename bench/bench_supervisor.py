"""/team and /member on a chain-sized database: time and query plans.

    # uses a copy of /tmp/shop-10k.db (made by bench/seed_db.py; seeded here if missing)
    .venv/bin/python bench/bench_supervisor.py
    .venv/bin/python bench/bench_supervisor.py --db /tmp/shop-10k.db --runs 30

/team is measured as the bot does it: the service (queries and mastery), the table's text, and
the heatmap images (two for a team of 50). Every SQL statement of the path is captured and its
EXPLAIN QUERY PLAN printed; the run fails if any of them scans a table without an index.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed_db import NOW, seed
from bot import reports, storage, team_charts
from bot.render import reports as views
from knowledge.loader import load_knowledge_or_raise

TZ = ZoneInfo("Asia/Taipei")
TEAM_ID = 7


def team_once(db, kb, team, lang="zh-TW"):  # type: ignore[no-untyped-def]
    c0 = time.process_time()
    t0 = time.perf_counter()
    report = reports.team_report(db, kb, team, NOW, TZ)
    t1 = time.perf_counter()
    texts = views.team_views(report, NOW, TZ, lang)
    columns, rows, words = views.heat_input(kb, report, NOW, TZ, lang)
    t2 = time.perf_counter()
    pngs = team_charts.heatmaps(columns, rows, words)
    t3 = time.perf_counter()
    return report, texts, pngs, (t1 - t0, t2 - t1, t3 - t2, t3 - t0, time.process_time() - c0)


def member_once(db, kb, user, lang="zh-TW"):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    report = reports.member_report(db, kb, user, NOW, TZ)
    views.member_view(kb, report, NOW, TZ, lang)
    weeks, words = views.trend_input(report, lang)
    t1 = time.perf_counter()
    team_charts.trend_png(weeks, words)
    return t1 - t0, time.perf_counter() - t0


def ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(0.9 * (len(values) - 1))]
    return (
        f"median {statistics.median(values) * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms  "
        f"max {values[-1] * 1000:6.1f} ms"
    )


def plans(db, statements: list[str]) -> bool:  # type: ignore[no-untyped-def]
    """Print each statement's query plan; False if one scans a table without an index."""
    ok = True
    for sql in dict.fromkeys(statements):
        short = " ".join(sql.split())
        print(f"\n  {short[:150]}{' …' if len(short) > 150 else ''}")
        for row in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall():
            detail = row[-1]
            full_scan = detail.startswith("SCAN") and "INDEX" not in detail
            # SCAN of a subquery's result or of a temp b-tree is not a table scan.
            table_scan = full_scan and not detail.startswith(("SCAN (", "SCAN CONSTANT"))
            print(f"    {'!! ' if table_scan else '   '}{detail}")
            ok = ok and not table_scan
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/shop-10k.db"))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sup-"))
    path = work / "shop.db"
    if args.db.exists():
        shutil.copy(args.db, path)  # never write to the shared database
    else:
        print(f"{args.db} missing: seeding a 10k database (about 35 s)")
        seed(path)
    kb = load_knowledge_or_raise()
    db = storage.open_db(path)
    try:
        # Make the team exactly 50 people: move one member of the next team into it.
        db.execute(
            "UPDATE users SET team_id = ? WHERE id = (SELECT MIN(id) FROM users WHERE team_id = ? "
            "AND role = 'staff')",
            [TEAM_ID, TEAM_ID + 1],
        )
        db.conn.commit()
        team = storage.get_team(db, TEAM_ID)
        assert team is not None
        counts = {
            t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("users", "teams", "drill_items", "questions")
        }
        print(f"database: {counts}")

        cold = team_once(db, kb, team)  # first run: fonts, FSRS and caches warm up
        report, texts, pngs, _ = cold
        print(
            f"/team {team.name}: {len(report.rows)} members, {len(texts)} message(s), "
            f"{len(pngs)} heatmap image(s) of {[len(p) // 1024 for p in pngs]} KB; "
            f"first run {cold[3][3] * 1000:.0f} ms"
        )
        parts: list[tuple[float, float, float, float, float]] = []
        for _ in range(args.runs):
            parts.append(team_once(db, kb, team)[3])
        print(f"  service (queries + mastery): {ms([p[0] for p in parts])}")
        print(f"  table text + heatmap input:  {ms([p[1] for p in parts])}")
        print(f"  heatmap images:              {ms([p[2] for p in parts])}")
        print(f"  /team total:                 {ms([p[3] for p in parts])}  (target ≤ 300 ms)")
        # CPU time of this process: what /team costs when the machine is not shared.
        print(f"  /team total, CPU time:       {ms([p[4] for p in parts])}")
        print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

        member = report.rows[0].user
        m_runs = [member_once(db, kb, member) for _ in range(max(5, args.runs // 4))]
        print(f"/member (service + text):      {ms([r[0] for r in m_runs])}")
        print(f"/member with its trend chart:  {ms([r[1] for r in m_runs])}")

        statements: list[str] = []
        db.conn.set_trace_callback(statements.append)
        team_once(db, kb, team)
        reports.member_report(db, kb, member, NOW, TZ)
        db.conn.set_trace_callback(None)
        print("\nquery plans of /team and /member:")
        ok = plans(db, [s for s in statements if s.lstrip().upper().startswith("SELECT")])
        print(f"\nno full table scan: {'yes' if ok else 'NO'}")
        print("reproduce: .venv/bin/python bench/bench_supervisor.py")
        return 0 if ok else 1
    finally:
        db.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
