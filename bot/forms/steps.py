"""A form moves to a step only once the step's question has reached the user.

The question goes first and the state that waits for its answer is set afterwards (`advance`). When
Telegram never takes the question, its retries spent, the form stays where it was: the user still has the
last question and its buttons (a prompt is settled only after the next question is out, see
bot/ui/button_replies.py), and answering or pressing again asks again. Set first, the state would wait for
the answer to a question nobody saw, and the buttons that could ask it again would be gone.

A form that starts sends its first question before writing its draft and state, for the same reason. A
form that ends is the other way round: its record is committed, so the state is cleared before the reply,
and an answer typed again cannot make the record twice. A paused form that resumes asks its question
again first, too (bot/handlers/paused_forms.py); the question is kept with the form (questions.py).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State

T = TypeVar("T")


async def advance(state: FSMContext, step: State, question: Awaitable[T]) -> T:
    """Sends the question, then moves the form to `step`; returns what sending returned."""
    sent = await question
    await state.set_state(step)
    return sent
