"""Request parameters in any encoding Telegram accepts, read with Telegram's coercions.

aiogram sends every call as multipart/form-data with each value as text (objects as JSON
strings, booleans as ``true``), and uploads as file parts referenced by ``attach://<name>``;
other clients use query strings, url-encoded forms or JSON bodies. Handlers see one interface.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import hdrs, web
from aiohttp.multipart import BodyPartReader

from .errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """Typed access to request parameters; raises Telegram's 400s for malformed values."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def record(self) -> dict[str, Any]:
        """Parameters for the call log: values as sent, uploads summarised."""
        logged = dict(self.values)
        for name, upload in self.uploads.items():
            logged[name] = f"<upload {upload.filename!r}, {len(upload.data)} bytes>"
        return logged

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def integer(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be an Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be an Integer') from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)

    def json_value(self, name: str, *, what: str | None = None) -> Any:
        """A JSON parameter: decoded from a string (form encodings) or taken as is (JSON bodies)."""
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def chat_id(self) -> int:
        """chat_id as an integer; ``@username`` chats do not exist in the sandbox."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None

    def upload(self, reference: str) -> Upload | None:
        """Resolve ``attach://name`` (or a part sent under the parameter's own name)."""
        name = reference.removeprefix("attach://")
        return self.uploads.get(name)


async def read_params(request: web.Request) -> Params:
    """Collect query, url-encoded, multipart and JSON parameters of a request."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return Params(values)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON request body must be an Object")
        values.update(body)
    elif content_type == "application/x-www-form-urlencoded":
        values.update(await request.post())
    elif content_type.startswith("multipart/"):
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                continue
            if part.filename is not None:
                data = await part.read(decode=True)
                uploads[part.name] = Upload(bytes(data), part.filename, part.headers.get(hdrs.CONTENT_TYPE))
            else:
                values[part.name] = await part.text()
    return Params(values, uploads)
