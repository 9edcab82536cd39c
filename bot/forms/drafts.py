"""A form's draft: one JSON object under the form's own key of the conversation data.

A form keeps what it has gathered so far under its key ("complaint", "visit", ...) of the FSM data, which
the conversation storage writes at once (bot/pipeline/fsm.py), so a half-filled form survives a restart.
Only JSON values go in: ids, codes, text, ISO dates. The key is part of the stored format: a draft written
before a change must still read after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram.fsm.context import FSMContext


@dataclass(frozen=True, slots=True)
class Draft:
    key: str

    async def start(self, state: FSMContext, **values: Any) -> dict[str, Any]:
        """A fresh draft holding `values`: the conversation's other data (an earlier form's) is dropped."""
        await state.set_data({self.key: values})
        return dict(values)

    async def reset(self, state: FSMContext) -> None:
        """An empty draft, the conversation's other data kept (finance's pending payment, say)."""
        await state.update_data({self.key: {}})

    async def read(self, state: FSMContext) -> dict[str, Any]:
        """A copy of the draft; empty when there is none."""
        return dict((await state.get_data()).get(self.key) or {})

    async def update(self, state: FSMContext, **values: Any) -> dict[str, Any]:
        """The draft with `values` set (the rest of the conversation's data kept); returns it."""
        draft = {**await self.read(state), **values}
        await state.update_data({self.key: draft})
        return draft

    async def drop(self, state: FSMContext) -> dict[str, Any]:
        """Removes the draft, keeping the rest of the conversation's data; returns what it held."""
        data = await state.get_data()
        draft = data.pop(self.key, None) or {}
        await state.set_data(data)
        return dict(draft)
