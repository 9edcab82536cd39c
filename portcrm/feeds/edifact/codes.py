"""Which code means which event, per partner: the built-in table with each partner's changes laid over it.

Terminals use their own status codes, so the table a message is read with depends on who sent it (the
sender identification of its UNB). The built-in table is `default_codes.toml`, shipped in this package;
the partners' changes come from the TOML file `PORTCRM_EDI_PARTNERS_FILE` names:

    [partners."YSCT"]                      # the UNB sender identification, as sent
    name = "Yangshan Phase IV"             # optional
    [partners."YSCT".codeco.documents]     # BGM 1001 of a CODECO -> gate_in | gate_out
    [partners."YSCT".coarri.documents]     # BGM 1001 of a COARRI -> discharged | loaded
    [partners."YSCT".iftsta.statuses]      # STS status code -> any cargo event type
    "30" = "customs_hold"
    [partners."YSCT".iftsta]
    ignore = ["55"]                        # valid codes not tracked: skipped with a note
    [partners."YSCT".dates]                # DTM qualifier -> ACT | EST | PLN

A partner's codes win over the built-in ones; its ignore list adds to the built-in one. Anything the file
says that is not understood stops start-up with one line naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from portcrm.enums import CargoEventType, TimeClassifier
from portcrm.settings import ConfigError

GATES = frozenset({CargoEventType.GATE_IN, CargoEventType.GATE_OUT})
VESSEL_WORK = frozenset({CargoEventType.DISCHARGED, CargoEventType.LOADED})
_TABLES = {"codeco": ("documents",), "coarri": ("documents",), "iftsta": ("statuses", "ignore")}


@dataclass(frozen=True, slots=True)
class Codes:
    codeco: Mapping[str, CargoEventType]  # BGM document code -> GATE_IN | GATE_OUT
    coarri: Mapping[str, CargoEventType]  # BGM document code -> DISCHARGED | LOADED
    statuses: Mapping[str, CargoEventType]  # IFTSTA STS code
    ignored: frozenset[str]  # IFTSTA STS codes known and not tracked
    times: Mapping[str, TimeClassifier]  # DTM qualifier


@dataclass(frozen=True, slots=True)
class PartnerCodes:
    default: Codes
    partners: Mapping[str, Codes]
    names: Mapping[str, str]

    def for_sender(self, sender: str) -> Codes:
        return self.partners.get(sender, self.default)


def load_codes(partners_file: Path | None = None) -> PartnerCodes:
    """The built-in codes, and each partner's; raises ConfigError in one line on anything not understood."""
    builtin = resources.files(__package__).joinpath("default_codes.toml").read_text(encoding="utf-8")
    default = _codes(tomllib.loads(builtin), None, "default_codes.toml", "")
    if partners_file is None:
        return PartnerCodes(default, {}, {})
    try:
        raw = tomllib.loads(partners_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"PORTCRM_EDI_PARTNERS_FILE: cannot read {partners_file}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"PORTCRM_EDI_PARTNERS_FILE: {partners_file} is not valid TOML: {error}") from None
    where = str(partners_file)
    _only(raw, {"partners"}, where, "")
    partners, names = {}, {}
    for sender, table in _table(raw, "partners", where, "").items():
        key = f"partners.{sender}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: {key} must be a table")
        name = table.pop("name", sender)
        if not isinstance(name, str):
            raise ConfigError(f"{where}: {key}.name must be text")
        partners[sender], names[sender] = _codes(table, default, where, key), name
    return PartnerCodes(default, partners, names)


def _codes(raw: dict[str, Any], base: Codes | None, where: str, prefix: str) -> Codes:
    _only(raw, {*_TABLES, "dates"}, where, prefix)
    for section, keys in _TABLES.items():
        _only(_table(raw, section, where, prefix), set(keys), where, _join(prefix, section))
    codeco = _events(raw, "codeco", "documents", where, prefix, GATES)
    coarri = _events(raw, "coarri", "documents", where, prefix, VESSEL_WORK)
    statuses = _events(raw, "iftsta", "statuses", where, prefix, frozenset(CargoEventType))
    ignore = _table(raw, "iftsta", where, prefix).get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(code, str) for code in ignore):
        raise ConfigError(f"{where}: {_join(prefix, 'iftsta.ignore')} must be a list of codes (text)")
    times = {}
    for qualifier, value in _table(raw, "dates", where, prefix).items():
        try:
            times[qualifier] = TimeClassifier(value)
        except ValueError:
            raise ConfigError(
                f"{where}: {_join(prefix, f'dates.{qualifier}')}: {value!r} is not ACT, EST or PLN"
            ) from None
    if base is None:
        return Codes(codeco, coarri, statuses, frozenset(ignore), times)
    return Codes(
        {**base.codeco, **codeco},
        {**base.coarri, **coarri},
        {**base.statuses, **statuses},
        base.ignored | frozenset(ignore),
        {**base.times, **times},
    )


def _events(
    raw: dict[str, Any], section: str, table: str, where: str, prefix: str, allowed: frozenset[CargoEventType]
) -> dict[str, CargoEventType]:
    key = _join(prefix, f"{section}.{table}")
    found = {}
    for code, value in _table(_table(raw, section, where, prefix), table, where, key).items():
        if value not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ConfigError(f"{where}: {key}.{code}: {value!r} is not one of {choices}")
        found[code] = CargoEventType(value)
    return found


def _table(raw: dict[str, Any], name: str, where: str, prefix: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {_join(prefix, name)} must be a table")
    return value


def _only(raw: dict[str, Any], known: set[str], where: str, prefix: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {_join(prefix, unknown[0])} (expected {', '.join(sorted(known))})"
        )


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name
