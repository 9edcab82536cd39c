"""Webhook mode: updates arrive as POSTs carrying the secret token; anything else is refused unread."""

from __future__ import annotations

import aiohttp

from bot.runtime.webhook import HEALTH_PATH, Listen, serving, webhook_secret
from portcrm.i18n import gettext_for
from portcrm.settings import Settings
from sandbox import BotAPISandbox

TOKEN = "7000004:PORTCRM-webhook-token"


async def test_a_webhook_instance_answers_updates_and_refuses_a_post_without_the_secret(
    database_url: str,
) -> None:
    async with BotAPISandbox() as sandbox:
        sandbox.add_bot(TOKEN, username="portcrm_webhook_bot")
        settings = Settings(
            _env_file=None,
            bot_token=TOKEN,
            database_url=database_url,
            telegram_api_url=sandbox.base_url,
            run_scheduler=False,
        )
        user = sandbox.add_user(9501, "Visitor", language_code="en")
        # Telegram would reach the instance through the proxy; here the instance listens on a free port
        listen = Listen("127.0.0.1", 0)
        async with serving(settings, "http://127.0.0.1:1/hook", listen) as port:
            hook = sandbox.state.bots[TOKEN].webhook
            assert hook is not None
            assert hook.secret_token == webhook_secret(settings)
            hook.url = f"http://127.0.0.1:{port}/hook"  # the proxy's forwarding, in one line

            reply = await sandbox.wait_for_reply(
                user, after=sandbox.send_text(TOKEN, user, "/help"), token=TOKEN
            )
            assert gettext_for("en")("/services") in reply.text

            sender = {"id": 9501, "is_bot": False, "first_name": "Mallory"}
            chat = {"id": 9501, "type": "private"}
            forged = {
                "update_id": 99,
                "message": {"message_id": 1, "date": 0, "chat": chat, "from": sender, "text": "/help"},
            }
            async with aiohttp.ClientSession() as client:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                    async with client.post(
                        f"http://127.0.0.1:{port}/hook", json=forged, headers=headers
                    ) as answer:
                        assert answer.status == 401
                async with client.get(f"http://127.0.0.1:{port}{HEALTH_PATH}") as answer:
                    assert (answer.status, await answer.json()) == (200, {"ok": True})
            await sandbox.wait_idle(quiet=0.3)
            assert len(sandbox.messages(user.id, TOKEN)) == 1  # the forged updates reached no handler


def test_the_derived_secret_is_shared_by_instances_and_allowed_by_telegram() -> None:
    one = Settings(_env_file=None, bot_token=TOKEN)
    assert webhook_secret(one) == webhook_secret(Settings(_env_file=None, bot_token=TOKEN))
    assert webhook_secret(one) != webhook_secret(Settings(_env_file=None, bot_token="7000004:other"))
    assert len(webhook_secret(one)) <= 256
    assert webhook_secret(one).replace("_", "").replace("-", "").isalnum()
    chosen = Settings(_env_file=None, bot_token=TOKEN, webhook_secret="port-secret_1")
    assert webhook_secret(chosen) == "port-secret_1"
