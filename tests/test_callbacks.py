"""Button data codecs: well-formed data decodes, anything else is refused the same way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks as cb


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (cb.DRILL, "dr:s", ("s", ())),
        (cb.DRILL, "dr:p:T3.3", ("p", ("T3.3",))),
        (cb.DRILL, "dr:a:12:3", ("a", (12, "3"))),
        (cb.DRILL, "dr:a:²:0", None),  # str.isdigit() says yes; int() says no
        (cb.DRILL, "dr:a:٢:0", None),
        (cb.DRILL, "dr:a:99999999999999999999:0", None),  # past SQLite's integers
        (cb.DRILL, "dr:a:1:4", None),
        (cb.DRILL, "dr:a:1", None),
        (cb.DRILL, "dr:x", None),
        (cb.CARD, "card:t33-pos-freeze", ("", ("t33-pos-freeze",))),
        (cb.CARD, "card:../../etc", None),
        (cb.CARD, "card:", None),
        (cb.FEEDBACK, "fb:99999:1", ("", (99999, "1"))),
        (cb.FEEDBACK, "fb:5:-1", ("", (5, "-1"))),
        (cb.FEEDBACK, "fb:x:y", None),
        (cb.FEEDBACK, "fb:5:2", None),
        (cb.BROWSE, "br:root", ("root", ())),
        (cb.BROWSE, "br:a:T3.3; DROP TABLE users", None),
        (cb.LANG, "lang:en:42", ("en", (42,))),
        (cb.LANG, "lang:en", None),  # owned buttons carry the id of whom they were shown to
        (cb.LANG, "lang:fr", None),
        (cb.SETTINGS, "set:t:0930:42", ("t", ("0930", 42))),
        (cb.SETTINGS, "set:t:0931:42", None),
        (cb.SETTINGS, "set:d:we:42", ("d", ("we", 42))),
        (cb.SETTINGS, "set:off:42", ("off", (42,))),
        (cb.SETTINGS, "set:off:²", None),
        (cb.CONSENT, "consent:yes:42", ("yes", (42,))),
        (cb.CONSENT, "consent:no", None),
        (cb.FORGET, "forget:yes:42", ("yes", (42,))),
        (cb.FORGET, "forget:yes:99999999999999999999", None),
        (cb.CONSENT, "consent:maybe", None),
        (cb.FORGET, None, None),
        (cb.FORGET, "zzz", None),
        (cb.REMOVE, "rm:y:3:9201", ("y", (3, 9201))),
        (cb.REMOVE, "rm:n", ("n", ())),
        (cb.REMOVE, "rm:y:3", None),
        (cb.REMOVE, "rm:t:²", None),
        (cb.INVITE, "inv:r:12", ("r", (12,))),
        (cb.INVITE, "inv:r:abc", None),
    ],
)
def test_decode(kind: cb.Kind, data: str | None, expected: object) -> None:
    assert kind.decode(data) == expected


def test_encode_round_trips_and_fits_telegrams_limit() -> None:
    data = cb.DRILL.encode("a", cb.MAX_ID, 3)
    assert len(data.encode()) <= 64
    assert cb.DRILL.decode(data) == ("a", (cb.MAX_ID, "3"))
    assert cb.CARD.decode(cb.CARD.encode("", "t12-einvoice-void")) == ("", ("t12-einvoice-void",))


@given(st.text(max_size=80))
def test_no_data_makes_a_codec_raise(data: str) -> None:
    for kind in cb.KINDS:
        decoded = kind.decode(data)
        assert decoded is None or data.startswith(kind.prefix + ":")


def test_ascii_digits_only_within_bounds() -> None:
    assert cb.parse_int("42") == 42
    assert cb.parse_int("²") is None
    assert cb.parse_int("-1") is None
    assert cb.parse_int("5", lo=6) is None
    assert cb.parse_int(str(cb.MAX_ID + 1)) is None
