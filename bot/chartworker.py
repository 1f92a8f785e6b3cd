"""The chart process: `python -m bot.chartworker` draws what the bot sends it, one at a time.

Each request on stdin is a 4-byte big-endian length and a pickled callable; each answer on
stdout the same framing around a pickled `(True, result)` or `(False, exception)`. The process
ends at the end of its input: when the bot closes the pipe after a quiet minute, or when the
bot is gone (killed outright, its end of the pipe closes with it). It imports only what a
drawing needs (Pillow, `bot.plot`), not the bot.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import IO, TypeVar

from knowledge import heap

_HEADER = 4
_R = TypeVar("_R")


# No chart comes near this; a larger length means the stream is not what it should be.
MAX_FRAME = 64 * 1024 * 1024


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame's payload; None at the end of the stream, a frame cut short, or a length no
    frame has (the stream is out of step: the caller gives up on it)."""
    head = stream.read(_HEADER)
    if len(head) < _HEADER:
        return None
    size = int.from_bytes(head, "big")
    if size > MAX_FRAME:
        return None
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(_HEADER, "big") + payload)
    stream.flush()


def listed(draw: Callable[[], bytes]) -> list[bytes]:
    """`draw()` as a list of one image (what the bot's `send_charts` takes); here, so that a
    drawing wrapped in it imports nothing of the bot in this process."""
    return [draw()]


def drawn(draw: Callable[[], _R]) -> _R:
    """Draw, then hand the heap pages the drawing freed back to the system (a canvas and the
    PNG encoder's buffers; ~13 MB less after 300 charts, ~1 ms): here the process may wait a
    minute for the next chart, and in the bot (no chart process) they would stay for good."""
    try:
        return draw()
    finally:
        heap.trim()


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    while (payload := read_frame(requests)) is not None:
        try:
            answer = pickle.dumps((True, drawn(pickle.loads(payload))))
        except Exception as exc:  # the drawing's error goes back to the bot, which logs it
            try:
                answer = pickle.dumps((False, exc))
            except Exception:  # an exception that does not pickle: its text does
                answer = pickle.dumps((False, RuntimeError(repr(exc))))
        write_frame(answers, answer)


def main() -> None:
    # The answers get a descriptor of their own; whatever else writes to standard output (a
    # print, a library's warning) goes to standard error instead of into the framing.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
