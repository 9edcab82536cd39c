"""The command menu each audience sees in Telegram, installed with setMyCommands scopes.

Everyone gets the default menu in their app's language; a linked customer or a staff member gets a menu for
their own chat (BotCommandScopeChat) with what their roles allow, in their chosen locale.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __

from portcrm.enums import Role
from portcrm.services.identity.users import Identity

EVERYONE = (
    ("start", __("Start and show what I can do")),
    ("help", __("What I can do for you")),
    ("services", __("The port's services")),
    ("language", __("Change the language")),
)
CUSTOMER: tuple[tuple[str, object], ...] = (
    ("track", __("Cargo status by B/L, booking or container number")),
    ("shipments", __("Your active shipments")),
    ("complaint", __("File a complaint")),
    ("complaints", __("Your complaints and their status")),
    ("balance", __("Open invoices and available credit")),
    ("ask", __("Ask your account manager a question")),
    ("privacy", __("Your personal data and consent choices")),
)
STAFF: tuple[tuple[str, object], ...] = (
    ("whoami", __("Your staff profile and roles")),
    ("find", __("Find a customer by code, name, pinyin or phone")),
    ("history", __("A customer's change history")),
)
MARKETING: tuple[tuple[str, object], ...] = (("invite", __("An invite link for a customer's contact")),)
FIELD: tuple[tuple[str, object], ...] = (
    ("visit", __("Log a visit or call with a customer")),
    ("today", __("Revisits due today and overdue")),
    ("mailbox", __("Mails to the complaint mailbox from unknown senders")),
    ("lead", __("Record a new prospect (lead)")),
    ("leads", __("Open leads: status and conversion")),
)
FINANCE: tuple[tuple[str, object], ...] = (
    ("overdue", __("Overdue receivables by age, and the ledger")),
    ("payment", __("Record a payment against an invoice")),
    ("credit", __("A customer's credit rating and limits")),
    ("limit", __("Set a customer's credit limit")),
)
OPERATIONS: tuple[tuple[str, object], ...] = (
    ("event", __("Record a cargo event")),
    ("events", __("Import cargo events from a .csv or .xlsx file")),
)
ARCHIVE: tuple[tuple[str, object], ...] = (
    ("edit", __("Change a customer's archive (your department's part)")),
    ("contact", __("A customer's contacts: add or change")),
)
DESK: tuple[tuple[str, object], ...] = (("queue", __("Open complaints your department handles")),)
EXPORTS: tuple[tuple[str, object], ...] = (("export", __("The archive, complaints or visits in Excel")),)
MANAGER: tuple[tuple[str, object], ...] = (
    ("report", __("Charts: grades, complaints, receivables, revisits, service quality")),
    ("grades", __("Grade proposals to approve or reject")),
)
PRIVACY_DESK: tuple[tuple[str, object], ...] = (
    ("privacy_requests", __("Personal data deletion requests to carry out")),
)
ADMIN = (
    ("staff", __("Staff members and their roles")),
    ("addstaff", __("Add a staff member by Telegram ID and name")),
    ("broadcast", __("Send a message to a segment of customers")),
)

# Telegram keys menus by two-letter language code only, so Traditional Chinese users get theirs per chat.
_DEFAULT_MENU_LANGUAGES = (("", None), ("en", "en"), ("zh", "zh_CN"))


def menu_for(identity: Identity | None) -> list[tuple[str, object]]:
    menu = list(EVERYONE)
    if identity is not None and identity.is_customer:
        menu += CUSTOMER
    if identity is not None and identity.is_staff:
        menu += STAFF
    if identity is not None and identity.has_any(Role.MARKET, Role.MANAGER, Role.ADMIN):
        menu += MARKETING
    if identity is not None and identity.has_any(Role.MARKET, Role.MANAGER):
        menu += FIELD
    if identity is not None and identity.has_any(Role.FINANCE, Role.MANAGER):
        menu += FINANCE
    if identity is not None and identity.has_any(Role.OPERATIONS, Role.MANAGER):
        menu += OPERATIONS
    if identity is not None and identity.has_any(Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER):
        menu += ARCHIVE
    if identity is not None and identity.has_any(Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER):
        menu += DESK
        menu += EXPORTS
    if identity is not None and identity.has_any(Role.MANAGER):
        menu += MANAGER
    if identity is not None and identity.has_any(Role.MANAGER, Role.ADMIN):
        menu += PRIVACY_DESK
    if identity is not None and identity.has_any(Role.ADMIN):
        menu += ADMIN
    return menu


def _translated(menu: list[tuple[str, object]], i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.context(), i18n.use_locale(locale):
        return [BotCommand(command=name, description=str(text)) for name, text in menu]


async def install_default_menus(bot: Bot, i18n: I18n) -> None:
    for language_code, locale in _DEFAULT_MENU_LANGUAGES:
        commands = _translated(list(EVERYONE), i18n, locale or i18n.default_locale)
        await bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language_code or None
        )


async def install_personal_menu(bot: Bot, i18n: I18n, identity: Identity) -> None:
    """A chat-scoped menu: only staff and linked customers differ from the default one."""
    if not (identity.is_staff or identity.is_customer):
        return
    commands = _translated(menu_for(identity), i18n, identity.locale)
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=identity.telegram_user_id))
