"""The knowledge and its matcher as one immutable pair, swapped whole on /reload.

A built pair is kept on disk between starts (`_cached`): reading the YAML, checking it and
building the matcher take ~1.4 s, loading the pickled pair ~50 ms. The pickle is named by a
hash of everything the pair is made from — every knowledge file's name and bytes, the
`knowledge` package's code, the versions of Python and the libraries that shape the build —
so a changed card, a store's extra file or an upgrade builds afresh. It lives in the user's
cache folder with OpenCC's merged dictionary (`s2twp.cache_dir`), written atomically; a
missing, unreadable or foreign file is simply built again, and a pickle is loaded only if this
user wrote it into a folder nobody else may write to (loading a pickle runs what it says).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from knowledge import s2twp
from knowledge.loader import DATA_DIR, knowledge_files, load_knowledge, load_knowledge_or_raise
from knowledge.matcher import Matcher
from knowledge.models import Knowledge
from knowledge.normalize import release_bulk

log = logging.getLogger(__name__)

# Bumped when a pickle of the same inputs would no longer be right (a change outside
# `knowledge/` that shapes the pair).
CACHE_FORMAT = 1
_SHAPERS = ("numpy", "rapidfuzz", "opencc", "pypinyin", "pydantic", "PyYAML")


@dataclass(frozen=True)
class Library:
    """What the bot answers from: a handler keeps the pair it started with, whole."""

    kb: Knowledge
    matcher: Matcher

    def with_aliases(self, aliases: Iterable[tuple[str, str]]) -> Library:
        """A library whose matcher also knows these (card id, text) aliases; this one is
        unchanged. An alias of a card the knowledge no longer has is skipped (it was attached
        before the card was removed or renamed)."""
        matcher = self.matcher
        for card_id, text in aliases:
            if card_id in self.kb.cards:
                matcher = matcher.with_alias(card_id, text)
        return self if matcher is self.matcher else Library(self.kb, matcher)


def load_library(extra_dir: Path | None = None, *, apart: bool = False) -> Library:
    """Load and check the knowledge files, then build the matcher over them (or load the pair
    built from the same files before). `apart`: a build runs in a child process and this one
    loads what it kept (see `_build_apart`)."""

    return _cached(extra_dir, lambda: _built(lambda: load_knowledge_or_raise(extra_dir)), apart)


def _built(load: Callable[[], Knowledge]) -> Library:
    """The pair from the knowledge `load` returns; OpenCC, which reading and building use,
    is let go either way."""
    try:
        kb = load()
        return Library(kb, Matcher(kb))
    finally:
        release_bulk()


def _inputs_key(extra_dir: Path | None) -> str:
    """A hash of everything a built library is made from (see the module's docstring)."""
    h = hashlib.sha256(f"{CACHE_FORMAT}\0{sys.version}".encode())
    for name in _SHAPERS:
        h.update(f"\0{name}={metadata.version(name)}".encode())
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(f"\0{path.name}\0".encode() + path.read_bytes())
    dirs = [DATA_DIR, *([extra_dir] if extra_dir is not None and extra_dir.is_dir() else [])]
    for source, path in knowledge_files(dirs):
        h.update(f"\0{source}:{path.name}\0".encode() + path.read_bytes())
    return h.hexdigest()[:32]


def _cached(extra_dir: Path | None, build: Callable[[], Library], apart: bool = False) -> Library:
    """`build()`, or the library it built from the same inputs before, kept on disk."""
    if extra_dir is not None and not extra_dir.is_dir():
        return build()  # the loader reports the missing folder; nothing to load or keep
    try:
        folder = s2twp.cache_dir()
        key = _inputs_key(extra_dir)
        path = folder / f"library-{key}.pickle"
    except (OSError, metadata.PackageNotFoundError) as exc:
        log.debug("no knowledge cache: %s", exc)
        return build()
    kept = _load(path)
    if kept is None and apart and _build_apart(extra_dir):
        kept = _load(path)
    if kept is not None:
        return kept
    # Here too when the child could not build: the files' problems are reported from here.
    library = build()
    try:
        # Files changed while they were read (an update still being copied): keep nothing.
        if _inputs_key(extra_dir) == key:
            _keep(folder, path, library)
    except OSError as exc:  # a read-only home: every start builds, as before
        log.debug("knowledge cache not written: %s", exc)
    return library


def _load(path: Path) -> Library | None:
    """The library kept at `path`, or None (missing, unreadable, foreign, not trusted)."""
    try:
        if _trusted(path):
            # Without the collector's passes over the half-built objects: 45 ms against 110.
            collecting = gc.isenabled()
            gc.disable()
            try:
                with path.open("rb") as f:
                    library = pickle.load(f)
            finally:
                if collecting:
                    gc.enable()
            if isinstance(library, Library):
                return library
            log.warning("%s is not a built library; building", path)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: build, and write it anew
        log.warning("knowledge cache %s unreadable (%s); building", path.name, exc)
    return None


_CHILD_TIMEOUT = 600.0  # s; a 10,000-card build takes ~20 s


def _build_apart(extra_dir: Path | None) -> bool:
    """Build in a child process (`python -m knowledge.library`), which keeps the pair in the
    cache; True when it did. A build in the bot's own process leaves its peak behind — the
    YAML, OpenCC and the build's temporaries, ~20 MB resident for good after the first start
    of every upgrade — while loading what the child kept costs what any later start costs."""
    argv = [sys.executable, "-m", "knowledge.library"]
    if extra_dir is not None:
        argv.append(str(extra_dir))
    try:
        done = subprocess.run(
            argv,
            cwd=Path(__file__).resolve().parents[1],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_CHILD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("knowledge not built apart: %s", exc)
        return False
    if done.returncode != 0:
        log.debug("knowledge not built apart (exit %s)", done.returncode)
    return done.returncode == 0


def _trusted(path: Path) -> bool:
    """Only a pickle this user wrote, in a folder nobody else may write to, is loaded: loading
    a pickle runs what it says."""
    st, folder = path.stat(), path.parent.stat()
    mine = os.geteuid()
    if st.st_uid != mine or folder.st_uid != mine or (st.st_mode | folder.st_mode) & 0o022:
        log.warning("knowledge cache %s not loaded: not this user's alone", path)
        return False
    return True


_KEEP = 3  # built libraries kept: a test run beside the bot, a store's second set of files


def _keep(folder: Path, path: Path, library: Library) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(library, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The most recent few stay (another bot or a test run may use one); older ones, and
    # temporaries a killed write left behind, go.
    by_age = sorted(folder.glob("library-*.pickle"), key=lambda p: p.stat().st_mtime)
    for old in by_age[:-_KEEP]:
        old.unlink(missing_ok=True)
    for stale in folder.glob("library-*.tmp"):
        if stale.stat().st_mtime < path.stat().st_mtime - 3600:
            stale.unlink(missing_ok=True)


def reload_library(
    extra_dir: Path | None = None, aliases: Iterable[tuple[str, str]] = (), *, apart: bool = False
) -> tuple[Library | None, list[str]]:
    """A new library from the files as they are now (with the learned `aliases`, card id and
    text), or None and the problems found."""
    problems: list[str] = []

    def checked() -> Knowledge:
        kb, found = load_knowledge(extra_dir)
        if found:
            problems.extend(str(p) for p in found)
            raise _NotBuilt
        return kb

    try:
        return _cached(extra_dir, lambda: _built(checked), apart).with_aliases(aliases), []
    except _NotBuilt:
        return None, problems


class _NotBuilt(Exception):
    """The files have problems: nothing was built, nothing is cached."""


def _child(argv: list[str]) -> int:
    """`python -m knowledge.library [EXTRA_DIR]`: build and keep the library (`_build_apart`);
    exit 1 when the files have problems (the parent builds again to report them)."""
    extra = Path(argv[0]) if argv else None
    try:
        load_library(extra)
    except Exception:
        return 1
    return 0


if __name__ == "__main__":
    # Through the module proper: a pickle written from `__main__` would name
    # `__main__.Library`, which the bot could not load.
    from knowledge.library import _child as child

    sys.exit(child(sys.argv[1:]))
