"""The outgoing Bot API client: aiogram's aiohttp session and the request middlewares it runs.

- session.py: the HTTP session; Telegram's 502 page read as the server error it is.
- retries.py: a handler's Bot API call retried on failures that pass, within Telegram's rules.
- unchanged_edits.py: an edit that changes nothing is an outcome, not an error.
- textless_edits.py: an edit of a message that cannot be edited becomes a new message.
- callback_answers.py: a button press answered once, and within Telegram's time.
- outgoing.py: the texts a handler sent, noted for the forms, which keep each step's question.
- retry_after.py: after a 429 nothing is sent to that chat (or the bot) until its window has passed,
  whichever path sends it; the overall pace that keeps the bot's own limit.
"""
