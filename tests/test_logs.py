from __future__ import annotations

import logging

import pytest

from bot.logs import RedactSecrets

TOKEN = "123456:AAE-very-secret-token"


def test_the_token_never_reaches_a_log_line_even_inside_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactSecrets([TOKEN]))
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{TOKEN}/getUpdates failed")
    except ConnectionError:
        log.exception("request to %s failed", f"/bot{TOKEN}/sendMessage")
    assert TOKEN not in caplog.text
    assert "[REDACTED]" in caplog.records[0].getMessage()
