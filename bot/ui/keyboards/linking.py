"""The reply keyboard of linking by phone: who is offered it, and what a refusal leaves on screen.

`phone_refused` and `invite_refused` are the `markup` of the handlers' refusal flags (bot/handlers/errors.py).
"""

from __future__ import annotations

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from portcrm.errors import DomainError, Forbidden
from portcrm.services.identity.users import Identity


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=_("Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


def phone_refused(error: DomainError, identity: Identity) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """A wrong contact can be retried with the button; any other refusal ends the phone route."""
    return share_phone_keyboard() if isinstance(error, Forbidden) else ReplyKeyboardRemove()


def share_phone_for(identity: Identity) -> ReplyKeyboardMarkup | None:
    """Unlinked users may link by sharing their own phone number, if the port has it on file."""
    return None if identity.is_staff or identity.is_customer else share_phone_keyboard()


def invite_refused(error: DomainError, identity: Identity) -> ReplyKeyboardMarkup | None:
    """A refused invite link leaves the other way in: sharing one's phone number."""
    return share_phone_for(identity)
