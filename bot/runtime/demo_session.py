"""The demo's conversation: the personas' chats followed as the bot writes to them, and what the user types.

Every message the bot sends to the persona being played is printed when it arrives, whatever caused it: a
reply, a push from the outbox, a report that takes seconds to draw. Messages to the other personas wait until
the user becomes them, announced by one line. A scripted run (`--say`, the tour) waits after each line until
the bot has handled it and has sent the persona everything due, so its output reads in order; a person at
the terminal is never made to wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence

from bot.runtime.demo_screen import PROMPT, Screen
from portcrm.demo import DemoPersona
from portcrm.messaging import inbox, outbox
from portcrm.settings import Settings
from portcrm.storage.db import Database
from sandbox import BotAPISandbox
from sandbox.terminal import LinkButton, NoPhoneNumber, NoSuchButton, TerminalChat

Gettext = Callable[[str], str]
SETTLE_SECONDS = 120.0  # a scripted line's bound: a chart or a workbook takes seconds on a slow machine
FOLLOW_WAKE = 3600.0


class DemoSession:
    """The chats of every persona, the one being played, and what a line typed by the user does."""

    def __init__(
        self,
        sandbox: BotAPISandbox,
        token: str,
        db: Database,
        settings: Settings,
        personas: Sequence[DemoPersona],
        screen: Screen,
        gettext: Gettext,
        *,
        here: tuple[float, float],
        interactive: bool,
    ) -> None:
        self.sandbox, self.db, self.settings, self.screen, self._ = sandbox, db, settings, screen, gettext
        self.personas = {p.key: p for p in personas}
        self.chats = {
            p.key: TerminalChat(
                sandbox,
                token,
                sandbox.add_user(p.telegram_user_id, p.first_name, language_code=p.language_code),
                here=here,
            )
            for p in personas
        }
        self.current: str | None = None
        self._told: set[str] = set()  # personas whose news was announced since they were last played
        self._updates: list[int] = []  # sent since the last settle
        self.interactive = interactive  # a person at a terminal, who may be asked questions

    @property
    def chat(self) -> TerminalChat:
        assert self.current is not None
        return self.chats[self.current]

    # --- what the bot does ---------------------------------------------------------------------------------

    async def follow(self) -> None:
        """Print the bot's messages as they arrive, until cancelled."""
        mark, answers = self.sandbox.mark(), len(self.sandbox.callback_answers)
        self.flush()
        while True:
            await self.sandbox.wait_for_news(mark, answers, timeout=FOLLOW_WAKE)
            mark, answers = self.sandbox.mark(), len(self.sandbox.callback_answers)
            self.flush()

    def flush(self) -> None:
        """What is new: the played persona's messages and toasts in full, a line for any other persona's
        (none while the user is still choosing who to be: they see it all when they become someone)."""
        if self.current is None:
            return
        for message in self.chat.news():
            self.screen.message(message, self.current)
        for answer in self.chat.answers():
            self.screen.answer(answer)
        for key, chat in self.chats.items():
            if key != self.current and key not in self._told and chat.has_news():
                self._told.add(key)
                persona = self.personas[key]
                self.screen.lines(
                    "🔔 "
                    + self._("New for {name}: type :persona {key} to see it.").format(
                        name=persona.first_name, key=key
                    )
                )

    def become(self, key: str) -> None:
        """Play this persona; what arrived for them meanwhile is shown at once."""
        persona, chat = self.personas[key], self.chats[key]
        self.current = key
        self._told.discard(key)
        self.screen.lines(self._("You are now: {description}").format(description=persona.describe(self._)))
        news = chat.news()
        if news:
            self.screen.lines(
                self._("New messages for {name}: {count}").format(name=persona.first_name, count=len(news))
            )
        for message in news:
            self.screen.message(message, key)

    # --- what the user does --------------------------------------------------------------------------------

    def send(self, line: str) -> None:
        """A typed line to the bot: `#N` or `#label` presses a button, anything else is a message."""
        try:
            if line.startswith("#") and len(line) > 1:
                ref = line[1:].strip()
                update = self.chat.press(int(ref) if ref.isdigit() else ref)
            else:
                update = self.chat.send_text(line)
        except NoSuchButton as error:
            self.screen.lines(
                self._("There is no button {button}: the latest message with buttons has {count}.").format(
                    button=line, count=error.count
                )
                if error.count
                else self._("There are no buttons to press now.")
            )
            return
        except LinkButton as error:
            self.screen.lines(self._("That button opens a link: {link}").format(link=error.target))
            return
        except NoPhoneNumber:
            self.screen.lines(self._("This persona has no phone number to share."))
            return
        self.sent(update)

    def sent(self, update: dict[str, object]) -> None:
        update_id = update["update_id"]
        assert isinstance(update_id, int)
        self._updates.append(update_id)

    async def settle(self) -> None:
        """Until the lines sent are handled and every persona was sent what is due:
        so a script's output is the same from run to run, notices of the others' messages included."""
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                while await self._busy():
                    await self.sandbox.wait_for_news(
                        self.sandbox.mark(), len(self.sandbox.callback_answers), timeout=0.1
                    )
        except TimeoutError:
            self.screen.lines(self._("The bot is still busy; going on."))
        self._updates.clear()
        self.flush()

    async def _busy(self) -> bool:
        async with self.db.session() as session:
            if not await inbox.all_handled(session, self._updates):
                return True
            chats = [p.telegram_user_id for p in self.personas.values()]
            return await outbox.unsent_to(session, chats) > 0

    async def read(self, prompt: str = PROMPT) -> str | None:
        """A line from the terminal (None at end of input), read on a daemon thread: the loop goes on
        printing, and Ctrl-C is not held up by a read that never returns."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def deliver(line: str | None) -> None:
            if not future.done():
                future.set_result(line)

        def work() -> None:
            try:
                line: str | None = input(prompt)
            except EOFError:
                line = None
            with contextlib.suppress(RuntimeError):  # the demo ended while this read waited
                loop.call_soon_threadsafe(deliver, line)

        self.screen.prompting = prompt == PROMPT
        threading.Thread(target=work, name="demo-input", daemon=True).start()
        try:
            return await future
        finally:
            self.screen.prompting = False
