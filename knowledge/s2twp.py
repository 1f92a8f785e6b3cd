"""OpenCC's s2twp conversion: its Simplified phrases held once instead of twice (~16 MB less),
and a pure-Python twin for one message at a time (~20 MB less than OpenCC kept for good).

s2twp reads Simplified phrases from two dictionaries, STPhrases and the phrases generated from
regional ones, as one "union" group, and names that group twice: to cut the text into phrases
and to convert them. OpenCC 1.4 builds a prefix tree per group, so the ~50,000 phrases are held
twice: 43 MB resident for s2twp against 27 MB for s2t. Here the group's dictionaries are merged
into one text dictionary, as the union reads them (the longest phrase wins; on the same phrase,
the earlier dictionary), and that one dictionary takes the group's place in both stages; every
other step is s2twp's own, from the installed OpenCC. tests/test_normalize.py checks that the
two convert alike.

The merged dictionary is written once per OpenCC install into the user's cache folder, by the
`opencc_dict` tool that comes with OpenCC, from that install's own dictionaries. Anything
unexpected (another layout, no tool, a read-only home, a config of another shape) falls back
to OpenCC's s2twp as it is: the same conversion, with the memory it takes.

`Converter` runs the same config (normalisation, max-match segmentation, the conversion chain
per segment, short-circuit and union groups, the first value of an entry) over Python dicts
read from the same dictionaries: ~12 MB against OpenCC's ~32 MB, ~10 µs a message against
~3 µs, and ~0.5 µs a character, far slower than OpenCC on a whole knowledge base. So the build
converts with OpenCC, which is then let go, and messages with `Converter`
(`knowledge/normalize.py`); tests/test_s2twp.py checks the two convert alike. Two known
differences, neither in anything staff type: OpenCC leaves an ideographic description sequence
(⿰车马) as it is, the twin converts the characters in it; and OpenCC's binding stops at a NUL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import opencc

log = logging.getLogger(__name__)

CONFIG = "s2twp"
# The folder for the merged dictionary (default: $XDG_CACHE_HOME or ~/.cache, /shopcoach).
CACHE_ENV = "SHOPCOACH_CACHE_DIR"


def converter() -> opencc.OpenCC:
    """s2twp with its phrase group merged (see above), or OpenCC's own s2twp."""
    try:
        config = merged_config()
    except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as exc:
        log.debug("OpenCC %s used as shipped: %s", CONFIG, exc)
        config = None
    return opencc.OpenCC(str(config) if config is not None else CONFIG)


def _share_dir() -> Path:
    return Path(opencc.__file__).resolve().parent / "clib" / "share" / "opencc"


def _tool() -> Path:
    return Path(opencc.__file__).resolve().parent / "clib" / "bin" / "opencc_dict"


def cache_dir() -> Path:
    """The user's cache folder for ShopCoach (SHOPCOACH_CACHE_DIR, else $XDG_CACHE_HOME or
    ~/.cache, then /shopcoach)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shopcoach"


def _union_files(node: Any) -> list[str]:
    """The ocd2 files of a union group of plain dictionaries; ValueError for anything else."""
    if node.get("type") != "group" or node.get("match_policy") != "union":
        raise ValueError(f"not a union group: {node}")
    files = []
    for child in node["dicts"]:
        if child.get("type") != "ocd2":
            raise ValueError(f"not an ocd2 dictionary: {child}")
        files.append(str(child["file"]))
    return files


def merged_config() -> Path | None:
    """The path of a config equal to s2twp with its phrase group merged, written if needed;
    None when s2twp has no such group (nothing to merge)."""
    share = _share_dir()
    shipped = json.loads((share / f"{CONFIG}.json").read_text(encoding="utf-8"))
    group = shipped["segmentation"]["dict"]
    first = shipped["conversion_chain"][0]["dict"]
    # The shape this relies on: segmentation by the union group, and the first conversion
    # trying the same group before anything else.
    if group.get("type") != "group" or group.get("match_policy") != "union":
        return None
    if first.get("match_policy") != "short_circuit" or first["dicts"][0] != group:
        raise ValueError("s2twp's first conversion does not start with its segmentation group")
    files = _union_files(group)
    sources = [share / f for f in files]
    stamp = hashlib.sha256(opencc.__version__.encode())
    for path in [share / f"{CONFIG}.json", *sources]:
        stamp.update(path.read_bytes())
    folder = cache_dir() / f"opencc-{opencc.__version__}-{stamp.hexdigest()[:16]}"
    config_path = folder / f"{CONFIG}-merged.json"
    if config_path.exists():
        return config_path
    # This user's alone: the built library is pickled here too (knowledge/library.py).
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(exist_ok=True)
    merged = folder / "phrases-merged.txt"
    _write_merged(sources, merged)
    config = _absolute(shipped, share)
    entry = {"type": "text", "file": str(merged)}
    config["segmentation"]["dict"] = entry
    config["conversion_chain"][0]["dict"]["dicts"][0] = entry
    _write_atomically(config_path, json.dumps(config, ensure_ascii=False, indent=1))
    return config_path


def _export(source: Path, out: Path) -> None:
    """An ocd2 dictionary as OpenCC's text format, with the tool of the same install."""
    subprocess.run(
        [str(_tool()), "-i", str(source), "-o", str(out), "-f", "ocd2", "-t", "text"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _entries(path: Path) -> dict[str, str]:
    """A text dictionary's lines, key → values (space-separated, the default first)."""
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, tab, values = line.partition("\t")
        if not tab:
            raise ValueError(f"{path.name}: not a dictionary line: {line!r}")
        entries.setdefault(key, values)
    return entries


def _write_merged(sources: list[Path], out: Path) -> None:
    """One text dictionary of `sources`, the earlier one's entry kept for a phrase in both."""
    entries: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, source in enumerate(sources):
            text = Path(tmp) / f"{n}.txt"
            _export(source, text)
            for key, values in _entries(text).items():
                entries.setdefault(key, values)
    lines = "".join(f"{key}\t{values}\n" for key, values in sorted(entries.items()))
    _write_atomically(out, lines)


def _absolute(node: Any, share: Path) -> Any:
    """The config with every dictionary file named by its full path in the OpenCC install."""
    if isinstance(node, dict):
        out = {k: _absolute(v, share) for k, v in node.items()}
        if "file" in out and out.get("type") in ("ocd2", "ocd", "text"):
            out["file"] = str(share / out["file"])
        return out
    if isinstance(node, list):
        return [_absolute(v, share) for v in node]
    return node


def _write_atomically(path: Path, text: str) -> None:
    """Another process starting at the same moment sees the whole file or none of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Table:
    """A dictionary, or a group of them, as one dict: the longest key at a position decides.

    Every match a group can make at a position is a prefix of the longest key (of any of its
    dictionaries) starting there, so what the group does there depends on that key alone and
    is worked out once per key: `values[key]` is what the group writes and `short[key]` how far
    it goes when that is less than the whole key (a short-circuit group whose first dictionary
    matches a shorter prefix).
    """

    __slots__ = ("lengths", "short", "values")

    def __init__(self, values: dict[str, str], short: dict[str, int] | None = None) -> None:
        self.values = values
        self.short = short or {}
        by_first: dict[str, set[int]] = {}
        for key in values:
            by_first.setdefault(key[0], set()).add(len(key))
        self.lengths = {ch: tuple(sorted(ns, reverse=True)) for ch, ns in by_first.items()}

    @classmethod
    def read(cls, entries: dict[str, str]) -> _Table:
        """A text dictionary's entries (values space-separated): each key's first value."""
        return cls({key: values.split(" ")[0] for key, values in entries.items() if key})

    def longest(self, text: str, i: int) -> int:
        """The length of the longest key that `text[i:]` starts with; 0 for none."""
        lengths = self.lengths.get(text[i])
        if lengths is not None:
            values, rest = self.values, len(text) - i
            for n in lengths:
                if n <= rest and text[i : i + n] in values:
                    return n
        return 0

    def at(self, text: str, i: int) -> tuple[int, str]:
        """How far the dictionary converts at `i`, and into what; (0, "") for no match."""
        n = self.longest(text, i)
        if not n:
            return 0, ""
        key = text[i : i + n]
        return self.short.get(key, n), self.values[key]

    @classmethod
    def group(cls, tables: list[_Table], union: bool) -> _Table:
        """Dictionaries tried in order: the first with a match gives it (short circuit), or
        the longest match of any (union; on equal length the earlier dictionary)."""
        values: dict[str, str] = {}
        short: dict[str, int] = {}
        for key in {k: None for t in tables for k in t.values}:
            best, value = 0, ""
            for table in tables:
                n, converted = table.at(key, 0)
                if n > best:
                    best, value = n, converted
                    if not union:
                        break
            values[key] = value
            if best < len(key):
                short[key] = best
        return cls(values, short)


def _matches(table: _Table, text: str) -> Iterator[tuple[int, int, str]]:
    """Max-match over `text`: (start, length, what it converts to) of each longest match,
    left to right; the text between matches is left alone."""
    pos = 0
    lengths = table.lengths
    for i, ch in enumerate(text):
        if i < pos or ch not in lengths:
            continue
        n, value = table.at(text, i)
        if n:
            yield i, n, value
            pos = i + n


def _convert(table: _Table, text: str) -> str:
    """Max-match conversion of one segment: each longest match replaced, other text kept."""
    out: list[str] = []
    start = 0
    for i, n, value in _matches(table, text):
        out += (text[start:i], value)
        start = i + n
    out.append(text[start:])
    return "".join(out)


def _segments(table: _Table, text: str) -> list[str]:
    """Max-match segmentation: each match its own segment, the text between them another."""
    segments: list[str] = []
    start = 0
    for i, n, _ in _matches(table, text):
        if start < i:
            segments.append(text[start:i])
        segments.append(text[i : i + n])
        start = i + n
    if start < len(text):
        segments.append(text[start:])
    return segments


class Converter:
    """An OpenCC config run in Python over its own dictionaries (see the module's docstring)."""

    def __init__(self, config: Path) -> None:
        doc = json.loads(config.read_text(encoding="utf-8"))
        share = _share_dir()
        folder = config.parent
        tables: dict[str, _Table] = {}  # each dictionary file read once, however often named

        def load(node: Any) -> _Table:
            kind = node.get("type")
            if kind == "group":
                policy = node.get("match_policy", "short_circuit")
                if policy not in ("short_circuit", "union"):
                    raise ValueError(f"unknown match policy: {policy}")
                return _Table.group([load(child) for child in node["dicts"]], policy == "union")
            path = Path(node["file"])
            path = path if path.is_absolute() else share / path
            if str(path) not in tables:
                if kind == "text":
                    tables[str(path)] = _Table.read(_entries(path))
                elif kind == "ocd2":
                    text = folder / f"{path.stem}.txt"
                    if not text.exists():
                        # Whole or not at all: a half-written export would be trusted later.
                        fd, tmp = tempfile.mkstemp(dir=folder, prefix=text.name, suffix=".tmp")
                        os.close(fd)
                        try:
                            _export(path, Path(tmp))
                            os.replace(tmp, text)
                        finally:
                            Path(tmp).unlink(missing_ok=True)
                    tables[str(path)] = _Table.read(_entries(text))
                else:
                    raise ValueError(f"unknown dictionary type: {kind}")
            return tables[str(path)]

        self._normalisation = [load(stage["dict"]) for stage in doc.get("normalization", [])]
        segmentation = doc["segmentation"]
        if segmentation.get("type") != "mmseg":
            raise ValueError(f"unknown segmentation: {segmentation.get('type')}")
        self._segmentation = load(segmentation["dict"])
        self._chain = [load(stage["dict"]) for stage in doc["conversion_chain"]]

    def convert(self, text: str) -> str:
        for dictionary in self._normalisation:
            text = _convert(dictionary, text)
        out = []
        for segment in _segments(self._segmentation, text):
            for dictionary in self._chain:
                segment = _convert(dictionary, segment)
            out.append(segment)
        return "".join(out)


def python_converter() -> Converter:
    """s2twp as `Converter`, from the merged config (written if needed); OSError/ValueError
    when OpenCC's install is not as expected (the caller then uses OpenCC itself)."""
    config = merged_config()
    if config is None:
        raise ValueError(f"{CONFIG} has no phrase group to merge")
    return Converter(config)
