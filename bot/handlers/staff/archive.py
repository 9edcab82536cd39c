"""Staff keep the customer archive: /edit changes a field their department owns, /contact keeps contacts."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import archive as form
from bot.forms.steps import advance
from bot.handlers.errors import Reply, on_refusal
from bot.handlers.filters import HasRole
from bot.ui.button_replies import answer, reply
from bot.ui.callbacks.archive import (
    ArchiveConfirm,
    ArchiveFieldPick,
    ArchiveValue,
    ContactAdd,
    ContactFieldPick,
    ContactPick,
)
from bot.ui.keyboards.archive import (
    choices_keyboard,
    confirm_keyboard,
    contact_fields_keyboard,
    contacts_keyboard,
    fields_keyboard,
)
from bot.ui.views.archive import company, confirm_text, contacts_text, fields_text, prompt
from portcrm.enums import Role
from portcrm.services.archive import customers, fields
from portcrm.services.archive import edits as archive
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings


def _editor(identity: Identity) -> fields.Editor:
    assert identity.staff_id is not None  # the staff router's filter
    return fields.Editor(identity.staff_id, identity.roles)


async def edit(message: Message, command: CommandObject, session: AsyncSession, identity: Identity) -> None:
    code = (command.args or "").strip()
    if not code:
        await message.answer(_("Usage: /edit CUSTOMER_CODE"))
        return
    customer = await customers.by_code(session, code)
    editable = fields.editable_fields(_editor(identity))
    await message.answer(fields_text(customer, editable), reply_markup=fields_keyboard(customer.id, editable))


async def field_picked(
    query: CallbackQuery,
    callback_data: ArchiveFieldPick,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await _ask(
        query,
        state,
        session,
        identity,
        callback_data.customer_id,
        0,
        fields.FIELD_CODES.get(callback_data.code, ""),
    )


async def contact_field_picked(
    query: CallbackQuery,
    callback_data: ContactFieldPick,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    name = fields.CONTACT_FIELD_CODES.get(callback_data.code, "")
    await _ask(query, state, session, identity, 0, callback_data.contact_id, name)


async def _ask(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    customer_id: int,
    contact_id: int,
    name: str,
) -> None:
    now = await archive.preview_change(
        session, customer_id, name, None, _editor(identity), contact_id=contact_id
    )
    old = await fields.display(session, now.field, now.old, _)
    await reply(query, prompt(now.field, now.customer, old, now.contact), choices_keyboard(now.field))
    await form.start_edit(state, now.field, now.customer.id, contact_id)  # once asked (bot/forms/steps.py)
    await answer(query)


async def value_typed(message: Message, state: FSMContext, session: AsyncSession, identity: Identity) -> None:
    await _preview(message, state, session, identity, message.text or "")


async def value_pressed(
    query: CallbackQuery,
    callback_data: ArchiveValue,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    await answer(query)
    if isinstance(query.message, Message):
        await _preview(query.message, state, session, identity, callback_data.value)


async def _preview(
    message: Message, state: FSMContext, session: AsyncSession, identity: Identity, raw: str
) -> None:
    draft = await form.DRAFT.read(state)
    change = await archive.preview_change(
        session,
        int(draft.get("customer_id") or 0),
        str(draft.get("field")),
        raw,
        _editor(identity),
        contact_id=int(draft.get("contact_id") or 0),
    )
    old = await fields.display(session, change.field, change.old, _)
    new = await fields.display(session, change.field, change.new, _)
    await message.answer(
        confirm_text(change.field, change.customer, old, new), reply_markup=confirm_keyboard()
    )
    await form.keep_value(state, raw)  # once the confirmation is asked for (bot/forms/steps.py)


async def confirmed(
    query: CallbackQuery,
    callback_data: ArchiveConfirm,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    draft = await form.DRAFT.read(state)
    await state.clear()
    await answer(query)
    if not isinstance(query.message, Message):
        return
    if not callback_data.save:
        await query.message.edit_text(_("Cancelled. Nothing was saved."))
        return
    editor, raw, name = _editor(identity), str(draft.get("raw") or ""), str(draft.get("field"))
    if draft.get("contact_id"):
        change = await archive.update_contact_field(session, int(draft["contact_id"]), name, raw, editor)
    else:
        change = await archive.update_field(
            session,
            int(draft.get("customer_id") or 0),
            name,
            raw,
            editor,
            default_locale=settings.default_locale,
        )
    old = await fields.display(session, change.field, change.old, _)
    new = await fields.display(session, change.field, change.new, _)
    lines = [
        _("Saved. <b>{field}</b> of {company}: {old} → {new}").format(
            field=_(fields.field_label(change.field)),
            company=company(change.customer),
            old=old,
            new=new,
        )
    ]
    if change.informed:
        lines.append(
            _("{name}, the account manager, has been informed.").format(name=html.escape(change.informed))
        )
    await query.message.edit_text("\n".join(lines))


async def stale_confirm(query: CallbackQuery) -> None:
    await answer(query, _("This button is no longer valid."), alert=True)


async def contacts(
    message: Message, command: CommandObject, session: AsyncSession, identity: Identity
) -> None:
    code = (command.args or "").strip()
    if not code:
        await message.answer(_("Usage: /contact CUSTOMER_CODE"))
        return
    customer, people = await archive.contacts_of(session, code, _editor(identity))
    await message.answer(contacts_text(customer, people), reply_markup=contacts_keyboard(customer.id, people))


async def contact_picked(
    query: CallbackQuery, callback_data: ContactPick, session: AsyncSession, identity: Identity
) -> None:
    now = await archive.preview_change(
        session, 0, "name", None, _editor(identity), contact_id=callback_data.contact_id
    )
    await answer(query)
    if isinstance(query.message, Message):
        text = _("Which field of {contact} do you want to change?").format(contact=html.escape(str(now.old)))
        await query.message.answer(text, reply_markup=contact_fields_keyboard(callback_data.contact_id))


async def add_pressed(
    query: CallbackQuery,
    callback_data: ContactAdd,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    customer = await archive.contact_customer(session, callback_data.customer_id, _editor(identity))
    question = _("New contact of {company}: send their name. Send /cancel to stop.")
    await reply(query, question.format(company=company(customer)))
    await form.DRAFT.start(state, customer_id=customer.id)  # once asked (bot/forms/steps.py)
    await state.set_state(form.ContactForm.name)
    await answer(query)


async def name_typed(message: Message, state: FSMContext) -> None:
    await form.DRAFT.update(state, name=message.text or "")
    question = message.answer(_("Now send their phone number or email address."))
    await advance(state, form.ContactForm.reach, question)


async def reach_typed(message: Message, state: FSMContext, session: AsyncSession, identity: Identity) -> None:
    draft = await form.DRAFT.read(state)
    contact = await archive.add_contact(
        session,
        int(draft.get("customer_id") or 0),
        _editor(identity),
        name=str(draft.get("name") or ""),
        reach=message.text or "",
    )
    await state.clear()
    await message.answer(_("Contact {name} added.").format(name=html.escape(contact.name)))


async def not_text(message: Message) -> None:
    await message.answer(_("Please send the value as text, or /cancel to stop."))


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."))


def build_router() -> Router:
    """Market, operations, finance and managers; the service decides which fields each may change."""
    router = Router(name=__name__)
    allowed = HasRole(Role.MARKET, Role.OPERATIONS, Role.FINANCE, Role.MANAGER)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    in_form = StateFilter(
        form.ArchiveForm.value, form.ArchiveForm.confirm, form.ContactForm.name, form.ContactForm.reach
    )
    typed = (F.text, ~F.text.startswith("/"))
    # a value refused as such may be corrected; the customer or the right to the field gone ends the form
    leaving = on_refusal(leave=FSMContext.clear)
    router.message.register(cancel, Command("cancel"), in_form)
    router.message.register(edit, Command("edit"))
    router.message.register(contacts, Command("contact"))
    router.message.register(value_typed, StateFilter(form.ArchiveForm.value), *typed, flags=leaving)
    router.message.register(name_typed, StateFilter(form.ContactForm.name), *typed)
    router.message.register(reach_typed, StateFilter(form.ContactForm.reach), *typed, flags=leaving)
    router.message.register(not_text, in_form, ~F.text)
    router.callback_query.register(field_picked, ArchiveFieldPick.filter())
    router.callback_query.register(contact_field_picked, ContactFieldPick.filter())
    router.callback_query.register(contact_picked, ContactPick.filter())
    router.callback_query.register(add_pressed, ContactAdd.filter())
    router.callback_query.register(
        value_pressed,
        ArchiveValue.filter(),
        StateFilter(form.ArchiveForm.value),
        flags=on_refusal(leave=FSMContext.clear, reply=Reply.MESSAGE),  # the button is answered first
    )
    router.callback_query.register(
        confirmed,
        ArchiveConfirm.filter(),
        StateFilter(form.ArchiveForm.confirm),
        flags=on_refusal(reply=Reply.EDIT),  # the confirmation's message says why nothing was saved
    )
    router.callback_query.register(stale_confirm, ArchiveConfirm.filter())
    return router
