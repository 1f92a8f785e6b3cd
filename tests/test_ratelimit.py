"""The pacer: never more than its cap in any rolling window, replies before bulk sends."""

from __future__ import annotations

import asyncio

from bot.ratelimit import Pacer


async def test_no_window_holds_more_than_the_cap_and_replies_go_first() -> None:
    # Scaled down (5 in 0.2 s) so the test takes a second, not the 30 in 1.02 s shipped.
    pacer = Pacer(5, window=0.2)
    loop = asyncio.get_running_loop()
    granted: list[tuple[float, str]] = []

    async def take(lane: int, name: str) -> None:
        await pacer.slot(lane)
        granted.append((loop.time(), name))

    bulk = [asyncio.create_task(take(1, f"reminder{k}")) for k in range(15)]
    await asyncio.sleep(0.25)  # the first window's reminders are out
    replies = [asyncio.create_task(take(0, f"reply{k}")) for k in range(3)]
    await asyncio.gather(*bulk, *replies)
    await pacer.stop()

    times = [t for t, _ in granted]
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + 0.2 - 1e-6) <= 5
    names = [n for _, n in granted]
    # Asked for after 5+ reminders were out, the replies take the next slots.
    first_reply = names.index("reply0")
    assert names[first_reply : first_reply + 3] == ["reply0", "reply1", "reply2"]
    assert all(n.startswith("reminder") for n in names[first_reply + 3 :])
    assert first_reply < 15
