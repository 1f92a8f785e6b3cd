"""The chart process: charts are drawn outside the bot, it ends when idle, and it never
outlives a bot that was killed."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot import charts

ROOT = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie of ours still answers kill(0); its state says it is gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


async def test_charts_are_drawn_in_another_process_that_ends_when_idle() -> None:
    renderer = charts._Renderer(idle=0.3)
    pid = await renderer.run(os.getpid)
    assert pid != os.getpid() and _alive(pid)
    # A second chart soon after is drawn by the same process.
    assert await renderer.run(os.getpid) == pid
    await asyncio.sleep(0.4)
    assert _gone_within(pid, 10)
    # And the next chart starts a new one.
    again = await renderer.run(os.getpid)
    assert again not in (pid, os.getpid())
    renderer.close()
    assert _gone_within(again, 10)


async def test_what_a_drawing_prints_does_not_break_the_pipe() -> None:
    """The chart process's answers have a descriptor of their own: a print (or a library's
    warning on standard output) goes to standard error, and the next chart still comes."""
    renderer = charts._Renderer(idle=60)
    try:
        assert await renderer.run(functools.partial(print, "x" * 9000)) is None
        pid = await renderer.run(os.getpid)
        assert pid != os.getpid()
        assert await renderer.run(functools.partial(sum, [1, 2, 3])) == 6
    finally:
        renderer.close()


async def test_a_drawing_that_cannot_travel_is_drawn_in_the_bot() -> None:
    renderer = charts._Renderer(idle=60)
    try:
        assert await renderer.run(lambda: os.getpid()) == os.getpid()
    finally:
        renderer.close()


async def test_a_chart_is_drawn_in_the_bot_when_no_process_can_be_used() -> None:
    renderer = charts._Renderer(idle=60, process=False)
    assert await renderer.run(os.getpid) == os.getpid()


def test_the_chart_process_does_not_outlive_a_killed_bot(tmp_path: Path) -> None:
    script = tmp_path / "bot_like.py"
    script.write_text(
        "import asyncio, os, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from bot import charts\n"
        "async def main() -> None:\n"
        "    print(await charts.render(os.getpid), flush=True)\n"
        "    time.sleep(60)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n"
    )
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True) as bot:
        try:
            assert bot.stdout is not None
            child = int(bot.stdout.readline())
            assert _alive(child)
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
            assert _gone_within(child, 10), "the chart process outlived the bot"
        finally:
            bot.kill()
