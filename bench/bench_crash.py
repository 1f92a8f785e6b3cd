"""kill -9 during drills, over and over: no stalled drill, no acknowledged answer lost.

    .venv/bin/python bench/bench_crash.py              # 100 cycles
    .venv/bin/python bench/bench_crash.py --cycles 20 --seed 3

The real `python -m bot run` (a child process) polls tests/fakebot.py in this process. In
each cycle Amy taps an answer to the question on her screen and the bot is killed with
SIGKILL: in even cycles exactly in the window the issue found (answer committed and
acknowledged, the next question held by the fake server), in odd cycles after a random
0–80 ms. The bot is started again at once; then the cycle looks at what Amy can see.

Counted: stalled drills (a drill in progress whose next question never reached her after
the restart), acknowledged answers lost (✅/❌ shown, not stored), answers stored twice,
questions shown twice (the at-least-once window: a send in flight at the kill), taps lost
(neither acknowledged nor stored), and `PRAGMA integrity_check` at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.botprocess import BotProcess, seed_staff
from tests.fakebot import Call, FakeBotApi, FakeUser

AMY = FakeUser(id=8201, first_name="Amy")


def item_of(call: Call) -> int | None:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    for row in rows:
        for b in row:
            data = str(b.get("callback_data", ""))
            if data.startswith("dr:a:"):
                return int(data.split(":")[2])
    return None


def questions(server: FakeBotApi) -> dict[int, list[Call]]:
    """Delivered question messages by drill item."""
    out: dict[int, list[Call]] = {}
    for c in server.sent_to(AMY.id):
        if c.method == "sendMessage" and (item := item_of(c)) is not None:
            out.setdefault(item, []).append(c)
    return out


def next_item(db: Path) -> int | None:
    """The next unanswered item of Amy's drill in progress, if any."""
    with sqlite3.connect(db) as con:
        row = con.execute(
            """SELECT i.id FROM drill_items i JOIN drills d ON d.id = i.drill_id
               WHERE d.user_id = ? AND d.status = 'active' AND i.answered_at IS NULL
               ORDER BY i.position LIMIT 1""",
            [AMY.id],
        ).fetchone()
    return int(row[0]) if row else None


def answered_items(db: Path) -> Counter[int]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id FROM drill_items WHERE answered_at IS NOT NULL").fetchall()
    return Counter(int(r[0]) for r in rows)


async def run(args: argparse.Namespace, work: Path) -> None:
    db = work / "shop.db"
    seed_staff(db, AMY)
    rng = random.Random(args.seed)
    pressed: dict[str, int] = {}  # callback query id -> item id
    stalled = recovered_by_drill = 0
    restarts: list[float] = []
    async with FakeBotApi() as server:
        bot = BotProcess(server, db, log=work / "bot.log")
        bot.start()
        await bot.polling(timeout=120)
        for cycle in range(args.cycles):
            item = next_item(db)
            shown = questions(server)
            if item is None or item not in shown:
                if item is not None:
                    stalled += 1  # in progress, its question never arrived
                    recovered_by_drill += 1
                server.send_text(AMY, "/drill")
                await server.wait_for(
                    lambda s: (i := next_item(db)) is not None and i in questions(s), timeout=30
                )
                item = next_item(db)
                shown = questions(server)
            assert item is not None
            message = shown[item][-1]
            server._reply_cursor.clear()
            if cycle % 2 == 0:
                server.stall_next("sendMessage")
            server.press(AMY, message.result["message_id"], f"dr:a:{item}:{rng.randint(0, 2)}")
            update = server.updates[-1]
            pressed[update["callback_query"]["id"]] = item
            if cycle % 2 == 0:
                with contextlib.suppress(AssertionError):
                    await server.wait_for(lambda s: s.stalled, timeout=15)
                server.stalled.clear()
            else:
                await asyncio.sleep(rng.uniform(0, 0.08))
            bot.kill()
            server._stalls.clear()
            bot.start()
            restarts.append(await bot.polling(timeout=120))
            # What Amy sees once the bot is back: the next question, if a drill goes on.
            deadline = time.monotonic() + args.settle
            while time.monotonic() < deadline:
                nxt = next_item(db)
                if nxt is None or nxt in questions(server):
                    break
                await asyncio.sleep(0.05)
            print(f"cycle {cycle + 1}: restart {restarts[-1]:.2f} s", flush=True)
        await bot.stop()

    stored = answered_items(db)
    acks = {
        str(c.params.get("callback_query_id")): c.params.get("text")
        for c in server.calls_of("answerCallbackQuery")
        if c.ok
    }
    acked = {qid: item for qid, item in pressed.items() if acks.get(qid) in ("✅", "❌")}
    lost = [item for item in acked.values() if item not in stored]
    taps_lost = [item for qid, item in pressed.items() if qid not in acks and item not in stored]
    twice = sum(n - 1 for n in stored.values())
    shown_twice = sum(1 for calls in questions(server).values() if len(calls) > 1)
    # A drill left stalled by the last cycle counts too.
    last = next_item(db)
    if last is not None and last not in questions(server):
        stalled += 1
    with sqlite3.connect(db) as con:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    print()
    print(f"cycles (kill -9 + restart): {args.cycles}; taps {len(pressed)}")
    print(f"answers acknowledged: {len(acked)}")
    print(f"stalled drills: {stalled}")
    print(f"acknowledged answers lost: {len(lost)}; answers stored twice: {twice}")
    print(f"questions shown twice (a send in flight at the kill): {shown_twice}")
    print(f"taps neither acknowledged nor stored (in flight at the kill): {len(taps_lost)}")
    print(f"integrity_check: {integrity}")
    print(
        f"restart to polling: median {statistics.median(restarts):.2f} s "
        f"[{min(restarts):.2f}–{max(restarts):.2f}]"
    )
    cmd = f"--cycles {args.cycles} --seed {args.seed}"
    print(f"reproduce: .venv/bin/python bench/bench_crash.py {cmd}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds to wait for the question"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
