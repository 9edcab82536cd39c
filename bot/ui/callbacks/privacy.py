"""Callback data of the privacy notice and the /privacy screen (no ids: the person is the one pressing),
and of the staff's erasure of a deletion request (a request id; the service checks the role)."""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

from portcrm.services.privacy.rights import ERASE_PREFIX, Consent

NOTICE: Literal["n"] = "n"  # the notice shown right after linking
PRIVACY: Literal["p"] = "p"  # the /privacy screen


class ConsentToggle(CallbackData, prefix="cons"):
    """Set one consent to `on`: the wanted value, not a flip, so an old or doubled press is harmless."""

    screen: Literal["n", "p"]
    consent: Consent
    on: bool


class NoticeDone(CallbackData, prefix="pnd"):
    pass


class DeletionStep(CallbackData, prefix="pdel"):
    step: Literal["ask", "yes", "no"]


class ErasureAsk(CallbackData, prefix=ERASE_PREFIX):
    """An admin's or manager's Erase button on a deletion request (the core writes it into the alert)."""

    request_id: int


class ErasureConfirm(CallbackData, prefix="perx"):
    request_id: int
    go: bool  # False: cancelled


class DataCopy(CallbackData, prefix="pcopy"):
    """A copy of the presser's own data: no id, the presser is the person."""
