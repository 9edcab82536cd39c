"""The outgoing Bot API client: aiogram's aiohttp session and the request middlewares it runs.

- session.py: the HTTP session.
- retries.py: a handler's Bot API call retried on failures that pass, within Telegram's rules.
- unchanged_edits.py: an edit that changes nothing is an outcome, not an error.
- textless_edits.py: an edit of a message that cannot be edited becomes a new message.
"""
