from __future__ import annotations

import logging

import pytest

from bot.runtime.logs import RedactSecrets

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


def test_phones_and_emails_never_reach_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactSecrets([]))
    try:
        raise ValueError("duplicate key (phone)=(+86 139 1234 5678) for wang.fang@nbport-logistics.cn")
    except ValueError:
        log.exception("import of contact %s (%s) failed in update 812345678", "13912345678", "li@example.com")
    assert "13912345678" not in caplog.text
    assert "139 1234 5678" not in caplog.text
    assert "wang.fang" not in caplog.text
    assert "li@example.com" not in caplog.text
    assert "812345678" in caplog.text  # an update or chat id stays: it is how an incident is traced
    assert "[phone] ([email])" in caplog.records[0].getMessage()
    assert "(phone)=([phone]) for [email]" in caplog.text
