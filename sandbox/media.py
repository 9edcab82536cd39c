"""Bot API methods for photos, documents, albums and file downloads.

Uploaded bytes are kept with their name and MIME type so tests can read back exactly what the
bot produced (a CSV export, a chart).
"""

from __future__ import annotations

import mimetypes
import secrets
import struct
import zlib
from typing import Any
from urllib.parse import urlsplit

from .errors import ApiError, bad_request
from .formatting import FormattedText, format_text
from .limits import (
    MAX_DOWNLOAD_BYTES,
    MAX_MEDIA_GROUP_ITEMS,
    MAX_UPLOAD_FILE_BYTES,
    MAX_UPLOAD_PHOTO_BYTES,
    check_caption,
)
from .messaging import deliver, format_param, read_markup, read_options, read_reply
from .models import SentMessage, StoredFile
from .params import Params
from .payloads import resolve_chat
from .state import BotState, SandboxState
from .threads import read_thread


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, or None if it is not one."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return None


def image_mime(data: bytes) -> str:
    """MIME type of an image by its signature (photos carry no name worth trusting)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    return "image/gif" if data.startswith(b"GIF8") else "image/jpeg"


def tiny_png(width: int = 1, height: int = 1) -> bytes:
    """A valid blank PNG, for tests and demos that need to send a photo."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def guess_mime(filename: str | None, declared: str | None) -> str:
    """Telegram trusts the file name's extension over a generic declared type."""
    if declared and declared != "application/octet-stream":
        return declared
    guessed = mimetypes.guess_type(filename or "")[0]
    return guessed or declared or "application/octet-stream"


def input_file(state: SandboxState, params: Params, name: str, reference: Any, kind: str) -> StoredFile:
    """Resolve an upload (``attach://``), a known file_id or an HTTP URL to a stored file."""
    upload = params.upload(reference) if isinstance(reference, str) else None
    if upload is None and reference is None:
        upload = params.uploads.get(name)
    if upload is not None:
        limit = MAX_UPLOAD_PHOTO_BYTES if kind == "photo" else MAX_UPLOAD_FILE_BYTES
        if len(upload.data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return state.store_file(
                upload.data,
                kind,
                filename=upload.filename,
                mime_type=image_mime(upload.data),
                width=size[0],
                height=size[1],
            )
        mime = guess_mime(upload.filename, upload.content_type)
        return state.store_file(upload.data, kind, filename=upload.filename, mime_type=mime)
    if not isinstance(reference, str) or not reference:
        raise bad_request(f'parameter "{name}" is required')
    if reference in state.files:
        return state.files[reference]
    parts = urlsplit(reference)
    if parts.scheme in {"http", "https"} and parts.netloc:
        filename = parts.path.rpartition("/")[2] or None
        return state.store_file(
            b"", kind, filename=filename, mime_type=guess_mime(filename, None), width=1, height=1
        )
    raise bad_request("wrong file identifier/HTTP URL specified")


def caption_of(state: SandboxState, params: Params) -> FormattedText | None:
    formatted = format_param(state, params, "caption", "caption_entities")
    if formatted is not None:
        check_caption(formatted.text)
    return formatted


def _send_file(state: SandboxState, bot: BotState, params: Params, kind: str) -> Any:
    chat_id = params.chat_id()
    is_group = resolve_chat(state, bot, chat_id)
    caption = caption_of(state, params)
    markup = read_markup(params)
    reply_to = read_reply(bot, chat_id, params)
    stored = input_file(state, params, kind, params.values.get(kind), kind)
    thread = read_thread(state, bot, chat_id, params)
    state.flood.check(bot.bot.token, chat_id, is_group=is_group)
    message = SentMessage(
        token=bot.bot.token,
        chat_id=chat_id,
        message_id=bot.chat(chat_id).allocate_id(),
        date=state.now(),
        kind=kind,
        caption=(caption.text or None) if caption else None,
        html=caption.raw if caption else None,
        entities=caption.entities if caption else (),
        file=stored,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        message_thread_id=thread,
        options=read_options(params),
    )
    return deliver(state, bot, message)


def send_photo(state: SandboxState, bot: BotState, params: Params) -> Any:
    return _send_file(state, bot, params, "photo")


def send_document(state: SandboxState, bot: BotState, params: Params) -> Any:
    return _send_file(state, bot, params, "document")


def send_media_group(state: SandboxState, bot: BotState, params: Params) -> list[Any]:
    chat_id = params.chat_id()
    is_group = resolve_chat(state, bot, chat_id)
    items = params.json_value("media", what="media")
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise bad_request("expected an Array of InputMedia")
    if len(items) > MAX_MEDIA_GROUP_ITEMS:
        raise bad_request("too many messages to send as an album")
    kinds = {item.get("type") for item in items}
    if not kinds <= {"photo", "document"}:
        raise bad_request("the sandbox supports photo and document albums only")
    if len(kinds) > 1:
        raise bad_request("document can't be mixed with other media types")
    reply_to = read_reply(bot, chat_id, params)
    prepared = []
    for item in items:
        caption = item.get("caption")
        formatted = None
        if caption:
            formatted = format_text(
                caption, item.get("parse_mode"), item.get("caption_entities"), strict_html=state.strict_html
            )
            check_caption(formatted.text)
        prepared.append(
            (item["type"], formatted, input_file(state, params, "media", item.get("media"), item["type"]))
        )
    group_id = str(secrets.randbelow(10**17)) if len(items) > 1 else None
    results = []
    for kind, caption, stored in prepared:
        state.flood.check(bot.bot.token, chat_id, is_group=is_group)
        message = SentMessage(
            token=bot.bot.token,
            chat_id=chat_id,
            message_id=bot.chat(chat_id).allocate_id(),
            date=state.now(),
            kind=kind,
            caption=caption.text if caption else None,
            html=caption.raw if caption else None,
            entities=caption.entities if caption else (),
            file=stored,
            media_group_id=group_id,
            reply_to_message_id=reply_to,
            options=read_options(params),
        )
        results.append(deliver(state, bot, message))
    return results


def get_file(state: SandboxState, bot: BotState, params: Params) -> dict[str, Any]:
    stored = state.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": stored.file_path,
    }


METHODS = {
    "sendphoto": send_photo,
    "senddocument": send_document,
    "sendmediagroup": send_media_group,
    "getfile": get_file,
}
