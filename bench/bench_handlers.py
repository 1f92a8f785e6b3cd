"""How long each handler's service call takes on a chain-sized database (10,000 users, 1M answers).

    .venv/bin/python bench/seed_db.py /tmp/shop-10k.db     # once, ~35 s
    .venv/bin/python bench/bench_handlers.py /tmp/shop-10k.db

Everything runs on one thread the way the event loop would run it; the figures say which paths
could hold up other chats' updates (more than a few ms) and so belong in a worker thread.
Works on a copy of the database, so the seeded file stays as it was.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import accounts, asking, charts, drilling, progress, storage, teams
from bot.access import Visitor
from bot.reminders import Day
from bot.render.progress import me_text
from bot.settings import Settings
from knowledge.library import load_library

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def timed(name: str, fn: Callable[[int], object], runs: int = 50) -> None:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{name:<40} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   ({runs} runs)")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    work = Path(tempfile.mkdtemp()) / "shop.db"
    shutil.copy(sys.argv[1], work)
    library = load_library()
    db = storage.open_db(work)
    settings = Settings(_env_file=None, telegram_bot_token="1:x", database_path=work)  # type: ignore[call-arg]
    users = [r["id"] for r in db.query("SELECT id FROM users WHERE role = 'staff' LIMIT 200")]
    print(f"database {sys.argv[1]}: {db['users'].count} users, {db['drill_items'].count} answers")

    def let_in(i: int) -> object:
        who = Visitor(users[i], "x", None, "zh-TW")
        return accounts.let_in(db, settings, who, NOW)

    def ask(i: int) -> object:
        user = storage.get_user(db, users[i])
        assert user is not None
        return asking.ask(db, library, user, "發票機卡紙怎麼辦", NOW)

    def me(i: int) -> object:
        user = storage.get_user(db, users[i])
        assert user is not None
        p = progress.progress(db, library.kb, user.id, NOW, TZ)
        return me_text(library.kb, user.first_name, p, "zh-TW", p.started)

    def drill(i: int) -> object:
        user = storage.get_user(db, users[i])
        assert user is not None
        later = NOW + timedelta(minutes=i)
        begun = drilling.begin(db, library.kb, user, later, TZ, 5)
        assert begun is not None
        assert begun.next.item is not None
        item = begun.next.item
        out = drilling.answer(db, library.kb, user, item.id, 0, later, TZ)
        drilling.stop(db, user, later, TZ)
        return out

    def chart(i: int) -> object:
        p = progress.progress(db, library.kb, users[i], NOW, TZ)
        return charts.progress_chart(p.task_mastery, p.weekly, "zh-TW")

    timed("let a member in (every update)", let_in)
    timed("ask: match + log + decide", ask)
    timed("/me text: progress figures", me)
    timed("/drill start + one answer + /stop", drill)
    timed("/me chart (runs in a worker thread)", chart, runs=10)
    timed("/teams (admin, 200 teams)", lambda _i: teams.teams_with_sizes(db), runs=10)
    day = Day.of(NOW, TZ)

    def due(_i: int) -> object:
        return storage.due_reminders(
            db,
            today=day.date,
            hhmm="23:59",
            weekday=day.weekday,
            day_start=storage.iso(day.start),
        )

    timed("reminder sweep: who is due (one query)", due, runs=3)
    db.close()
    print(f"reproduce: .venv/bin/python bench/bench_handlers.py {sys.argv[1]}")


if __name__ == "__main__":
    main()
