"""The chat edge: the aiogram application over the domain core (`portcrm/`).

runtime/    start-up: the CLI, polling and webhook serving, the terminal demo, logging
telegram/   the outgoing Bot API client and its request middlewares (retries, edits that cannot apply)
pipeline/   what every update passes before a handler: written down, ordered, throttled, identified
handlers/   routers by audience (customer/, staff/, admin/, and everyone), composed in one order
forms/      conversations that fill in a record step by step: states and drafts
ui/         what the user sees: texts, keyboards, views, callback data, menus
delivery/   the outbox sender: pushes within Telegram's limits
"""
