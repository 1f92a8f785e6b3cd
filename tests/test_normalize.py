"""knowledge/normalize.py's sound table: every character sounds as its first pypinyin reading."""

from __future__ import annotations

import unicodedata

from knowledge.normalize import _readings, sound_key


def test_sound_keys_are_the_first_reading_folded() -> None:
    readings = _readings()
    assert len(readings) > 40_000
    for code, values in readings.items():
        first = values.split(",")[0]
        plain = "".join(c for c in unicodedata.normalize("NFD", first) if c.isascii())
        for src, dst in (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en")):
            plain = plain.replace(src, dst)
        assert sound_key(chr(int(code))) == (plain if values else None), code
    assert sound_key("會") == sound_key("匯") == "hui"
    assert sound_key("a") is None and sound_key("\U0010ffff") is None
