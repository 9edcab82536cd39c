"""Attaching the desk group: `/desk_attach` in the group and `portcrm desk attach|show|detach`."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runtime import cli_desk
from bot.runtime.cli import main
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import DeskGroup
from portcrm.services.complaints import topics
from sandbox import BotAPISandbox
from tests.desk.support import DESK, Desk, running_desk
from tests.factories import make_staff
from tests.harness import TOKEN

_ = gettext_for("en")
REFUSED = "Only a staff member with the admin role who is also an administrator of this group can attach it."


async def _attached(desk: Desk) -> int | None:
    async with desk.app.db.session() as session:
        chat = await session.scalar(select(DeskGroup.chat_id))
        await session.commit()
    return chat


async def _command(desk: Desk, user_id: int) -> str:
    user = desk.sandbox.state.users[user_id]
    update = desk.sandbox.send_text(TOKEN, user, "/desk_attach", chat=desk.group)
    reply = await desk.sandbox.wait_for_reply(desk.group, after=update, token=TOKEN)
    return reply.text or ""


async def test_desk_attach_in_the_group_needs_the_admin_role_and_a_group_administrator(
    database_url: str,
) -> None:
    async with running_desk(database_url) as desk:
        complaint = await desk.file()
        assert await _command(desk, desk.staff.id) == REFUSED, "staff without the admin role"
        async with desk.app.db.session() as session:
            await make_staff(session, telegram_user_id=desk.stranger.id, name="赵", roles=(Role.ADMIN,))
            await session.commit()
        assert await _command(desk, desk.stranger.id) == REFUSED, "admin role, not a group administrator"
        assert await _attached(desk) is None
        said = await _command(desk, desk.admin.id)
        assert said == _(
            "This group is now the complaint desk. Open complaints getting a topic: {count}."
        ).format(count=1)
        assert await _attached(desk) == DESK
        await desk.topic_of(complaint.id)  # the catch-up


def _no_topic_rights(sandbox: BotAPISandbox) -> None:
    group = sandbox.add_group(DESK, "desk", "supergroup", is_forum=True)
    sandbox.make_admin(group, next(iter(sandbox.state.bots.values())).bot, can_manage_topics=False)


async def test_desk_attach_says_when_the_bot_cannot_manage_topics(database_url: str) -> None:
    async with running_desk(database_url, before_start=_no_topic_rights) as desk:
        said = await _command(desk, desk.admin.id)
        assert said == _("The bot must be an administrator of the group with the right to manage topics.")
        assert await _attached(desk) is None


async def test_the_cli_attaches_a_forum_and_refuses_a_group_without_topics(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_desk(database_url) as desk:
        plain = desk.sandbox.add_group(-1009000000002, "plain", "supergroup")
        desk.sandbox.make_admin(
            plain, next(iter(desk.sandbox.state.bots.values())).bot, can_manage_topics=True
        )
        with pytest.raises(topics.NotAForum):
            await cli_desk.desk_attach(argparse.Namespace(chat_id=plain.id), desk.app.settings, _)
        assert await _attached(desk) is None
        complaint = await desk.file()
        assert await cli_desk.desk_attach(argparse.Namespace(chat_id=DESK), desk.app.settings, _) == 0
        assert "open complaints getting a topic: 1" in capsys.readouterr().out
        assert await _attached(desk) == DESK
        await desk.topic_of(complaint.id)


def test_desk_show_and_detach_and_a_bad_chat_id(
    database_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORTCRM_DATABASE_URL", f"sqlite+aiosqlite:///{database_path}")
    monkeypatch.setenv("PORTCRM_DEFAULT_LOCALE", "en")
    assert main(["desk", "show"]) == 0
    assert capsys.readouterr().out.strip() == "No complaint desk group is attached."
    assert main(["desk", "attach", "12345"]) == 1, "a private chat's id"
    assert capsys.readouterr().err.strip() == "portcrm: That chat is not a supergroup with topics enabled."
    assert main(["desk", "detach"]) == 1
    with pytest.raises(SystemExit) as exited:
        main(["desk", "attach", "desk"])
    assert exited.value.code == 2
