"""Discord's published OpenAPI description, loaded once, checking what the fake receives and returns.

The spec types snowflakes as strings only while discord.py sends some (a permission overwrite's id)
as integers, which Discord accepts: `SnowflakeType` is widened to string-or-integer in memory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters

from tests.fakes.shared import shared_path

HOST = "https://discord.com"


def spec_path() -> Path:
    return shared_path("specs", "discord", "openapi.json")


@dataclass
class SpecRequest:
    method: str
    path: str
    body: bytes | None
    content_type: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    host_url: str = HOST

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(query=self.query, header=self.headers, cookie={})


@dataclass
class SpecResponse:
    status_code: int
    data: bytes | None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class DiscordSpec:
    def __init__(self, path: Path | None = None) -> None:
        document: dict[str, Any] = json.loads((path or spec_path()).read_text())
        document["components"]["schemas"]["SnowflakeType"] = {
            "anyOf": [
                {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
                {"type": "integer", "minimum": 0},
            ]
        }
        # The pinned spec is not re-validated as a document on each load: that alone takes ~7 s.
        self.openapi = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
        self._valid_shapes: set[object] = set()

    def request_errors(self, request: SpecRequest) -> list[str]:
        try:
            self.openapi.validate_request(request)
        except Exception as error:
            return [_describe(f"{request.method.upper()} {request.path}", error)]
        return []

    def response_errors(self, request: SpecRequest, response: SpecResponse) -> list[str]:
        """The fake builds its answers from a few templates: each shape is checked once (it halves the
        time these tests take). Requests, which come from the code under test, are always checked."""
        shape = (
            request.method,
            re.sub(r"[0-9]+", "N", request.path),
            response.status_code,
            _shape(json.loads(response.data)) if response.data else None,
        )
        if shape in self._valid_shapes:
            return []
        try:
            self.openapi.validate_response(request, response)
        except Exception as error:
            return [_describe(f"response to {request.method.upper()} {request.path} ({response.status_code})", error)]
        self._valid_shapes.add(shape)
        return []


def _shape(value: Any) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(sorted({_shape(v) for v in value}, key=repr)))
    return type(value).__name__


def _describe(where: str, error: Exception) -> str:
    details = [repr(error)]
    cause: BaseException | None = error.__cause__
    while cause is not None:
        details.append(repr(cause)[:600])
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            details.extend(str(e.message)[:300] for e in schema_errors)
        cause = cause.__cause__
    return f"{where}: " + " | ".join(details)
