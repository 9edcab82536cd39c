"""`portcrm feeds add|list|rotate-secret|remove`, run in-process as an operator runs them."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.runtime.cli import main
from portcrm.feeds.dcsa.subscriptions import FEED_SECRET, Publisher, publisher
from portcrm.storage.db import Database

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def operator(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PORTCRM_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "en")
    return database_url


def _publisher(database_url: str, subscription_id: str) -> Publisher | None:
    async def look() -> Publisher | None:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return await publisher(session, subscription_id)
        finally:
            await db.dispose()

    return asyncio.run(look())


def _added(capsys: pytest.CaptureFixture[str], name: str) -> tuple[str, str]:
    assert main(["feeds", "add", name]) == 0
    out = capsys.readouterr().out
    found = re.search(rf"^Subscription-ID: ({UUID})\nSecret: (\S+)$", out, re.MULTILINE)
    assert found is not None, out
    return found[1], found[2]


def test_add_prints_the_subscription_id_and_the_secret_once_and_list_never_shows_it(
    operator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feeds", "list"]) == 0
    assert capsys.readouterr().out == "No feed subscriptions yet: add one with portcrm feeds add NAME.\n"
    assert main(["feeds", "add", "  Ningbo Terminal  "]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Feed subscription Ningbo Terminal added. Give the publisher these two values:"
    assert lines[3] == "The secret is not shown again. The publisher posts to /feeds/dcsa/v2/events."
    subscription_id, secret = _added(capsys, "COSCO")
    assert FEED_SECRET.fullmatch(secret)
    stored = _publisher(operator, subscription_id)
    assert stored is not None
    assert stored.secrets == (secret,)

    assert main(["feeds", "list"]) == 0
    listed = capsys.readouterr().out
    assert re.fullmatch(
        rf"COSCO: Subscription-ID {subscription_id}, added \d{{4}}-\d\d-\d\d \d\d:\d\d\n"
        rf"Ningbo Terminal: Subscription-ID {UUID}, added .*\n",
        listed,
    ), listed
    assert secret not in listed


def test_rotate_secret_prints_the_new_one_and_keeps_the_old_one_for_the_grace_period(
    operator: str, capsys: pytest.CaptureFixture[str]
) -> None:
    subscription_id, first = _added(capsys, "COSCO")
    assert main(["feeds", "rotate-secret", "COSCO", "--grace-hours", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"New secret for COSCO (Subscription-ID {subscription_id}); it is not shown again:"
    second = lines[1].removeprefix("Secret: ")
    assert FEED_SECRET.fullmatch(second)
    assert re.fullmatch(r"The previous secret stays valid until \d{4}-\d\d-\d\d \d\d:\d\d\.", lines[2])
    assert _publisher(operator, subscription_id) == Publisher("COSCO", subscription_id, (second, first))
    assert main(["feeds", "list"]) == 0
    assert "    secret rotated " in capsys.readouterr().out

    assert main(["feeds", "rotate-secret", "COSCO", "--grace-hours", "0"]) == 0
    out = capsys.readouterr().out
    third = out.splitlines()[1].removeprefix("Secret: ")
    assert out.splitlines()[2] == "The previous secret is no longer valid."
    assert _publisher(operator, subscription_id) == Publisher("COSCO", subscription_id, (third,))


def test_remove_ends_a_subscription(operator: str, capsys: pytest.CaptureFixture[str]) -> None:
    subscription_id, _ = _added(capsys, "COSCO")
    assert main(["feeds", "remove", "COSCO"]) == 0
    out = capsys.readouterr().out
    assert out == "Feed subscription COSCO removed: it can post no more. The events it sent are kept.\n"
    assert _publisher(operator, subscription_id) is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["feeds", "add", "COSCO"], "A feed subscription named COSCO already exists."),
        (["feeds", "add", "  "], "A feed subscription name is 1 to 100 printable characters."),
        (["feeds", "add", "x" * 101], "A feed subscription name is 1 to 100 printable characters."),
        (["feeds", "rotate-secret", "MAERSK"], "No feed subscription named MAERSK."),
        (
            ["feeds", "rotate-secret", "COSCO", "--grace-hours", "two"],
            "The grace period must be from 0 to 720 hours.",
        ),
        (
            ["feeds", "rotate-secret", "COSCO", "--grace-hours", "-1"],
            "The grace period must be from 0 to 720 hours.",
        ),
        (
            ["feeds", "rotate-secret", "COSCO", "--grace-hours", "nan"],
            "The grace period must be from 0 to 720 hours.",
        ),
        (
            ["feeds", "rotate-secret", "COSCO", "--grace-hours", "1e300"],
            "The grace period must be from 0 to 720 hours.",
        ),
        (["feeds", "remove", "MAERSK"], "No feed subscription named MAERSK."),
    ],
)
def test_bad_input_is_one_clear_line_on_stderr_and_changes_nothing(
    operator: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    subscription_id, secret = _added(capsys, "COSCO")
    assert main(argv) == 1
    assert capsys.readouterr() == ("", f"portcrm: {message}\n")
    assert _publisher(operator, subscription_id) == Publisher("COSCO", subscription_id, (secret,))


def test_the_output_is_in_the_ports_language(
    operator: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "zh_TW")
    assert main(["feeds", "add", "COSCO"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("已新增資料推送訂閱 COSCO。請將以下兩項交給推送方：\nSubscription-ID：")
    assert "\n金鑰：" in out
    assert main(["feeds", "remove", "MAERSK"]) == 1
    assert capsys.readouterr().err == "portcrm: 沒有名為 MAERSK 的資料推送訂閱。\n"
