"""Head-of-line blocking: private questions while one group waits out its rate limit.

    .venv/bin/python bench/bench_hol.py                  # 40 /ask in a group, 60 private questions

The real `python -m bot run` (a child process) polls tests/fakebot.py in this process. Sue
sends 40 `/ask` in one group at once: Telegram allows a bot 20 messages a minute in a group,
so after the first 20 replies the group's replies leave one every 3 s. Meanwhile Ben asks a
question in private every 0.25 s (each after the previous answer). Printed: Ben's answer
time (question injected → reply received by the server) p50 / p99 / max, and how many group
replies had gone out by the time Ben's last answer came (the group was still waiting).
Before issue 15 (updates one at a time) a private question waited ~60 s here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botprocess import BotProcess, seed_staff
from tests.fakebot import FakeBotApi, FakeUser

SUE = FakeUser(id=8101, first_name="Sue")
BEN = FakeUser(id=8202, first_name="Ben")
GROUP = {"id": -100777, "type": "supergroup", "title": "信義店夥伴"}
QUESTION = "收銀機當機了怎麼辦"


async def run(args: argparse.Namespace, work: Path) -> None:
    db = work / "shop.db"
    seed_staff(db, SUE, BEN)
    async with FakeBotApi() as server:
        bot = BotProcess(server, db, log=work / "bot.log")
        bot.start()
        await bot.polling(timeout=120)
        for _ in range(args.group):
            server.send_text(SUE, f"/ask {QUESTION}", GROUP)
        await server.wait_for(lambda s: len(s.sent_to(GROUP["id"])) >= 20, timeout=60)
        times = []
        for _ in range(args.private):
            before = len(server.sent_to(BEN.id))
            t0 = time.monotonic()
            server.send_text(BEN, QUESTION)
            await server.wait_for(lambda s, n=before: len(s.sent_to(BEN.id)) > n, timeout=120)
            times.append(server.sent_to(BEN.id)[before].received - t0)
            await asyncio.sleep(0.25)
        group_done = len(server.sent_to(GROUP["id"]))
        await bot.stop()
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"private answers while the group waits: {len(times)}; p50 "
        f"{statistics.median(times) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )
    print(f"group replies sent by then: {group_done} of {args.group}")
    print(
        f"reproduce: .venv/bin/python bench/bench_hol.py --group {args.group} "
        f"--private {args.private}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--group", type=int, default=40)
    parser.add_argument("--private", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
