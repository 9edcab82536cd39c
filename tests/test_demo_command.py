"""`portcrm demo` end to end: seed, sandbox, bot and the terminal chat in one process, no network."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.runtime.cli import main
from portcrm.demo.feed_cargo import IMPORT_BL, IMPORT_BOX
from portcrm.demo.personas import PERSONA_COMPANY
from portcrm.enums import CargoEventType
from portcrm.i18n import gettext_for
from portcrm.labels import CARGO_EVENT_NAMES


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


def test_demo_plays_the_example_feeds_to_the_customer_persona(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the first message the example files arrive by the real paths: the persona sees the discharge,
    both releases and "ready for pick-up" pushed, then /track answers "can I pick up?"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PORTCRM_BOT_TOKEN", raising=False)
    assert main(["demo", "--persona", "customer", "--say", "/start"]) == 0
    out = capsys.readouterr().out
    _ = gettext_for("zh_CN")

    def shown(text: str) -> str:  # as the chat shows it: the HTML's tags parsed away
        return re.sub(r"<[^>]+>", "", text)

    assert "HTTP 204" in out  # the signed DCSA batch was accepted by the demo's own receiver
    for line in ("codeco.edi", "coarri.edi", "iftsta.edi"):
        assert f"examples/feeds/{line}" in out
    discharged = out.index(_(CARGO_EVENT_NAMES[CargoEventType.DISCHARGED]) + " — ")
    customs = out.index(_(CARGO_EVENT_NAMES[CargoEventType.CUSTOMS_RELEASED]) + " — ")
    carrier = out.index(_(CARGO_EVENT_NAMES[CargoEventType.CARRIER_RELEASED]) + " — ")
    ready = out.index(shown(_("<b>Ready for pick-up</b> · {reference}").format(reference=IMPORT_BL)))
    card = out.index(f"> /track {IMPORT_BL}")
    assert discharged < customs < carrier < ready < card
    available = _("{state}: {containers}").format(state=_("available for pick-up"), containers=IMPORT_BOX)
    assert out.index(_("Can I pick up?"), card) < out.index(available, card)


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
