"""`portcrm demo` end to end: seed, sandbox, bot and the terminal chat in one process, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime.cli import main
from portcrm.demo.personas import PERSONA_COMPANY
from portcrm.i18n import gettext_for


def test_demo_chats_as_a_persona_and_presses_numbered_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PORTCRM_BOT_TOKEN", raising=False)
    argv = ["demo", "--persona", "customer", "--say", "/start", "--say", "/language", "--say", "#3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    welcome = gettext_for("zh_CN")("Welcome back, {contact} of {company}.")
    assert welcome.format(contact="李娜", company=PERSONA_COMPANY) in out
    assert "[#3] English" in out
    assert "Language set to English." in out
    assert (tmp_path / "portcrm-demo.db").exists()


def test_demo_without_a_terminal_runs_a_short_tour_and_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0  # pytest's stdin is not a terminal
    out = capsys.readouterr().out
    assert "> /start" in out
    assert "> /help" in out


def test_an_unknown_persona_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--persona", "captain"]) == 2
