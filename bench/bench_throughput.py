"""Throughput without the rate limiter: ShopCoach against a bare PTB echo bot, same fake server.

    .venv/bin/python bench/bench_throughput.py                    # 3 runs, echo vs ShopCoach
    .venv/bin/python bench/bench_throughput.py --runs 1 --profile py-spy   # where the CPU goes

One fake Bot API (tests/fakebot.py on 127.0.0.1) in this process; each bot is a child
process polling it (`TELEGRAM_API_BASE_URL`), so on 2 cores each side has its own:

- echo: a bare python-telegram-bot 22 Application with one MessageHandler replying the text
  (this file, `--serve-echo`): the same ApplicationBuilder HTTP settings, `run_polling`
  arguments and concurrent-update bound as ShopCoach (`--echo-updates sequential` runs it
  one update at a time, as PTB does by default);
- ShopCoach: the real `python -m bot run` with `RATE_LIMIT=false`, on a fresh database with
  the users consented (reminders off, so only the load is measured).

Load, closed loop: `--users` users each send `--questions` questions (the staff questions
of tests/data, in a fixed shuffled order), the next one as soon as the reply arrives; then,
ShopCoach only, each user does `--drills` drills (`/drill`, then one tap per question, a
random option each time). Latency of an update: from the getUpdates answer that delivered
it to the bot's sendMessage that answers it (for a tap: the next question or the summary),
both stamped by the fake. Printed per run: updates/s, p50/p99, CPU ms per update of the bot
and of the fake; then medians over the runs and the ratio ShopCoach/echo (each run's own).

`--profile py-spy` (py-spy on PATH or --py-spy PATH) or `--profile cprofile` records
ShopCoach under the same load in an extra run (never a measured one) and prints its CPU by
package — self time of the leaf frame, and the share of samples a package appears in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import HTTP_CONNECTIONS, HTTP_POOL_WAIT
from tests.botprocess import BotProcess, seed_staff
from tests.fakebot import FakeBotApi, FakeUser, JSONDict

ROOT = Path(__file__).resolve().parents[1]


def questions() -> list[str]:
    """The staff questions of tests/data (every .jsonl's "q"), in a fixed shuffled order."""
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line).get("q")
                if isinstance(q, str) and q.strip():
                    texts.append(q)
    random.Random(15).shuffle(texts)
    return texts


class TimedApi(FakeBotApi):
    """The fake, stamping when each update was handed out and waking whoever awaits a reply."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: dict[int, float] = {}
        self.waiting: dict[int, asyncio.Future[tuple[float, JSONDict]]] = {}

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        updates = await super()._get_updates(params)
        now = time.monotonic()
        for update in updates:
            self.delivered.setdefault(update["update_id"], now)
        return updates

    async def _send_message(self, params: JSONDict) -> JSONDict:
        message = await super()._send_message(params)
        waiter = self.waiting.pop(message["chat"]["id"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result((time.monotonic(), message))
        return message

    async def exchange(self, chat_id: int, inject: Any) -> tuple[float, JSONDict]:
        """Inject one update (`inject()` returns its id); (latency, the reply's message)."""
        fut: asyncio.Future[tuple[float, JSONDict]] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = fut
        update_id = inject()
        at, message = await asyncio.wait_for(fut, 60)
        return at - self.delivered[update_id], message


def answer_buttons(message: JSONDict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [
        b["callback_data"]
        for row in rows
        for b in row
        if str(b.get("callback_data", "")).startswith("dr:a:")
    ]


class Phase:
    """One measured load: updates, latencies, wall and CPU time of both processes."""

    def __init__(self, name: str, bot: BotProcess) -> None:
        self.name, self.bot = name, bot
        self.server = bot.server
        self.latencies: list[float] = []
        self.updates = 0
        self.unanswered = 0

    def __enter__(self) -> Phase:
        self.t0 = time.monotonic()
        self.cpu0 = self.bot.cpu_seconds()
        self.srv0 = _own_cpu()
        self.calls0 = len(self.server.calls)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self.t0
        self.cpu = self.bot.cpu_seconds() - self.cpu0
        self.srv = _own_cpu() - self.srv0
        calls = self.server.calls[self.calls0 :]
        self.api_calls = sum(1 for c in calls if c.method != "getUpdates")
        self.polls = len(calls) - self.api_calls

    def figures(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        return {
            "updates": self.updates,
            "per_s": self.updates / self.wall,
            "p50_ms": statistics.median(lat) * 1000,
            "p99_ms": lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000,
            "bot_cpu_ms": self.cpu / self.updates * 1000,
            "fake_cpu_ms": self.srv / self.updates * 1000,
            "calls_per_update": self.api_calls / self.updates,
            "unanswered": self.unanswered,
            "updates_per_poll": self.updates / max(1, self.polls),
        }


def _own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def ask_load(server: TimedApi, phase: Phase, users: list[FakeUser], n: int) -> None:
    texts = questions()

    async def one(k: int, user: FakeUser) -> None:
        for i in range(n):
            text = texts[(k * n + i) % len(texts)]
            try:
                lat, _ = await server.exchange(user.id, partial(server.send_text, user, text))
            except TimeoutError:
                phase.unanswered += 1  # no reply within 60 s: counted, and the user goes on
                continue
            phase.latencies.append(lat)
            phase.updates += 1

    with phase:
        await asyncio.gather(*(one(k, u) for k, u in enumerate(users)))


async def drill_load(server: TimedApi, phase: Phase, users: list[FakeUser], drills: int) -> int:
    """Each user: /drill, then a tap per question until the summary; taps are measured."""
    rng = random.Random(7)
    commands = 0

    async def one(user: FakeUser) -> None:
        nonlocal commands
        for _ in range(drills):
            _, msg = await server.exchange(user.id, lambda: server.send_text(user, "/drill"))
            commands += 1
            while options := answer_buttons(msg):
                data, mid = rng.choice(options), msg["message_id"]
                lat, msg = await server.exchange(user.id, partial(server.press, user, mid, data))
                phase.latencies.append(lat)
                phase.updates += 1

    with phase:
        await asyncio.gather(*(one(u) for u in users))
    return commands


class Profiler:
    """py-spy attached to a running bot, or the bot started under cProfile (`argv`)."""

    def __init__(self, kind: str | None, work: Path, name: str, py_spy: str) -> None:
        self.kind, self.py_spy = kind, py_spy
        self.out = work / f"{name}.{'prof' if kind == 'cprofile' else 'spy'}"
        self.spy: subprocess.Popen[bytes] | None = None

    def argv(self, argv: list[str]) -> list[str]:
        if self.kind == "cprofile":
            return ["-m", "cProfile", "-o", str(self.out), *argv]
        return argv

    async def attach(self, bot: BotProcess) -> None:
        if self.kind != "py-spy":
            return
        assert bot.proc is not None
        self.spy = subprocess.Popen(  # noqa: ASYNC220 (starts at once; nothing to wait for)
            [
                self.py_spy,
                "record",
                "--pid",
                str(bot.proc.pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(self.out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)  # py-spy attaches

    def detach(self) -> None:
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)  # py-spy writes what it has
            self.spy.wait(timeout=60)


async def one_run(
    args: argparse.Namespace, work: Path, run: int, profile: str | None = None
) -> dict[str, dict[str, float]]:
    users = [FakeUser(id=700_000 + k, first_name=f"staff{k}") for k in range(args.users)]
    out: dict[str, dict[str, float]] = {}
    async with TimedApi() as server:
        prof = Profiler(profile, work, "echo", args.py_spy)
        echo_argv = [
            str(Path(__file__)),
            "--serve-echo",
            "--echo-updates",
            args.echo_updates,
            "--connections",
            str(HTTP_CONNECTIONS),  # ShopCoach's (the echo process does not import the bot)
        ]
        echo = BotProcess(
            server, work / "unused.db", log=work / f"echo{run}.log", argv=prof.argv(echo_argv)
        )
        echo.start()
        await echo.polling(timeout=60)
        await prof.attach(echo)
        phase = Phase("echo", echo)
        await ask_load(server, phase, users, args.questions)
        prof.detach()
        await echo.stop()
        out["echo"] = phase.figures()

        db = work / f"shop{run}.db"
        seed_staff(db, *users)
        prof = Profiler(profile, work, "shopcoach", args.py_spy)
        bot = BotProcess(
            server,
            db,
            log=work / f"bot{run}.log",
            argv=prof.argv(["-m", "bot", "run"]),
            RATE_LIMIT="false",
        )
        bot.start()
        await bot.polling(timeout=120)
        await prof.attach(bot)
        phase = Phase("shopcoach", bot)
        await ask_load(server, phase, users, args.questions)
        out["shopcoach"] = phase.figures()
        if args.drills:
            phase = Phase("drill", bot)
            commands = await drill_load(server, phase, users, args.drills)
            out["drill"] = phase.figures() | {"drill_commands": commands}
        prof.detach()
        await bot.stop()
    return out


# ----------------------------------------------------------------------------- profiles

# By the file a frame is in: its top-level package (py-spy names files relative to
# sys.path), with ShopCoach's own packages split finer.
GROUPS = [
    ("importlib (failed imports)", ("importlib", "<frozen", "_distutils_hack")),
    ("httpx/httpcore/h11/anyio", ("httpx", "httpcore", "h11", "anyio")),
    ("telegram (PTB)", ("telegram",)),
    ("matcher: knowledge/", ("knowledge",)),
    ("matcher libs: rapidfuzz/opencc/numpy", ("rapidfuzz", "opencc", "pypinyin", "numpy")),
    ("handlers/", ("handlers",)),
    ("bot/storage + sqlite-utils/sqlite3", ("bot/storage", "sqlite_utils", "sqlite3")),
    ("bot/render, texts", ("bot/render", "bot/texts")),
    ("bot/ (other)", ("bot",)),
    ("fsrs", ("fsrs",)),
    ("yaml/pydantic", ("yaml", "pydantic", "pydantic_core")),
    ("json", ("json",)),
    ("logging", ("logging",)),
    ("asyncio/selectors/ssl/socket", ("asyncio", "selectors", "socket", "ssl")),
    ("apscheduler", ("apscheduler",)),
]


def group_of(frame: str) -> str:
    path = frame[frame.rfind("(") + 1 :].rpartition(":")[0]
    path = path.split("site-packages/")[-1].split("python3.11/")[-1]
    if path.startswith(str(ROOT)):
        path = path[len(str(ROOT)) + 1 :]
    for name, prefixes in GROUPS:
        if any(path == p or path.startswith((p + "/", p + ".")) for p in prefixes):
            return name
    return "other"


def read_spy(path: Path) -> tuple[Counter[str], Counter[str], Counter[str], Counter[str], int]:
    """py-spy raw output: `frame;frame;…;leaf count`, frames `func (file:line)`."""
    self_t: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    cum: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        self_t[group_of(frames[-1])] += n
        leaves[frames[-1]] += n
        for g in {group_of(f) for f in frames}:
            incl[g] += n
        for f in set(frames):
            cum[f] += n
    return self_t, incl, leaves, cum, total


def report_spy(work: Path, out: dict[str, dict[str, float]]) -> None:
    """CPU by package, as ms per update (250 samples/s: a sample is 4 ms of CPU)."""
    echo = read_spy(work / "echo.spy")
    shop = read_spy(work / "shopcoach.spy")
    n_echo = out["echo"]["updates"]
    n_shop = out["shopcoach"]["updates"] + out.get("drill", {}).get("updates", 0)
    print(
        f"\npy-spy, 250 Hz, busy samples only: echo {echo[4]} over {n_echo:.0f} updates, "
        f"ShopCoach {shop[4]} over {n_shop:.0f} (questions and taps)"
    )
    print(
        f"  {'package (file of the leaf frame)':40} {'echo ms/upd':>12} {'ShopCoach':>10} "
        f"{'share':>6} {'in stack':>9}"
    )
    for name, n in shop[0].most_common():
        print(
            f"  {name:40} {echo[0][name] * 4 / n_echo:12.2f} {n * 4 / n_shop:10.2f} "
            f"{100 * n / shop[4]:5.1f}% {100 * shop[1][name] / shop[4]:8.1f}%"
        )
    print(f"  {'total':40} {echo[4] * 4 / n_echo:12.2f} {shop[4] * 4 / n_shop:10.2f}")
    print("\nShopCoach, top self (leaf) frames:")
    for f, n in shop[2].most_common(20):
        print(f"  {100 * n / shop[4]:5.1f} %  {f}")
    print("\nShopCoach, top inclusive frames of its own code:")
    own = [
        (f, n)
        for f, n in shop[3].most_common()
        if group_of(f)
        in (
            "handlers/",
            "matcher: knowledge/",
            "bot/storage + sqlite-utils/sqlite3",
            "bot/render, texts",
            "bot/ (other)",
        )
    ]
    for f, n in own[:20]:
        print(f"  {100 * n / shop[4]:5.1f} %  {f}")


def report_cprofile(work: Path) -> None:
    import pstats

    for name in ("echo", "shopcoach"):
        stats = pstats.Stats(str(work / f"{name}.prof"))
        raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
        self_t: Counter[str] = Counter()
        others: Counter[str] = Counter()
        for (file, line, func), (_cc, _nc, tt, _ct, _callers) in raw.items():
            if func in ("<method 'poll' of 'select.epoll' objects>",):
                continue
            group = group_of(f"{func} ({file}:{line})")
            self_t[group] += tt
            if group == "other":
                others[f"{func} ({Path(file).name}:{line})"] += tt
        total = sum(self_t.values())
        print(f"\ncProfile, {name}: {total:.2f} s of self time in the main thread (no idle)")
        for group, tt in self_t.most_common():
            print(f"  {group:40} {100 * tt / total:5.1f}%")
        print("  of which 'other', the largest (C functions and the standard library):")
        for func, tt in others.most_common(8):
            print(f"    {func[:70]:70} {100 * tt / total:5.1f}%")
        if name == "shopcoach":
            print("\ntop cumulative:")
            stats.sort_stats("cumulative").print_stats(30)


# ----------------------------------------------------------------------------- echo bot


def serve_echo(updates: str, connections: int) -> None:
    """The bare PTB echo bot, with ShopCoach's HTTP and polling settings (bot/app.py)."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text is not None:
            await update.message.reply_text(update.message.text)

    base = os.environ["TELEGRAM_API_BASE_URL"]
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(base)
        .base_file_url(base.replace("/bot", "/file/bot"))
    )
    # bot/app.py's pool size, not PTB's default (256: quadratic in httpcore, see there).
    builder = builder.connection_pool_size(connections).pool_timeout(HTTP_POOL_WAIT)
    if updates == "concurrent":
        builder = builder.concurrent_updates(1024)  # ShopCoach's bound (bot/updates.py)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)


# ----------------------------------------------------------------------------- main


def summarise(runs: list[dict[str, dict[str, float]]]) -> None:
    def med(key: str, field: str) -> str:
        vals = [r[key][field] for r in runs if key in r]
        if not vals:
            return "–"
        return f"{statistics.median(vals):.1f} [{min(vals):.1f}–{max(vals):.1f}]"

    print(f"\nmedian [min–max] of {len(runs)} runs")
    print(f"{'':12} {'updates/s':>20} {'p50 ms':>20} {'p99 ms':>20} {'bot CPU ms/upd':>18}")
    for key in ("echo", "shopcoach", "drill"):
        print(
            f"{key:12} {med(key, 'per_s'):>20} {med(key, 'p50_ms'):>20} "
            f"{med(key, 'p99_ms'):>20} {med(key, 'bot_cpu_ms'):>18}"
        )
    ratios = [r["shopcoach"]["per_s"] / r["echo"]["per_s"] for r in runs if "echo" in r]
    drills = [r["drill"]["per_s"] / r["echo"]["per_s"] for r in runs if "drill" in r]
    if ratios:
        print(
            f"ShopCoach / echo (questions): {statistics.median(ratios):.2f} "
            f"[{min(ratios):.2f}–{max(ratios):.2f}]  (target ≥ 0.60)"
        )
    if drills:
        print(
            f"drill taps / echo updates:    {statistics.median(drills):.2f} "
            f"[{min(drills):.2f}–{max(drills):.2f}]"
        )


async def main_async(args: argparse.Namespace) -> None:
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for run in range(args.runs):
            out = await one_run(args, work, run)
            runs.append(out)
            print(
                f"run {run + 1}: "
                + json.dumps({k: {f: round(v, 2) for f, v in d.items()} for k, d in out.items()}),
                flush=True,
            )
        summarise(runs) if runs else None
        if args.profile:
            out = await one_run(args, work, args.runs, profile=args.profile)
            if args.profile == "py-spy":
                report_spy(work, out)
            else:
                report_cprofile(work)
    flags = (
        f"--runs {args.runs} --users {args.users} --questions {args.questions} "
        f"--drills {args.drills} --echo-updates {args.echo_updates}"
    )
    if args.profile:
        flags += f" --profile {args.profile}"
    print(f"reproduce: .venv/bin/python bench/bench_throughput.py {flags}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=20, help="per user")
    parser.add_argument("--drills", type=int, default=1, help="drills per user (0: none)")
    parser.add_argument(
        "--echo-updates", choices=("concurrent", "sequential"), default="concurrent"
    )
    parser.add_argument("--profile", choices=("py-spy", "cprofile"))
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        serve_echo(args.echo_updates, args.connections)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
