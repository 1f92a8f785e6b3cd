"""Memory of the real bot process, and of building a 10,000-card matcher.

    .venv/bin/python bench/bench_memory.py                      # /tmp/shop-10k.db, 1,000 requests
    .venv/bin/python bench/bench_memory.py --runs 3 --requests 1000 --cards 10000
    .venv/bin/python bench/bench_memory.py --stages --tracemalloc   # where it goes, by stage

Three parts, each figure read from Linux /proc (VmRSS: resident now; VmHWM: the peak) or
from getrusage (ru_maxrss, the peak of a finished child):

1. The real `python -m bot run` (tests/botprocess.py) polls the fake Bot API
   (tests/fakebot.py, in this process) on a copy of the seeded 10,000-user, 1,000,000-answer
   database (bench/seed_db.py; the copy is migrated first, today's reminders and this week's
   digests marked sent, so the start-up sweep does not send 10,000 reminders —
   bench/bench_fanout.py measures that). Its RSS after start-up, then after `--requests`
   mixed requests from 60 staff and 5 supervisors, 8 at a time, each waiting for its reply:
   questions, drills (/drill and the answer presses), /me with its chart, /settings and a
   button, /browse and a button, /team (table and heatmaps) and a member's page (trend chart).
2. `--cards` (default 10,000): the synthetic knowledge of bench/bench_match.py built into a
   Matcher in a child process; its peak RSS (the target is 500 MB).
3. `--stages`: RSS after each start-up stage in a child (imports, YAML + pydantic models,
   matcher, gc, first charts), and with `--tracemalloc` the Python allocations that the
   knowledge and the matcher keep, by file and line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from tests.fakebot import Call, FakeBotApi, FakeUser

# Staff 100200… and the supervisors of teams 1–5 of bench/seed_db.py's database.
STAFF_IDS = range(100_200, 100_260)
SUPERVISOR_IDS = range(100_000, 100_005)
# What a request is, and how often: staff mostly ask and drill.
STAFF_MIX = (("ask", 40), ("drill", 22), ("me", 12), ("settings", 8), ("browse", 8))
SUPERVISOR_MIX = (("team", 40), ("member", 30), ("ask", 15), ("me", 15))
WORKERS = 8
TZ = ZoneInfo("Asia/Taipei")


def mib(kb: float) -> str:
    return f"{kb / 1024:.1f} MB"


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon and RssFile of a running process, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0])
    return out


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the chart process of a bot), from /proc."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out


def children_rss(pid: int) -> int:
    """Resident kB of `pid`'s live children, summed."""
    total = 0
    for child_pid in children(pid):
        try:
            total += proc_status(child_pid)["VmRSS"]
        except (OSError, KeyError):
            continue
    return total


def prepare(src: Path, dst: Path) -> None:
    """A migrated copy with nothing due at start-up: today's reminders and this week's digests
    count as sent (the fan-out has its own bench)."""
    shutil.copy(src, dst)
    from bot import storage

    storage.open_db(dst).close()  # migrations, as the first start after an upgrade would
    now = datetime.now(UTC).astimezone(TZ)
    week = f"{now.isocalendar().year}-W{now.isocalendar().week:02d}"
    with sqlite3.connect(dst) as conn:
        conn.execute("UPDATE reminders SET last_sent_on = ?", [now.date().isoformat()])
        conn.execute(
            """INSERT INTO digests (user_id, last_week) SELECT user_id, ? FROM team_leads
               WHERE true ON CONFLICT(user_id) DO UPDATE SET last_week = excluded.last_week""",
            [week],
        )
    conn.close()


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


class Driver:
    """Users who each send one request at a time and wait for the bot's whole answer."""

    def __init__(
        self, server: FakeBotApi, questions: list[str], seed: int, only: set[str] | None = None
    ) -> None:
        self.only = only
        self.server = server
        self.questions = questions
        self.rng = random.Random(seed)
        self.done = 0
        self.kinds: dict[str, int] = {}

    async def settle(
        self, chat: int, before: int, ready: Callable[[list[Call]], bool], quiet: float = 0.15
    ) -> list[Call]:
        """Wait until `ready(new calls)`, then until nothing more arrives for `quiet` s."""
        s = self.server
        await s.wait_for(lambda _s: ready(s.sent_to(chat)[before:]), timeout=60)
        count = -1
        while count != len(s.sent_to(chat)):
            count = len(s.sent_to(chat))
            await asyncio.sleep(quiet)
        return s.sent_to(chat)[before:]

    async def say(
        self, user: FakeUser, text: str, ready: Callable[[list[Call]], bool] | None = None
    ) -> list[Call]:
        before = len(self.server.sent_to(user.id))
        self.server.send_text(user, text)
        return await self.settle(user.id, before, ready or (lambda new: len(new) > 0))

    async def press(self, user: FakeUser, message: Call, data: str) -> list[Call]:
        before = len(self.server.sent_to(user.id))
        answered = len(self.server.calls_of("answerCallbackQuery"))
        self.server.press(user, message.result["message_id"], data)
        await self.server.wait_for(
            lambda s: len(s.calls_of("answerCallbackQuery")) > answered, timeout=60
        )
        return await self.settle(user.id, before, lambda _new: True)

    def count(self, kind: str, n: int = 1) -> None:
        self.done += n
        self.kinds[kind] = self.kinds.get(kind, 0) + n

    async def one(self, user: FakeUser, kind: str) -> None:
        photo: Callable[[list[Call]], bool] = lambda new: any(  # noqa: E731
            c.method == "sendPhoto" for c in new
        )
        if kind == "ask":
            await self.say(user, self.rng.choice(self.questions))
            self.count(kind)
        elif kind == "me":
            await self.say(user, "/me", photo)
            self.count(kind)
        elif kind == "team":
            await self.say(user, "/team", photo)
            self.count(kind)
        elif kind == "member":
            # The member's page opened from the team table's buttons: text, then trend chart.
            new = await self.say(user, "/team", photo)
            self.count("team")
            table = next((c for c in new if any(d.startswith("tm:m:") for d in buttons(c))), None)
            if table is not None:
                data = self.rng.choice([d for d in buttons(table) if d.startswith("tm:m:")])
                before = len(self.server.sent_to(user.id))
                self.server.press(user, table.result["message_id"], data)
                await self.settle(user.id, before, photo)
                self.count(kind)
        elif kind in ("settings", "browse"):
            view = (await self.say(user, f"/{kind}"))[-1]
            self.count(kind)
            prefix = "set:" if kind == "settings" else "br:"
            options = [d for d in buttons(view) if d.startswith(prefix)]
            if options:
                await self.press(user, view, self.rng.choice(options))
                self.count(kind)
        elif kind == "drill":
            new = await self.say(user, "/drill")
            self.count(kind)
            for _ in range(8):  # a drill is 5 questions; stop when no question is shown
                question = next(
                    (c for c in reversed(new) if any(d.startswith("dr:a:") for d in buttons(c))),
                    None,
                )
                if question is None:
                    break
                answers = [d for d in buttons(question) if d.startswith("dr:a:")]
                new = await self.press(user, question, self.rng.choice(answers))
                self.count("answer")

    async def run(self, total: int) -> None:
        from tests.fakebot import FakeUser

        staff = [FakeUser(id=n, first_name=f"店員{n}") for n in STAFF_IDS]
        leads = [FakeUser(id=n, first_name=f"主管{n}") for n in SUPERVISOR_IDS]
        users = [(u, STAFF_MIX) for u in staff] + [(u, SUPERVISOR_MIX) for u in leads]
        if self.only is not None:
            users = [
                (u, tuple((k, w) for k, w in mix if k in self.only))
                for u, mix in users
                if any(k in self.only for k, _w in mix)
            ]
        free = asyncio.Queue[tuple[FakeUser, tuple[tuple[str, int], ...]]]()
        for pair in self.rng.sample(users, len(users)):
            free.put_nowait(pair)

        async def worker() -> None:
            while self.done < total:
                user, mix = await free.get()
                kind = self.rng.choices([k for k, _ in mix], [w for _, w in mix])[0]
                try:
                    await self.one(user, kind)
                finally:
                    free.put_nowait((user, mix))

        await asyncio.gather(*(worker() for _ in range(WORKERS)))


async def bot_run(
    db: Path, work: Path, requests: int, seed: int, only: set[str] | None = None
) -> dict[str, Any]:
    from tests.botprocess import BotProcess
    from tests.fakebot import FakeBotApi

    questions = [json.loads(line)["q"] for line in (ROOT / "tests/data/questions.jsonl").open()]
    async with FakeBotApi() as server:
        bot = BotProcess(server, db, log=work / "bot.log")
        bot.start()
        try:
            started = await bot.polling(timeout=180)
            await asyncio.sleep(3.0)  # the start-up jobs (sweep, digest catch-up) run
            assert bot.proc is not None
            pid = bot.proc.pid
            at_start = proc_status(pid)
            driver = Driver(server, questions, seed, only)
            t0 = time.monotonic()
            await driver.run(requests)
            took = time.monotonic() - t0
            await asyncio.sleep(1.0)
            after = proc_status(pid)
            after_children = children_rss(pid)
            # The chart process ends after CHART_IDLE_SECONDS without a chart.
            from bot.charts import CHART_IDLE_SECONDS

            await asyncio.sleep(CHART_IDLE_SECONDS + 3.0)
            idle = proc_status(pid)
            idle_children = children_rss(pid)
            photos = [c.params.get("photo") for c in server.calls_of("sendPhoto") if c.ok]
            by_id = sum(1 for p in photos if isinstance(p, str))
        finally:
            await bot.stop()
    return {
        "ready_s": started,
        "start_rss": at_start["VmRSS"],
        "start_hwm": at_start["VmHWM"],
        "after_rss": after["VmRSS"],
        "after_hwm": after["VmHWM"],
        "after_children": after_children,
        "idle_rss": idle["VmRSS"],
        "idle_children": idle_children,
        "after_anon": after["RssAnon"],
        "after_file": after["RssFile"],
        "start_anon": at_start["RssAnon"],
        "start_file": at_start["RssFile"],
        "requests": driver.done,
        "kinds": driver.kinds,
        "photos": len(photos),
        "photos_by_id": by_id,
        "seconds": took,
    }


def child(args: list[str]) -> dict[str, Any]:
    """This script in a fresh interpreter (its own peak), returning the JSON it prints last."""
    out = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    lines = out.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    return dict(json.loads(lines[-1]))


def rss_kb() -> int:
    return proc_status_self()["VmRSS"]


def proc_status_self() -> dict[str, int]:
    import os

    return proc_status(os.getpid())


def build_cards(n: int) -> None:
    """Child: the shipped knowledge, grown to `n` synthetic cards, built into a Matcher."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_match import synthetic

    from knowledge.loader import load_knowledge_or_raise
    from knowledge.matcher import Matcher

    kb = load_knowledge_or_raise()
    loaded = rss_kb()
    big = synthetic(kb, n - len(kb.cards))
    made = rss_kb()
    t0 = time.perf_counter()
    matcher = Matcher(big)
    took = time.perf_counter() - t0
    built = rss_kb()
    hits = matcher.search("收銀機當機了怎麼辦").hits
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "cards": len(big.cards),
                "loaded": loaded,
                "synthetic": made,
                "built": built,
                "peak": peak,
                "build_s": took,
                "top": hits[0].card if hits else None,
            }
        )
    )


def stages(trace: bool) -> None:
    """Child: RSS after each start-up stage, as `python -m bot run` goes through them."""
    import gc

    def snap() -> list[int]:
        st = proc_status_self()
        return [st["VmRSS"], st["RssAnon"], st["RssFile"]]

    rows: list[tuple[str, Any]] = [("interpreter", snap())]
    if trace:
        import tracemalloc

        tracemalloc.start()
    import telegram.ext  # noqa: F401

    rows.append(("import telegram.ext", snap()))
    import bot.app  # noqa: F401

    rows.append(("import bot.app (handlers, services)", snap()))
    rows.append(("  of which matplotlib imported", int("matplotlib" in sys.modules)))
    from knowledge.loader import load_knowledge_or_raise

    if trace:
        before = tracemalloc.take_snapshot()
    kb = load_knowledge_or_raise()
    rows.append(("knowledge: YAML → pydantic models", snap()))
    from knowledge.library import Library
    from knowledge.matcher import Matcher

    matcher = Matcher(kb)
    rows.append(("matcher built", snap()))
    library = Library(kb, matcher)
    try:  # load_library lets OpenCC go once the build is done
        from knowledge.normalize import release_bulk

        release_bulk()
    except ImportError:  # before the fifth session
        pass
    try:
        from bot.memory import settle  # what post_init does once the bot is built
    except ImportError:  # before issue 15's memory work
        settle = gc.collect
    settle()
    rows.append(("after start-up clean-up (OpenCC let go, gc, trim)", snap()))
    if trace:
        after = tracemalloc.take_snapshot()
        for group in ("filename", "lineno"):
            stats = after.compare_to(before, group)
            total = sum(s.size_diff for s in stats) / 2**20
            print(f"tracemalloc, knowledge + matcher by {group}: {total:.1f} MiB kept")
            for s in stats[:12]:
                print(f"  {s.size_diff / 2**20:7.2f} MiB {s.count_diff:9d} blocks  {s.traceback}")
        tracemalloc.stop()
    matcher.search("收銀機當機了怎麼辦")
    rows.append(("first search", snap()))
    from bot import charts, team_charts

    mastery = {"T1": 0.8, "T2": 0.35, "T3": 1.0, "T4": 0.0, "T5": 0.55}
    weeks: list[tuple[str, float | None]] = [("11/02", 0.6), ("11/09", None), ("11/16", 0.75)]
    charts.progress_chart(mastery, weeks, "zh-TW")
    rows.append(("first /me chart", snap()))
    cols = [a.id for a in library.kb.activities.values()]
    heat = [team_charts.HeatRow(f"成員{n}", [n / 50] * len(cols)) for n in range(50)]
    team_charts.heatmaps(cols, heat, team_charts.HeatTexts("門市 — 精熟度", "未練習", "精熟度 %"))
    rows.append(("first /team heatmaps (50 members)", snap()))
    for _ in range(10):
        charts.progress_chart(mastery, weeks, "en")
    rows.append(("10 more /me charts", snap()))
    print(json.dumps({"rows": rows}))


def summary(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0] / 1024:.1f} MB"
    return (
        f"{statistics.median(values) / 1024:.1f} MB "
        f"[{min(values) / 1024:.1f}–{max(values) / 1024:.1f}]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/shop-10k.db"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cards", type=int, default=10_000, help="0: skip the big build")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only",
        help="request kinds to send, e.g. ask,drill (default: all of "
        + ",".join(sorted({k for k, _w in STAFF_MIX + SUPERVISOR_MIX}))
        + ")",
    )
    parser.add_argument("--stages", action="store_true", help="RSS by start-up stage only")
    parser.add_argument("--tracemalloc", action="store_true", help="with --stages")
    parser.add_argument("--child-build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-stages", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        build_cards(args.child_build)
        return
    if args.child_stages:
        stages(args.tracemalloc)
        return
    if args.stages:
        rows = child(["--child-stages"] + (["--tracemalloc"] if args.tracemalloc else []))
        last = 0
        print("RSS by start-up stage (one fresh process), MB: total (change) = anon + file")
        for name, value in rows["rows"]:
            if name.startswith("  "):
                print(f"  {name.strip()}: {'yes' if value else 'no'}")
                continue
            rss, anon, file = (v / 1024 for v in value)
            print(f"  {name:<40} {rss:6.1f} ({rss - last:+5.1f}) = {anon:6.1f} + {file:5.1f}")
            last = rss
        flag = " --tracemalloc" if args.tracemalloc else ""
        print(f"reproduce: .venv/bin/python bench/bench_memory.py --stages{flag}")
        return

    results = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            db = work / "shop.db"
            prepare(args.db, db)
            only = set(args.only.split(",")) if args.only else None
            r = asyncio.run(bot_run(db, work, args.requests, args.seed + i, only))
        results.append(r)
        print(
            f"run {i + 1}: ready in {r['ready_s']:.1f} s; after start-up RSS "
            f"{mib(r['start_rss'])} (anon {mib(r['start_anon'])} + file "
            f"{mib(r['start_file'])}; peak {mib(r['start_hwm'])}); after {r['requests']} "
            f"requests in {r['seconds']:.0f} s RSS {mib(r['after_rss'])} (anon "
            f"{mib(r['after_anon'])} + file {mib(r['after_file'])}; peak "
            f"{mib(r['after_hwm'])}) + chart process {mib(r['after_children'])}; "
            f"once idle RSS {mib(r['idle_rss'])} + chart process "
            f"{mib(r['idle_children'])}; {r['kinds']}; {r['photos']} chart images sent, "
            f"{r['photos_by_id']} of them again by file id",
            flush=True,
        )
    print()
    print(f"bot process on a copy of {args.db} ({args.runs} run(s); target ≤ 150 MB):")
    print(f"  after start-up:  RSS {summary([r['start_rss'] for r in results])}")
    print(f"  after requests:  RSS {summary([r['after_rss'] for r in results])}")
    print(f"  peak (VmHWM):    {summary([r['after_hwm'] for r in results])}")
    from bot.charts import CHART_IDLE_SECONDS

    kids = summary([r["after_children"] for r in results])
    print(f"  chart process right after the requests: {kids}")
    both = [r["after_rss"] + r["after_children"] for r in results]
    print(f"  bot + chart process right after:         {summary(both)}")
    later = [r["idle_rss"] + r["idle_children"] for r in results]
    print(f"  bot + chart process {CHART_IDLE_SECONDS:.0f} s later:   {summary(later)}")
    if args.cards:
        peaks = []
        for _ in range(args.runs):
            b = child(["--child-build", str(args.cards)])
            peaks.append(b["peak"])
            print(
                f"  {b['cards']} cards: knowledge {mib(b['loaded'])}, synthetic "
                f"{mib(b['synthetic'])}, built {mib(b['built'])} in {b['build_s']:.1f} s, "
                f"peak {mib(b['peak'])} (top hit {b['top']})",
                flush=True,
            )
        print(f"matcher build, {args.cards} cards, peak RSS: {summary(peaks)} (target ≤ 500 MB)")
    only = f" --only {args.only}" if args.only else ""
    print(
        f"reproduce: .venv/bin/python bench/bench_memory.py --db {args.db} --runs {args.runs} "
        f"--requests {args.requests} --cards {args.cards}{only}"
    )


if __name__ == "__main__":
    main()
