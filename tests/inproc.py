"""The fake Bot API without HTTP: a PTB request layer that calls the fake's methods directly.

For tests that push thousands of updates through `Application.process_update` (the fuzz and
access tables): the same checks and stored messages as over HTTP, a fraction of the time.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

from tests.fakebot import Call, FakeBotApi, UploadedFile, _ApiError, _decode_form_value


class LocalRequest(BaseRequest):
    """Route every Bot API call of a PTB bot to a FakeBotApi in the same event loop."""

    def __init__(self, server: FakeBotApi) -> None:
        self.server = server

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,  # noqa: ARG002 - always POST for the Bot API
        request_data: RequestData | None = None,
        read_timeout: Any = None,  # noqa: ARG002
        write_timeout: Any = None,  # noqa: ARG002
        connect_timeout: Any = None,  # noqa: ARG002
        pool_timeout: Any = None,  # noqa: ARG002
    ) -> tuple[int, bytes]:
        server = self.server
        raw = url.rsplit("/", 1)[-1]
        name = server._canonical.get(raw.lower(), raw)
        params: dict[str, Any] = {}
        if request_data is not None:
            params = {k: _decode_form_value(k, v) for k, v in request_data.json_parameters.items()}
            for part, (filename, content, ctype) in (request_data.multipart_data or {}).items():
                upload = UploadedFile(filename, bytes(content), ctype)
                attached = [k for k, v in params.items() if v == f"attach://{part}"]
                for key in attached or [part]:
                    params[key] = upload
        call = Call(name, params)
        server.calls.append(call)
        try:
            fault = server._take_fault(name)
            if fault is not None:
                raise fault
            handler = server._handlers.get(name)
            if handler is None:
                raise _ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except _ApiError as exc:
            call.error_code, call.description, call.completed = (
                exc.error_code,
                exc.description,
                True,
            )
            return exc.error_code, json.dumps(exc.payload()).encode()
        call.result, call.completed = result, True
        return 200, json.dumps({"ok": True, "result": result}).encode()
