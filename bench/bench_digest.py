"""The Monday digest for every supervisor of a chain (200 teams, 10,000 users, 1M answers).

    .venv/bin/python bench/seed_db.py /tmp/shop-10k.db     # once
    .venv/bin/python bench/bench_digest.py /tmp/shop-10k.db

Builds and renders every due digest the way the Monday job does (without sending), then
adds what sending costs at Telegram's ~30 messages a second.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import digest, storage
from bot.render.digest import digest_view
from knowledge.library import load_library

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 12, 7, 1, 5, tzinfo=UTC)  # Monday 09:05 in Taipei
TELEGRAM_RATE = 30.0


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    work = Path(tempfile.mkdtemp()) / "shop.db"
    shutil.copy(sys.argv[1], work)
    library = load_library()
    db = storage.open_db(work)
    start = time.perf_counter()
    due = digest.due(db, NOW, TZ)
    messages = 0
    slowest = 0.0
    for user in due:
        t0 = time.perf_counter()
        for team_digest in digest.build(db, library, user, NOW, TZ):
            digest_view(library.kb, team_digest, digest.iso_week(NOW, TZ), user.language)
            messages += 1
        digest.mark_sent(db, user, NOW, TZ)
        slowest = max(slowest, time.perf_counter() - t0)
    built = time.perf_counter() - start
    sending = messages / TELEGRAM_RATE
    print(f"{len(due)} supervisors, {messages} digests built in {built:.1f} s "
          f"(slowest supervisor {slowest * 1000:.0f} ms); sending at {TELEGRAM_RATE:.0f}/s "
          f"adds {sending:.1f} s; total {built + sending:.1f} s (target ≤ 60 s)")  # fmt: skip
    print(f"reproduce: .venv/bin/python bench/bench_digest.py {sys.argv[1]}")
    db.close()


if __name__ == "__main__":
    main()
