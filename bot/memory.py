"""Hand memory the start-up no longer needs back to the system, once the bot is built."""

from __future__ import annotations

import gc

from knowledge import heap


def settle() -> None:
    """Collect, freeze what remains, and return glibc's free pages to the kernel.

    Loading the knowledge and building the matcher make millions of short-lived objects;
    once they are gone, `gc.freeze` keeps the long-lived rest (knowledge, matcher, modules)
    out of the collector's full passes (a 50–70 ms pause on the event loop each, which also
    bunches paced sends), and `malloc_trim` gives back the heap pages the build left free
    (~10 MB with the shipped knowledge; glibc would otherwise keep them for later).
    """
    gc.collect()
    gc.freeze()
    heap.trim()
