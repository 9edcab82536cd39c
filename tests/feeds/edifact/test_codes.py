"""The partners' code mapping: laid over the built-in codes, and refused in one line when not understood."""

from __future__ import annotations

from pathlib import Path

import pytest

from portcrm.enums import CargoEventType as T
from portcrm.enums import TimeClassifier
from portcrm.feeds.edifact.codes import load_codes
from portcrm.settings import ConfigError

PARTNERS = Path(__file__).parent / "partners.toml"


def test_the_built_in_codes_ship_with_the_package() -> None:
    codes = load_codes().for_sender("ANYONE")
    assert (codes.codeco["34"], codes.codeco["36"]) == (T.GATE_IN, T.GATE_OUT)
    assert (codes.coarri["98"], codes.coarri["270"]) == (T.DISCHARGED, T.LOADED)
    assert codes.statuses["UV"] is T.DISCHARGED
    assert codes.times["132"] is TimeClassifier.ESTIMATED


def test_a_partner_adds_codes_and_keeps_the_built_in_ones() -> None:
    codes = load_codes(PARTNERS)
    partner = codes.for_sender("SIPGYD")
    assert (partner.statuses["25"], partner.statuses["UV"]) == (T.CUSTOMS_HOLD, T.DISCHARGED)
    assert {"99", "RL"} <= partner.ignored
    assert codes.names["SIPGYD"] == "SIPG Yidong terminal"
    assert "25" not in codes.for_sender("YSCT").statuses  # another sender: the built-in codes only


def test_a_partner_may_change_a_built_in_code(tmp_path: Path) -> None:
    path = tmp_path / "partners.toml"
    path.write_text('[partners.T1.coarri.documents]\n"44" = "discharged"\n[partners.T1.dates]\n"2" = "PLN"\n')
    partner = load_codes(path).for_sender("T1")
    assert (partner.coarri["44"], partner.coarri["98"]) == (T.DISCHARGED, T.DISCHARGED)
    assert partner.times["2"] is TimeClassifier.PLANNED


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '[partners.T1.iftsta.statuses]\n"25" = "customs_hld"\n',
            "partners.T1.iftsta.statuses.25: 'customs_hld'",
        ),
        ('[partners.T1.codeco.documents]\n"34" = "loaded"\n', "is not one of gate_in, gate_out"),
        ('[partners.T1.iftsta]\nignored = ["9"]\n', "unknown key partners.T1.iftsta.ignored"),
        ('[partners.T1.dates]\n"7" = "SOON"\n', "partners.T1.dates.7: 'SOON' is not ACT, EST or PLN"),
        ("[partners.T1\n", "is not valid TOML"),
        ('[partner.T1.iftsta]\nignore = ["9"]\n', "unknown key partner"),
        ("[partners.T1.iftsta]\nignore = 9\n", "partners.T1.iftsta.ignore must be a list of codes"),
    ],
)
def test_what_is_not_understood_stops_with_one_line_naming_the_key(
    tmp_path: Path, text: str, line: str
) -> None:
    path = tmp_path / "partners.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_codes(path)
    assert line in str(refused.value)
    assert str(path) in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PORTCRM_EDI_PARTNERS_FILE: cannot read"):
        load_codes(tmp_path / "absent.toml")
