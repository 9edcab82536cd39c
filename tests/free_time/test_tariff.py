"""The tariff: the built-in file, a file that replaces it, customers' agreements, and what a bad file says."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest

from portcrm.enums import ShipmentDirection
from portcrm.services.tracking.free_time.equipment import Equipment, EquipmentClass, Size, equipment_of
from portcrm.services.tracking.free_time.tariff import Basis, Charge
from portcrm.services.tracking.free_time.tariff_file import load_tariff, parse_tariff
from portcrm.settings import ConfigError
from tests.free_time.support import TARIFF_TOML

IMPORT, EXPORT = ShipmentDirection.IMPORT, ShipmentDirection.EXPORT
DRY, REEFER, SPECIAL, TANK = EquipmentClass


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("22G1", Equipment(Size.FT20, DRY)),
        ("42G1", Equipment(Size.FT40, DRY)),
        ("45G1", Equipment(Size.FT40, DRY)),  # 45 is a 40 ft box 9'6" high
        ("L5G1", Equipment(Size.FT45, DRY)),
        ("22V1", Equipment(Size.FT20, DRY)),
        ("22B1", Equipment(Size.FT20, DRY)),
        ("45R1", Equipment(Size.FT40, REEFER)),
        ("45RT", Equipment(Size.FT40, REEFER)),  # a type group code
        ("22H0", Equipment(Size.FT20, REEFER)),
        ("42U1", Equipment(Size.FT40, SPECIAL)),
        ("45P3", Equipment(Size.FT40, SPECIAL)),
        ("22S1", Equipment(Size.FT20, SPECIAL)),
        ("22T6", Equipment(Size.FT20, TANK)),
        ("40HC", Equipment(Size.FT40, DRY)),  # the yard's shorthand: a 40 ft high cube, not a 40 ft H box
        ("45hq", Equipment(Size.FT45, DRY)),
        (" 20gp ", Equipment(Size.FT20, DRY)),
        ("40RF", Equipment(Size.FT40, REEFER)),
        ("20OT", Equipment(Size.FT20, SPECIAL)),
        ("20TK", Equipment(Size.FT20, TANK)),
        ("12G1", None),  # 10 ft: not priced
        ("M5G1", None),  # 48 ft
        ("22X1", None),
        ("22G", None),
        ("", None),
        (None, None),
    ],
)
def test_a_size_type_code_names_a_length_and_class(code: str | None, expected: Equipment | None) -> None:
    assert equipment_of(code) == expected


class TestBuiltIn:
    def test_prices_every_class_both_ways_and_gives_a_reefer_fewer_days(self) -> None:
        tariff = load_tariff(None)
        assert (tariff.rule.reference, tariff.rule.agreement, tariff.agreements) == ("PORT-2026", False, {})
        for charge in Charge:
            for direction in (IMPORT, EXPORT):
                lines = {kind: tariff.applied("ANY", charge, direction, kind) for kind in EquipmentClass}
                assert all(applied is not None for applied in lines.values()), (charge, direction)
                reefer, dry = lines[REEFER], lines[DRY]
                assert reefer is not None
                assert dry is not None
                assert reefer.line.free_days < dry.line.free_days, (charge, direction)
                assert reefer.line.tiers[0].rates[Size.FT40] > dry.line.tiers[0].rates[Size.FT40]
                for applied in lines.values():
                    assert applied is not None
                    rates = [tier.rates for tier in applied.line.tiers]
                    assert all(a[size] <= b[size] for a, b in itertools.pairwise(rates) for size in Size)
                    assert all(r[Size.FT20] <= r[Size.FT40] <= r[Size.FT45] for r in rates)

    def test_ships_as_package_data(self) -> None:
        pyproject = Path(__file__).parents[2] / "pyproject.toml"
        assert '"portcrm.services.tracking.free_time" = ["default_tariff.toml"]' in pyproject.read_text()


class TestFile:
    def test_a_file_replaces_the_built_in_tariff(self, tmp_path: Path) -> None:
        path = tmp_path / "tariff.toml"
        path.write_text(TARIFF_TOML, encoding="utf-8")
        tariff = load_tariff(path)
        assert tariff.rule.reference == "TEST-1"
        assert tariff.applied("C1", Charge.DEMURRAGE, IMPORT, TANK) is None, "the file's lines only"
        applied = tariff.applied("C1", Charge.DEMURRAGE, IMPORT, SPECIAL)
        assert applied is not None
        assert (applied.line.free_days, applied.line.tiers[2].rates[Size.FT45]) == (5, Decimal("1000.00"))

    def test_an_agreement_overrides_what_it_names_and_inherits_the_rest(self) -> None:
        text = (
            TARIFF_TOML
            + """
[agreements.BIG-01]
reference = "BIG-2026-007"
currency = "USD"

[[agreements.BIG-01.lines]]
charge = "demurrage"
direction = "import"
equipment = ["dry", "reefer"]
free_days = 10

[[agreements.BIG-01.lines]]
charge = "detention"
direction = "import"
equipment = "dry"
tiers = [{ days = 5, 20 = 0, 40 = 0, 45 = 0 }, { 20 = 15.5, 40 = 30, 45 = 35 }]

[[agreements.BIG-01.lines]]
charge = "detention"
direction = "export"
equipment = "tank"
free_days = 3
basis = "working"
tiers = [{ 20 = 1, 40 = 2, 45 = 3 }]
currency = "EUR"
"""
        )
        tariff = parse_tariff(text, "test")
        dry = tariff.applied("BIG-01", Charge.DEMURRAGE, IMPORT, DRY)
        assert dry is not None
        assert (dry.rule.reference, dry.rule.agreement) == ("BIG-2026-007", True)
        port_dry = tariff.applied("C1", Charge.DEMURRAGE, IMPORT, DRY)
        assert port_dry is not None
        assert (dry.line.free_days, dry.line.basis, dry.line.currency) == (10, Basis.CALENDAR, "CNY")
        assert dry.line.tiers == port_dry.line.tiers, "free days only: the port's tiers, in their currency"
        detention = tariff.applied("BIG-01", Charge.DETENTION, IMPORT, DRY)
        assert detention is not None
        assert (detention.line.free_days, detention.line.currency) == (7, "USD")
        assert [t.rates[Size.FT20] for t in detention.line.tiers] == [Decimal("0.00"), Decimal("15.50")]
        tank = tariff.applied("BIG-01", Charge.DETENTION, EXPORT, TANK)
        assert tank is not None
        assert (tank.line.free_days, tank.line.basis, tank.line.currency) == (3, Basis.WORKING, "EUR")
        special = tariff.applied("BIG-01", Charge.DEMURRAGE, IMPORT, SPECIAL)
        assert special is not None
        assert special.rule.reference == "TEST-1", "what the agreement does not name stays the port's"

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"PORTCRM_TARIFF_FILE: .*nowhere\.toml does not exist"):
            load_tariff(tmp_path / "nowhere.toml")


LINE = """
[[lines]]
charge = "demurrage"
direction = "import"
equipment = "dry"
free_days = 7
basis = "calendar"
tiers = [{ days = 3, 20 = 1, 40 = 2, 45 = 3 }, { 20 = 4, 40 = 5, 45 = 6 }]
"""
HEAD = 'reference = "T"\ncurrency = "CNY"\n'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("reference = ", "is not valid TOML"),
        ('reference = "T"\n' + LINE, "the top level: currency is missing"),
        ('currency = "CNY"\n' + LINE, "the top level: reference must name"),
        (HEAD + "colour = 1\n", "the top level: unknown key 'colour'"),
        (HEAD + 'currency = "yuan"\n', "is not valid TOML"),
        ('reference = "T"\ncurrency = "yuan"\n', "currency 'yuan' must be an ISO 4217 code"),
        (HEAD + LINE.replace('"demurrage"', '"storage"'), "lines[0] charge: 'storage' is not one of"),
        (HEAD + LINE.replace('"import"', '"transshipment"'), "only import and export boxes are charged"),
        (HEAD + LINE.replace('"dry"', '["dry", "flat"]'), "lines[0] equipment: 'flat' is not one of"),
        (HEAD + LINE.replace('"dry"', "[]"), "lines[0]: an empty list names nothing"),
        (HEAD + LINE.replace("free_days = 7", "free_days = 0"), "lines[0]: free_days 0 must be"),
        (HEAD + LINE.replace("free_days = 7", "free_days = true"), "lines[0]: free_days True must be"),
        (HEAD + LINE.replace("free_days = 7\n", ""), "lines[0]: free_days is missing"),
        (HEAD + LINE.replace('"calendar"', '"business"'), "lines[0] basis: 'business' is not one of"),
        (HEAD + LINE.replace("{ 20 = 4,", "{ days = 9, 20 = 4,"), "tiers[1]: the last tier is open-ended"),
        (HEAD + LINE.replace("days = 3, ", ""), "tiers[0]: days None must be a whole number"),
        (HEAD + LINE.replace(", 45 = 6", ""), "lines[0] tiers[1] 45: the daily rate is missing"),
        (HEAD + LINE.replace("45 = 6", "45 = -6"), "rate -6 must be an amount of at least 0"),
        (HEAD + LINE.replace("45 = 6", "45 = 6.125"), "rate 6.125 must be an amount"),
        (HEAD + LINE.replace("45 = 6", '45 = "6"'), "rate '6' must be an amount"),
        (HEAD + LINE.replace("45 = 6", "45 = 6, 53 = 7"), "tiers[1]: unknown key '53'"),
        (HEAD + LINE.replace("tiers = [", "tiers = []\nx = ["), "unknown key 'x'"),
        (
            HEAD + LINE + LINE.replace('"dry"', '["reefer", "dry"]'),
            "lines[1]: demurrage import dry is priced twice",
        ),
        (HEAD + "lines = 3\n", "lines: expected an array of tables"),
        (
            HEAD + LINE + '[agreements.A]\nreference = "A-1"\n[[agreements.A.lines]]\ncharge = "detention"\n'
            'direction = "import"\nequipment = "dry"\nfree_days = 9\n',
            "agreements.A.lines[0]: the port's tariff has no detention import dry line to take basis from",
        ),
        (
            HEAD + LINE + '[agreements.A]\nreference = "A-1"\n[[agreements.A.lines]]\ncharge = "demurrage"\n'
            'direction = "import"\nequipment = "dry"\ncurrency = "USD"\n',
            "agreements.A.lines[0]: currency goes with tiers",
        ),
        (
            HEAD + LINE + '[agreements.A]\n[[agreements.A.lines]]\ncharge = "demurrage"\n'
            'direction = "import"\nequipment = "dry"\n',
            "agreements.A: reference must name",
        ),
        (HEAD + LINE + "[agreements]\nA = 1\n", "agreements.A: expected a table"),
    ],
)
def test_a_bad_file_stops_start_up_with_one_line_naming_the_place(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "tariff.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_tariff(path)
    message = str(raised.value)
    assert message.startswith(f"PORTCRM_TARIFF_FILE: {path}")
    assert says in message
    assert "\n" not in message
