"""Start-up of the real bot process with a chain-sized database: spawn to first getUpdates.

    .venv/bin/python bench/bench_scale.py                 # /tmp/shop-10k.db, 7 runs each
    .venv/bin/python bench/bench_scale.py --db /tmp/shop-10k.db --runs 9

Times `python -m bot run` (settings from the environment, as an operator starts it) from the
spawn until the fake Bot API server (tests/fakebot.py, in this process on 127.0.0.1) receives
its first getUpdates, against (a) an empty database and (b) a copy of the seeded 10,000-user,
1,000,000-answer database (bench/seed_db.py). The copy is migrated by one unmeasured start
first (its time is printed: the one-off cost of an upgrade), then every run starts on it as
a restart would. Every seeded user is due a reminder at each start (Monday–Friday 09:30 by
default, none sent): the start-up sweep queues all 10,000, after the first getUpdates.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botprocess import BotProcess
from tests.fakebot import FakeBotApi


async def time_starts(
    db: Path, runs: int, work: Path, label: str
) -> tuple[list[float], list[float]]:
    """Wall seconds to the first getUpdates, and CPU seconds the process used by then."""
    times, cpu = [], []
    async with FakeBotApi() as server:
        for i in range(runs):
            bot = BotProcess(server, db, log=work / f"{label}.log")
            bot.start()
            try:
                times.append(await bot.polling(timeout=120))
                cpu.append(bot.cpu_at_poll)
            finally:
                bot.kill()
            print(f"  {label} run {i + 1}: {times[-1]:.2f} s (cpu {cpu[-1]:.2f} s)", flush=True)
    return times, cpu


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.2f} s "
        f"[min {min(times):.2f} – max {max(times):.2f}] over {len(times)} runs"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("/tmp/shop-10k.db"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        empty = work / "empty.db"
        big = work / "big.db"
        shutil.copy(args.db, big)
        print("first start on the seeded copy (applies migrations):", flush=True)
        [upgrade], _ = await time_starts(big, 1, work, "upgrade")
        print("empty database:", flush=True)
        await time_starts(empty, 1, work, "warm-up")
        e, ec = await time_starts(empty, args.runs, work, "empty")
        print(f"seeded database ({args.db}):", flush=True)
        b, bc = await time_starts(big, args.runs, work, "10k")
        print()
        print(f"start-up, empty database:      {summary(e)}; cpu {summary(ec)}")
        print(f"start-up, 10k users / 1M answ: {summary(b)}; cpu {summary(bc)}")
        wall = statistics.median(b) / statistics.median(e)
        cpu = statistics.median(bc) / statistics.median(ec)
        print(f"ratio seeded / empty (medians): wall {wall:.2f}, cpu {cpu:.2f}")
        print(f"first start after the upgrade (migration 0007): {upgrade:.2f} s")
    print(f"reproduce: .venv/bin/python bench/bench_scale.py --db {args.db} --runs {args.runs}")


if __name__ == "__main__":
    asyncio.run(main())
