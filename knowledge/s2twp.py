"""OpenCC's s2twp conversion, holding its Simplified phrases once instead of twice (~16 MB less).

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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
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


def _cache_dir() -> Path:
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
    folder = _cache_dir() / f"opencc-{opencc.__version__}-{stamp.hexdigest()[:16]}"
    config_path = folder / f"{CONFIG}-merged.json"
    if config_path.exists():
        return config_path
    folder.mkdir(parents=True, exist_ok=True)
    merged = folder / "phrases-merged.txt"
    _write_merged(sources, merged)
    config = _absolute(shipped, share)
    entry = {"type": "text", "file": str(merged)}
    config["segmentation"]["dict"] = entry
    config["conversion_chain"][0]["dict"]["dicts"][0] = entry
    _write_atomically(config_path, json.dumps(config, ensure_ascii=False, indent=1))
    return config_path


def _write_merged(sources: list[Path], out: Path) -> None:
    """One text dictionary of `sources`, the earlier one's entry kept for a phrase in both."""
    entries: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, source in enumerate(sources):
            text = Path(tmp) / f"{n}.txt"
            subprocess.run(
                [str(_tool()), "-i", str(source), "-o", str(text), "-f", "ocd2", "-t", "text"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            for line in text.read_text(encoding="utf-8").splitlines():
                key, tab, values = line.partition("\t")
                if not tab:
                    raise ValueError(f"{source.name}: not a dictionary line: {line!r}")
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
