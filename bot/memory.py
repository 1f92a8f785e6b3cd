"""Hand memory the start-up no longer needs back to the system, once the bot is built."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)


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
    trim()


def trim() -> None:
    """glibc's malloc_trim(0); nothing where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        log.debug("malloc_trim is not available (%s)", name)
