"""A bare aiogram 3 echo bot: the floor that `bench.chat_throughput` measures the whole stack against.

It is configured like the real bot's client (`bot.runtime.app.build_bot`: the same session, API server and
parse mode) and polls the same way, and does nothing else: no database, no middlewares, no storage, and none
of PortCRM imported. Each message is echoed; each button press is answered and echoed as a new message, so
every update costs the user one visible reply, as in the real bot.

    .venv/bin/python -m bench.echo_bot --api http://127.0.0.1:8081 --token 123:ABC
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import CallbackQuery, Message


async def echo_message(message: Message) -> None:
    await message.answer(html.escape(message.text or "…"))


async def echo_press(query: CallbackQuery) -> None:
    await query.answer()
    if query.message is not None:
        await query.message.answer(html.escape(query.data or "…"))


def build_echo_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.message.register(echo_message)
    dispatcher.callback_query.register(echo_press)
    return dispatcher


async def run_echo_polling(api: str, token: str) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api))
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    await bot.delete_webhook(drop_pending_updates=False)
    await build_echo_dispatcher().start_polling(bot, handle_signals=True, close_bot_session=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="the Bot API server, e.g. the sandbox's base URL")
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run_echo_polling(args.api, args.token))


if __name__ == "__main__":
    main()
