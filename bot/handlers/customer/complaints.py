"""/complaint: category → shipment → description → files → confirm, then one submit that makes one ticket."""

from __future__ import annotations

import dataclasses
import html
import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms.complaint import DRAFT, ComplaintForm, attachments_of, start_draft, to_draft
from bot.forms.steps import advance
from bot.handlers.customer import complaint_followup
from bot.ui.button_replies import SEND_FAILURES, answer, drop_buttons, send, settle
from bot.ui.callbacks.complaints import (
    ComplaintCategoryChoice,
    ComplaintDraftStep,
    ComplaintShipmentChoice,
    DraftAction,
)
from bot.ui.keyboards.complaints import category_keyboard, confirm_keyboard, files_keyboard, shipment_keyboard
from bot.ui.views.complaints import files_prompt, shipment_label, summary
from portcrm.labels import COMPLAINT_CATEGORY_NAMES
from portcrm.services.complaints.intake import (
    AttachmentDraft,
    Confirmation,
    add_attachment,
    check_text,
    choose_shipment,
    confirmation_not_sent,
    confirmation_sent,
    shipment_choices,
    submit_complaint,
    submitted_by_key,
)
from portcrm.services.identity.users import Identity
from portcrm.settings import Settings

log = logging.getLogger(__name__)


async def start(message: Message, state: FSMContext) -> None:
    await message.answer(
        _("<b>New complaint</b>\nWhat is it about?") + "\n\n" + _("Send /cancel to stop at any time."),
        reply_markup=category_keyboard(),
    )
    await start_draft(state)  # once the question is out (bot/forms/steps.py)


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Complaint cancelled. Nothing was sent."))


async def category_chosen(
    query: CallbackQuery,
    callback_data: ComplaintCategoryChoice,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    assert identity.customer_id is not None
    await answer(query)  # first: the next question may take its retries, the button must not spin
    shipments = await shipment_choices(session, identity.customer_id)
    await DRAFT.update(state, category=callback_data.category.value)
    if shipments:
        question = send(query, _("Which shipment is it about?"), shipment_keyboard(shipments))
        await advance(state, ComplaintForm.shipment, question)
    else:
        await _ask_description(query, state)
    await settle(
        query, _("Category: {category}").format(category=_(COMPLAINT_CATEGORY_NAMES[callback_data.category]))
    )


async def shipment_chosen(
    query: CallbackQuery,
    callback_data: ComplaintShipmentChoice,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
) -> None:
    assert identity.customer_id is not None
    label = None
    if callback_data.shipment_id:
        label = shipment_label(
            await choose_shipment(session, identity.customer_id, callback_data.shipment_id)
        )
    await answer(query)  # after a refusal could have been its answer, before the question's retries
    await DRAFT.update(state, shipment_id=callback_data.shipment_id or None, shipment_label=label)
    await _ask_description(query, state)
    await settle(query, _("Shipment: {shipment}").format(shipment=html.escape(label or _("none"))))


async def description_given(message: Message, state: FSMContext) -> None:
    draft = await DRAFT.update(state, description=check_text(message.text))
    question = message.answer(files_prompt(0), reply_markup=files_keyboard(draft["key"], any_added=False))
    await advance(state, ComplaintForm.attachments, question)


async def file_received(message: Message, state: FSMContext) -> None:
    draft = await DRAFT.read(state)
    if message.photo:
        photo = message.photo[-1]  # the largest size
        new = AttachmentDraft("photo", photo.file_id, None, "image/jpeg", photo.file_size)
    else:
        assert message.document is not None
        doc = message.document
        new = AttachmentDraft("document", doc.file_id, doc.file_name, doc.mime_type, doc.file_size)
    attachments = add_attachment(attachments_of(draft), new)
    values: dict[str, Any] = {"attachments": [dataclasses.asdict(a) for a in attachments]}
    if message.caption:  # a caption is part of what the customer says: keep it with the description
        values["description"] = check_text(f"{draft['description']}\n\n{message.caption}")
    await DRAFT.update(state, **values)
    await message.answer(
        files_prompt(len(attachments)), reply_markup=files_keyboard(draft["key"], any_added=True)
    )


async def files_done(query: CallbackQuery, callback_data: ComplaintDraftStep, state: FSMContext) -> None:
    draft = await DRAFT.read(state)
    if draft.get("key") != callback_data.key:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await answer(query)
    await advance(state, ComplaintForm.confirm, send(query, summary(draft), confirm_keyboard(draft["key"])))
    await drop_buttons(query)


async def submit(
    query: CallbackQuery,
    callback_data: ComplaintDraftStep,
    state: FSMContext,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
) -> None:
    """Stores the draft once, and tells the customer its ticket in a message until they have had it: a
    press again (or the update replayed after a crash) finds the complaint and sends what is still due."""
    draft = await DRAFT.read(state)
    assert identity.customer_id is not None
    if draft.get("key") == callback_data.key and await state.get_state() == ComplaintForm.confirm.state:
        submission = await submit_complaint(
            session,
            to_draft(draft, identity),
            tz=settings.tz,
            default_locale=settings.default_locale,
            confirm_in_chat=True,
        )
        await state.clear()
    else:  # pressed again after the draft became a complaint, or a button of a discarded draft
        submission = await submitted_by_key(
            session, identity.customer_id, callback_data.key, default_locale=settings.default_locale
        )
    # the press first: its answer has Telegram's 15 s, and the confirmation's tries could take them all
    await answer(query, _("Complaint {ticket} submitted.").format(ticket=submission.complaint.ticket))
    if submission.confirmation is not None:
        await _confirm(query, session, submission.confirmation)
    await drop_buttons(query)


async def discard(query: CallbackQuery, callback_data: ComplaintDraftStep, state: FSMContext) -> None:
    if (await DRAFT.read(state)).get("key") != callback_data.key:
        await answer(query, _("This button is no longer valid."), alert=True)
        return
    await state.clear()
    await settle(query, _("Complaint cancelled. Nothing was sent."))


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or send /cancel to stop."))


async def describe_in_words(message: Message) -> None:
    await message.answer(
        _("Please describe the problem in words first; you can add photos and documents in the next step.")
    )


async def send_files(message: Message) -> None:
    await message.answer(_("Please send photos or documents, or press the button above when you are done."))


async def _ask_description(query: CallbackQuery, state: FSMContext) -> None:
    question = _("Please describe the problem: what happened, when, and what you expect from us.")
    await advance(state, ComplaintForm.description, send(query, question))


async def _confirm(query: CallbackQuery, session: AsyncSession, confirmation: Confirmation) -> None:
    """The confirmation in the chat now; when Telegram will not take it, the outbox sends it instead."""
    assert query.bot is not None
    try:
        sent = await query.bot.send_message(confirmation.chat_id, confirmation.text)
    except SEND_FAILURES as error:
        log.warning("the confirmation of a complaint is left to the outbox: %s", error)
        await confirmation_not_sent(session, confirmation)
        return
    await confirmation_sent(session, confirmation, sent.message_id)


def build_router() -> Router:
    router = Router(name=__name__)
    form = StateFilter(ComplaintForm)
    not_command = ~F.text.startswith("/")
    router.message.register(start, Command("complaint"))
    router.message.register(cancel, Command("cancel"), form)
    router.callback_query.register(category_chosen, ComplaintCategoryChoice.filter(), ComplaintForm.category)
    router.callback_query.register(shipment_chosen, ComplaintShipmentChoice.filter(), ComplaintForm.shipment)
    router.callback_query.register(
        files_done, ComplaintDraftStep.filter(F.action == DraftAction.DONE), ComplaintForm.attachments
    )
    router.callback_query.register(submit, ComplaintDraftStep.filter(F.action == DraftAction.SUBMIT))
    router.callback_query.register(discard, ComplaintDraftStep.filter(F.action == DraftAction.CANCEL))
    router.message.register(description_given, ComplaintForm.description, F.text, not_command)
    router.message.register(describe_in_words, ComplaintForm.description, ~F.text)
    router.message.register(file_received, ComplaintForm.attachments, F.photo | F.document)
    router.message.register(send_files, ComplaintForm.attachments, not_command)
    router.message.register(
        use_the_buttons,
        StateFilter(ComplaintForm.category, ComplaintForm.shipment, ComplaintForm.confirm),
        not_command,
    )
    router.include_router(complaint_followup.build_router())
    return router
