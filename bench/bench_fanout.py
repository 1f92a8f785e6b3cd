"""10,000 reminders due in the same minute, against a fake Bot API that enforces 30 msg/s.

    .venv/bin/python bench/bench_fanout.py                     # all 10,000 due at one minute
    .venv/bin/python bench/bench_fanout.py --kill-at 5000      # kill -9 halfway, restart

The real `python -m bot run` (a child process) polls tests/fakebot.py in this process, with
its flood limit on: more than 30 messages in any rolling second gets 429 + retry_after 1.
A copy of the seeded database (bench/seed_db.py; default /tmp/shop-10k.db) is set so every
user's reminder is due at the same minute, a few seconds after the bot has started, with no
drill done today. Meanwhile 20 of those users take turns asking a question in private, one
every 2 s (--ask-every; each after the previous answer), until the fan-out ends.

Printed: reminders sent, lost (due users who got none), duplicated (a second one the same
day), total time from the due minute to the last reminder and its ratio to 10,000 / 30 s,
429s, the most messages in any one-second window, and the answer time of the questions
asked during the fan-out (injected → reply received by the server), p50 / p99 / max.
With --kill-at N the bot is killed with SIGKILL once N users have their reminder and started
again at once; the reminders in flight at the kill may be sent twice (at-least-once).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import storage
from tests.botprocess import BotProcess
from tests.fakebot import Call, FakeBotApi, FakeUser

TZ = ZoneInfo("Asia/Taipei")
QUESTION = "收銀機當機了怎麼辦"


def is_reminder(call: Call) -> bool:
    if call.method != "sendMessage" or not call.ok:
        return False
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    return [b.get("callback_data") for row in rows for b in row] == ["dr:s"]


def prepare(src: Path, dst: Path, due_at: datetime) -> int:
    """Copy, migrate, and make every active consented user due at `due_at` (local)."""
    shutil.copy(src, dst)
    storage.open_db(dst).close()  # migrations (0007: a reminders row per user)
    local = due_at.astimezone(TZ)
    day_start = datetime.combine(local.date(), datetime.min.time(), tzinfo=TZ)
    with sqlite3.connect(dst) as con:
        con.execute(
            "UPDATE reminders SET time = ?, days = '1,2,3,4,5,6,7', enabled = 1, "
            "last_sent_on = NULL",
            [local.strftime("%H:%M")],
        )
        # Nobody has done today's drill yet (the seed's drills may fall on today).
        con.execute(
            "UPDATE drills SET status = 'stopped' WHERE status IN ('done', 'active') "
            "AND (finished_at >= ? OR finished_at IS NULL)",
            [storage.iso(day_start)],
        )
        due = con.execute(
            "SELECT COUNT(*) FROM users WHERE active = 1 AND consent_at IS NOT NULL"
        ).fetchone()[0]
    return int(due)


def max_in_a_second(times: list[float]) -> int:
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace, work: Path) -> None:
    now = datetime.now(UTC)
    due_at = (now + timedelta(seconds=args.lead + 60)).replace(second=0, microsecond=0)
    due = prepare(args.db, work / "shop.db", due_at)
    print(f"{due} users due at {due_at.astimezone(TZ):%H:%M} Taipei", flush=True)
    askers = [FakeUser(id=100_000 + 200 + k, first_name=f"asker{k}") for k in range(20)]
    asker_ids = {u.id for u in askers}
    latencies: list[float] = []
    async with FakeBotApi() as server:
        server.flood_limit = 30
        bot = BotProcess(server, work / "shop.db", log=work / "bot.log")
        bot.start()
        print(f"bot polling after {await bot.polling(timeout=120):.2f} s", flush=True)
        wait = (due_at - datetime.now(UTC)).total_seconds()
        t_due = time.monotonic() + wait
        killed = restarted = False
        restart_s = 0.0

        # Counted incrementally: a scan of every call each tick would stall the fake's own
        # event loop (and skew the arrival times it limits on) as the calls pile up.
        users: set[int | str | None] = set()
        scanned = 0
        unfinished: list[Call] = []

        def tally() -> None:
            nonlocal scanned, unfinished
            fresh = server.calls[scanned:]
            scanned += len(fresh)
            still = []
            for c in unfinished + fresh:
                if not c.completed:
                    still.append(c)
                elif is_reminder(c):
                    users.add(c.chat_id)
            unfinished = still

        def reminded() -> list[Call]:
            return [c for c in server.calls if is_reminder(c)]

        async def ask_loop() -> None:
            k = 0
            while True:
                user = askers[k % len(askers)]
                k += 1
                before = len(server.calls)
                t0 = time.monotonic()
                server.send_text(user, QUESTION)

                def answered(s: FakeBotApi, uid: int = user.id, at: int = before) -> Call | None:
                    for c in s.calls[at:]:
                        if c.chat_id == uid and c.method == "sendMessage" and not is_reminder(c):
                            return c if c.ok else None
                    return None

                try:
                    reply = await server.wait_for(answered, timeout=60)
                    if t0 >= t_due - 2:
                        latencies.append(reply.received - t0)
                except AssertionError:
                    latencies.append(60.0)
                await asyncio.sleep(args.ask_every)

        await asyncio.sleep(max(0.0, t_due - time.monotonic() - 2))
        asker = asyncio.create_task(ask_loop())
        deadline = t_due + args.timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            tally()
            if args.kill_at and not killed and len(users) >= args.kill_at:
                bot.kill()
                killed = True
                in_kill = len(users)
                bot.start()
                restart_s = await bot.polling(timeout=120)
                restarted = True
                print(f"killed at {in_kill} users; polling again after {restart_s:.2f} s")
            if len(users) >= due:
                break
        await asyncio.sleep(2.0)  # anything still in flight
        asker.cancel()
        await bot.stop()

        sent = reminded()
        per_user = Counter(c.chat_id for c in sent)
        times = sorted(c.received for c in server.calls if c.ok and c.method == "sendMessage")
        rem_times = sorted(c.received for c in sent)
        lost = due - len(per_user)
        dup = sum(n - 1 for n in per_user.values())
        total = rem_times[-1] - t_due if rem_times else float("nan")
        ideal = due / 30
        print()
        print(f"reminders sent: {len(sent)} to {len(per_user)} users")
        print(f"lost {lost}; duplicated {dup}")
        print(f"first reminder {rem_times[0] - t_due:.2f} s after the minute")
        print(
            f"total time: {total:.1f} s (ideal {ideal:.1f} s; ratio {total / ideal:.3f}; "
            f"target ≤ 1.05)"
        )
        print(f"rate: {len(sent) / (rem_times[-1] - rem_times[0]):.2f} reminders/s")
        print(
            f"429s from the fake: {server.flood_429s}; most messages in 1 s: "
            f"{max_in_a_second(times)}"
        )
        asked = list(latencies)
        if asked:
            print(
                f"questions during the fan-out: {len(asked)}; answer time p50 "
                f"{statistics.median(asked) * 1000:.0f} ms, p99 {pct(asked, 0.99) * 1000:.0f} ms, "
                f"max {max(asked) * 1000:.0f} ms"
            )
        print(f"askers also reminded: {sum(1 for u in asker_ids if per_user[u])}/20")
        if restarted:
            print(f"kill -9 at {args.kill_at}; restart to polling {restart_s:.2f} s")
    cmd = f"--ask-every {args.ask_every} --kill-at {args.kill_at}"
    print(f"reproduce: .venv/bin/python bench/bench_fanout.py --db {args.db} {cmd}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("/tmp/shop-10k.db"))
    parser.add_argument("--kill-at", type=int, default=0)
    parser.add_argument("--ask-every", type=float, default=2.0, help="seconds between questions")
    parser.add_argument("--lead", type=float, default=10.0, help="seconds of start-up room")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
