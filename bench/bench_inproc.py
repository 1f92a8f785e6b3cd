"""CPU per question without HTTP: ShopCoach's and a bare echo handler's work per update.

    .venv/bin/python bench/bench_inproc.py              # 3 runs of 4,000 questions each
    .venv/bin/python bench/bench_inproc.py --profile    # and where ShopCoach's time goes

Both applications get their updates through `Application.process_update` and talk to the fake
Bot API in the same process (tests/inproc.py), one update at a time: what is left is each
bot's own CPU per question — PTB's dispatch, ShopCoach's member lookup, matcher, log line and
reply, and the fake's handling of the reply. bench/bench_throughput.py measures the same two
over HTTP, where the HTTP client's share is the same for both; this one shows what ShopCoach
adds, steadily enough to compare one change with the next on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_throughput import questions
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters

from bot.app import build_application
from tests.botharness import Clock, make_settings, shipped_library
from tests.botprocess import seed_staff
from tests.fakebot import FakeBotApi, FakeUser
from tests.inproc import LocalRequest

USERS = [FakeUser(10_000 + i, f"u{i}") for i in range(200)]


def shopcoach(server: FakeBotApi, work: Path) -> Application:  # type: ignore[type-arg]
    cfg = make_settings(server, work)
    seed_staff(cfg.database_path, *USERS)
    return build_application(
        cfg, clock=Clock(), library=shipped_library(), request=LocalRequest(server)
    )


def echo(server: FakeBotApi, _work: Path) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(server.token)
        .request(LocalRequest(server))
        .get_updates_request(LocalRequest(server))
        .build()
    )

    async def reply(update: Update, _context: Any) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text)

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, reply))
    return app


async def one_run(kind: str, n: int, profile: cProfile.Profile | None) -> float:
    """CPU ms per question update over `n` questions (after 300 to warm up)."""
    server = FakeBotApi()
    with tempfile.TemporaryDirectory() as tmp:
        app = (shopcoach if kind == "shopcoach" else echo)(server, Path(tmp))
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        texts = questions()
        updates = [
            Update.de_json(
                server.text_update(USERS[i % len(USERS)], texts[i % len(texts)]), app.bot
            )
            for i in range(n + 300)
        ]
        for update in updates[:300]:
            await app.process_update(update)
        if profile is not None:
            profile.enable()
        cpu = time.process_time()
        for update in updates[300:]:
            await app.process_update(update)
        cpu = time.process_time() - cpu
        if profile is not None:
            profile.disable()
        replies = sum(1 for c in server.calls if c.method == "sendMessage")
        assert replies >= n, f"{kind}: {replies} replies to {n + 300} questions"
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    return cpu / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=4000)
    parser.add_argument("--profile", action="store_true", help="cProfile ShopCoach, one run")
    args = parser.parse_args()
    figures: dict[str, list[float]] = {"echo": [], "shopcoach": []}
    for _ in range(args.runs):
        for kind in figures:
            figures[kind].append(asyncio.run(one_run(kind, args.questions, None)))
    for kind, ms in figures.items():
        print(
            f"{kind:10} CPU per question {statistics.median(ms):.3f} ms "
            f"[{min(ms):.3f}-{max(ms):.3f}] over {args.runs} runs of {args.questions}"
        )
    extra = statistics.median(figures["shopcoach"]) - statistics.median(figures["echo"])
    print(f"ShopCoach's own work per question: {extra:.3f} ms")
    if args.profile:
        profile = cProfile.Profile()
        asyncio.run(one_run("shopcoach", args.questions, profile))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    print(
        f"reproduce: .venv/bin/python bench/bench_inproc.py --runs {args.runs} "
        f"--questions {args.questions}"
    )


if __name__ == "__main__":
    main()
