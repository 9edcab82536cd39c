"""Operations desk: /event records one cargo event (in one line or step by step), /events imports a file.

A file goes through the same all-or-nothing import as the CLI: any bad row and nothing is written.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import tempfile
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Document, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms.cargo_event import DRAFT, CargoEventForm, EventsUpload, event_type_of, parse_port_time
from bot.forms.steps import advance
from bot.handlers.errors import Reply, on_refusal
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer, reply, settle
from bot.ui.callbacks.operations import EventNow, EventSkipPlace, EventTypeChoice
from bot.ui.keyboards.operations import event_type_keyboard, now_keyboard, skip_keyboard
from portcrm.audit import Actor
from portcrm.enums import CargoEventType, Role
from portcrm.importing import ImportKind, ImportReport, import_rows, read_table
from portcrm.labels import CARGO_EVENT_NAMES
from portcrm.port_time import format_port_time
from portcrm.services.identity.users import Identity
from portcrm.services.receivables.ledger import fit
from portcrm.services.tracking.events import record_cargo_event
from portcrm.settings import Settings

log = logging.getLogger(__name__)

MAX_UPLOAD = 5 * 1024 * 1024
MAX_ERROR_LINES = 30
_TEXT = F.text & ~F.text.startswith("/")  # commands (/cancel) pass through to their handlers


async def event(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    args = (command.args or "").split()
    if not args:
        await message.answer(
            _("Which shipment? Send its B/L, booking or container number.")
            + "\n"
            + _("Send /cancel to stop at any time.")
        )
        await DRAFT.reset(state)  # once asked (bot/forms/steps.py)
        await state.set_state(CargoEventForm.reference)
        return
    event_type = event_type_of(args[1]) if len(args) > 1 else None
    if event_type is None:
        await message.answer(
            _("Usage: /event REFERENCE EVENT_TYPE [YYYY-MM-DD HH:MM] [place]\nEvent types: {types}").format(
                types=", ".join(t.value for t in CargoEventType)
            )
        )
        return
    occurred_at = parse_port_time(" ".join(args[2:4]), settings.tz) if len(args) >= 4 else None
    place = " ".join(args[4:] if occurred_at else args[2:]) or None
    await _record(message, session, identity, settings, args[0], event_type, occurred_at, place)


async def reference_given(message: Message, state: FSMContext) -> None:
    await DRAFT.update(state, reference=(message.text or "").strip()[:64])
    question = message.answer(_("What happened?"), reply_markup=event_type_keyboard())
    await advance(state, CargoEventForm.event_type, question)


async def event_type_chosen(query: CallbackQuery, callback_data: EventTypeChoice, state: FSMContext) -> None:
    await DRAFT.update(state, event_type=callback_data.event_type.value)
    question = _("When, on the port's clock? Send YYYY-MM-DD HH:MM, or press Now.")
    await advance(state, CargoEventForm.time, reply(query, question, now_keyboard()))
    await settle(query, _("Event: {event}").format(event=_(CARGO_EVENT_NAMES[callback_data.event_type])))


async def time_given(message: Message, state: FSMContext, settings: Settings) -> None:
    at = parse_port_time(message.text or "", settings.tz)
    if at is None:
        await message.answer(
            _("Please send the time as YYYY-MM-DD HH:MM, or press Now."), reply_markup=now_keyboard()
        )
        return
    await _ask_place(message, state, at)


async def now_chosen(query: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await answer(query)
    if isinstance(query.message, Message):
        await _ask_place(query.message, state, dt.datetime.now(settings.tz))


async def _ask_place(message: Message, state: FSMContext, at: dt.datetime) -> None:
    await DRAFT.update(state, occurred_at=at.isoformat())
    question = message.answer(_("Where? Send the place, or press Skip."), reply_markup=skip_keyboard())
    await advance(state, CargoEventForm.place, question)


async def place_given(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    await _finish(message, state, session, identity, settings, (message.text or "").strip() or None)


async def place_skipped(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, identity: Identity, settings: Settings
) -> None:
    await answer(query)
    if isinstance(query.message, Message):
        await _finish(query.message, state, session, identity, settings, None)


async def _finish(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    place: str | None,
) -> None:
    draft = await DRAFT.read(state)
    await state.clear()
    await _record(
        message,
        session,
        identity,
        settings,
        draft["reference"],
        CargoEventType(draft["event_type"]),
        dt.datetime.fromisoformat(draft["occurred_at"]),
        place,
    )


async def _record(
    message: Message,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    reference: str,
    event_type: CargoEventType,
    occurred_at: dt.datetime | None,
    place: str | None,
) -> None:
    assert identity.staff_id is not None
    at = occurred_at or dt.datetime.now(settings.tz)
    await record_cargo_event(
        session,
        reference,
        event_type,
        at,
        place,
        staff_id=identity.staff_id,
        tz=settings.tz,
        default_locale=settings.default_locale,
    )
    await message.answer(
        _("Recorded: {event} for {reference} at {time}.").format(
            event=_(CARGO_EVENT_NAMES[event_type]),
            reference=html.escape(reference),
            time=format_port_time(at, settings.tz, identity.locale),
        )
    )


async def events(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    if message.document is None:
        question = message.answer(
            _("Send the cargo events as a .csv or .xlsx file (at most 5 MB).")
            + "\n"
            + _("Send /cancel to stop at any time.")
        )
        await advance(state, EventsUpload.file, question)
        return
    await upload(message, state, session, identity, settings, bot)


async def upload(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    bot: Bot,
) -> None:
    document = message.document
    assert document is not None
    assert identity.staff_id is not None
    await state.clear()
    suffix = Path(document.file_name or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        await message.answer(_("Please send a .csv or .xlsx file."))
        return
    if (document.file_size or 0) > MAX_UPLOAD:
        await message.answer(_("That file is larger than 5 MB; please split it."))
        return
    actor = Actor(label=f"staff:{identity.staff_id}", source="chat", staff_id=identity.staff_id)
    rows = await _read(bot, document, suffix)
    report = await import_rows(
        session,
        ImportKind.CARGO_EVENTS,
        rows,
        actor=actor,
        tz=settings.tz,
        default_locale=settings.default_locale,
    )
    await message.answer(_report_text(report))


async def _read(bot: Bot, document: Document, suffix: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows; read_table wants a path, so the download goes to a private temporary file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        await bot.download(document, destination=path)
        return await asyncio.to_thread(read_table, path)


def _report_text(report: ImportReport) -> str:
    if report.ok:
        return _("Imported {rows} row(s): {created} new, {updated} updated, {unchanged} unchanged.").format(
            rows=report.rows, created=report.created, updated=report.updated, unchanged=report.unchanged
        )
    lines = [_("Nothing was imported: fix these rows and send the file again.")]
    lines += [
        _("Row {row}: {problem}").format(row=error.row, problem=html.escape(error.render(_)))
        for error in report.errors[:MAX_ERROR_LINES]
    ]
    if len(report.errors) > MAX_ERROR_LINES:
        lines.append(_("… and {count} more").format(count=len(report.errors) - MAX_ERROR_LINES))
    return fit(lines)


async def waiting_for_file(message: Message) -> None:
    await message.answer(_("Please send a .csv or .xlsx file."))


def build_router() -> Router:
    """Operations department and managers."""
    router = Router(name=__name__)
    allowed = HasRole(Role.OPERATIONS, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    recording = on_refusal(frame=__("Not recorded: {reason}"))
    importing = on_refusal(frame=__("Nothing was imported: {reason}"))
    router.message.register(event, Command("event"), flags=recording)
    router.message.register(events, Command("events"), flags=importing)
    router.message.register(upload, StateFilter(EventsUpload.file), F.document, flags=importing)
    router.message.register(waiting_for_file, StateFilter(EventsUpload.file), _TEXT)
    router.message.register(reference_given, StateFilter(CargoEventForm.reference), _TEXT)
    router.callback_query.register(
        event_type_chosen, StateFilter(CargoEventForm.event_type), EventTypeChoice.filter()
    )
    router.message.register(time_given, StateFilter(CargoEventForm.time), _TEXT)
    router.callback_query.register(now_chosen, StateFilter(CargoEventForm.time), EventNow.filter())
    router.message.register(place_given, StateFilter(CargoEventForm.place), _TEXT, flags=recording)
    router.callback_query.register(
        place_skipped,
        StateFilter(CargoEventForm.place),
        EventSkipPlace.filter(),
        flags=on_refusal(reply=Reply.MESSAGE, frame=__("Not recorded: {reason}")),  # answered before
    )
    return router
