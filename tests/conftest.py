"""Suite-wide test settings (local traffic only, PTB's timedelta opt-in) and the shipped
knowledge and matcher, loaded once for the whole run."""

from __future__ import annotations

import pytest

from knowledge.matcher import Matcher
from knowledge.models import Knowledge
from tests.botharness import shipped_library


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    """The shipped knowledge (loading raises if the checker finds any problem)."""
    return shipped_library().kb


@pytest.fixture(scope="session")
def matcher() -> Matcher:
    return shipped_library().matcher


@pytest.fixture(autouse=True)
def _local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours proxy variables; a proxy must never see the fake's 127.0.0.1 traffic.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    # PTB 22.2+ warns on int time periods (e.g. RetryAfter) unless this opt-in is set.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
