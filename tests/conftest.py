"""Suite-wide test settings: local traffic only, PTB's timedelta opt-in."""

from __future__ import annotations

import pytest


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
