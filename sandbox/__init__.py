"""A local fake of Telegram's Bot API for tests and the terminal demo.

It speaks the Bot API over HTTP to the real aiogram client, enforces Telegram's limits with
Telegram's error texts, and lets a program act as users and read what the bot sent.
"""

from .errors import ApiError
from .faults import Fault, FaultQueue
from .media import tiny_png
from .models import (
    ApiCall,
    CallbackAnswer,
    ForumTopic,
    Mark,
    SandboxBot,
    SandboxGroup,
    SandboxUser,
    SentMessage,
    StoredFile,
    Violation,
)
from .sandbox import BotAPISandbox

__all__ = [
    "ApiCall",
    "ApiError",
    "BotAPISandbox",
    "CallbackAnswer",
    "Fault",
    "FaultQueue",
    "ForumTopic",
    "Mark",
    "SandboxBot",
    "SandboxGroup",
    "SandboxUser",
    "SentMessage",
    "StoredFile",
    "Violation",
    "tiny_png",
]
