"""Forms left for a command, kept aside until the user takes them up again.

A text starting with "/" is never a form's answer: it is a command, and the command runs. The form it
interrupts is paused: its state and data move, whole, to a shelf of the same conversation under another
storage destiny (SHELF), where finishing or cancelling another form (`state.clear()`) cannot reach them.
The shelf holds one paused form per kind, by its states group (kinds.py). Resuming puts the form back as
it was: its step, its draft, its questions (questions.py); data the conversation gained meanwhile is kept.
Erasing a person's data empties their shelf too (bot/handlers/staff/privacy.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey

from bot.forms.kinds import group_of

SHELF = "paused"  # the storage destiny of paused forms; the live conversation is aiogram's "default"


@dataclass(frozen=True, slots=True)
class PausedForm:
    group: str  # the states group, e.g. "ComplaintForm"
    state: str  # the step it was at
    data: dict[str, Any]  # the conversation's data when it was paused: the draft and the questions


def shelf_key(key: StorageKey) -> StorageKey:
    return dataclasses.replace(key, destiny=SHELF)


def _shelf(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=shelf_key(state.key))


async def pause(state: FSMContext) -> PausedForm | None:
    """Puts the form in progress aside (one of its kind paused earlier is replaced); None when none is."""
    current = await state.get_state()
    if current is None:
        return None
    paused = PausedForm(group_of(current), current, await state.get_data())
    shelf = _shelf(state)
    await shelf.update_data({paused.group: {"state": paused.state, "data": paused.data}})
    await state.clear()  # only once it is safe on the shelf
    return paused


async def paused_form(state: FSMContext, group: str) -> PausedForm | None:
    kept = (await _shelf(state).get_data()).get(group)
    return PausedForm(group, kept["state"], dict(kept["data"])) if kept else None


async def paused_forms(state: FSMContext) -> list[PausedForm]:
    """Every form of the conversation on the shelf."""
    kept = await _shelf(state).get_data()
    return [PausedForm(group, form["state"], dict(form["data"])) for group, form in kept.items() if form]


async def resume(state: FSMContext, paused: PausedForm) -> PausedForm | None:
    """Back to the paused form's step with its data; called once its question is out again
    (bot/forms/steps.py). A form in progress takes its place on the shelf (returned); without one, data
    the conversation gained meanwhile (a pending payment) is kept."""
    shelf = _shelf(state)
    kept = await shelf.get_data()
    current, live = await state.get_state(), await state.get_data()
    left = PausedForm(group_of(current), current, live) if current is not None else None
    if left is not None:  # on the shelf before it leaves the conversation
        kept[left.group] = {"state": left.state, "data": left.data}
        await shelf.set_data(kept)
        live = {}
    await state.set_data({**paused.data, **live})
    await state.set_state(paused.state)
    if left is None or left.group != paused.group:
        kept.pop(paused.group, None)
        await shelf.set_data(kept)
    return left


async def discard(state: FSMContext, group: str) -> None:
    shelf = _shelf(state)
    kept = await shelf.get_data()
    if group in kept:
        del kept[group]
        await shelf.set_data(kept)


async def discard_all(state: FSMContext) -> list[str]:
    """Every paused form of the conversation discarded; the groups they were."""
    groups = [form.group for form in await paused_forms(state)]
    if groups:
        await _shelf(state).set_data({})
    return groups


async def forget_all(storage: BaseStorage, key: StorageKey) -> None:
    """Every paused form of a conversation, gone (their drafts hold what the person typed)."""
    await storage.set_data(shelf_key(key), {})
