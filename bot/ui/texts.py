"""Translated labels for the core's vocabulary, and rendering of domain errors."""

from __future__ import annotations

import html
from collections.abc import Iterable

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from portcrm.enums import Role
from portcrm.errors import DomainError
from portcrm.labels import role_list

# The port's one-stop service catalogue (domain.md, "Services").
SERVICES = (
    (__("Freight consulting"), __("Routes, schedules, rates and documents, answered by our hotline.")),
    (__("Booking"), __("Space on the vessel you need, confirmed with a booking number.")),
    (__("Customs declaration"), __("Declarations prepared and filed for import and export.")),
    (__("Inspection"), __("Commodity inspection and quarantine arranged with the authorities.")),
    (__("Transport arrangement"), __("Trucking and inland transport to and from the terminal.")),
    (__("Warehousing"), __("Bonded and general warehouses at the port.")),
    (__("Loading and unloading"), __("Stevedoring on the quay for containers and bulk cargo.")),
    (__("Handling"), __("Moving, stuffing and stripping of containers in the yard.")),
    (__("Freight settlement"), __("One statement for freight and port charges.")),
    (__("Insurance agency"), __("Cargo insurance through our partner insurers.")),
)


def roles_text(roles: Iterable[Role]) -> str:
    """The user's-locale names of these roles, joined as their language joins lists."""
    return role_list(roles, _, get_i18n().current_locale)


ECHO_LIMIT = 100  # characters of a parameter quoted back: a typed query may be 4096 long


def error_text(error: DomainError) -> str:
    """The translated message of a domain error, its parameters shortened and HTML-escaped.

    Parameters are often the user's own input quoted back ("No customer matches …"): shortened before
    escaping, so a huge input can neither push the message over Telegram's 4096 nor split an entity.
    """
    params = {key: html.escape(_shortened(str(value)), quote=False) for key, value in error.params.items()}
    return _(error.message).format(**params)


def _shortened(text: str) -> str:
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"
