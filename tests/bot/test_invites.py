"""One-time invite links: /start CODE links the user to one contact of one company, exactly once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portcrm.i18n import gettext_for
from portcrm.models import Contact, Invite
from portcrm.services.identity.invites import create_invite
from tests.factories import make_contact, make_customer
from tests.harness import RunningBot


async def _invite(app: RunningBot, ttl: dt.timedelta = dt.timedelta(days=7)) -> tuple[str, int]:
    async with app.db.session() as session:
        customer = await make_customer(session, code="NBF001", name="宁波远洋货代有限公司")
        contact = await make_contact(session, customer, name="王芳")
        await session.commit()
        invite, _, _ = await create_invite(session, "nbf001", ttl=ttl)
        return invite.code, contact.id


async def test_invite_links_the_user_and_cannot_be_used_again(app: RunningBot) -> None:
    code, contact_id = await _invite(app)
    reply = await app.say(app.user(4001, language_code="zh-hans"), f"/start {code}")
    assert "王芳" in reply.text
    assert "宁波远洋货代有限公司" in reply.text
    async with app.db.session() as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        assert contact.telegram_user_id == 4001
    again = await app.say(app.user(4002, language_code="en"), f"/start {code}")
    assert (
        again.text == "This invite link has already been used. Please ask your account manager for a new one."
    )
    async with app.db.session() as session:
        linked = await session.scalars(select(Contact.telegram_user_id).where(Contact.id == contact_id))
        assert linked.all() == [4001]


async def test_expired_and_unknown_codes_get_clear_replies(app: RunningBot) -> None:
    code, _ = await _invite(app)
    async with app.db.session() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        invite.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        await session.commit()
    _zh = gettext_for("zh_CN")
    expired = await app.say(app.user(4101, language_code="zh-hans"), f"/start {code}")
    assert expired.text == _zh("This invite link has expired. Please ask your account manager for a new one.")
    unknown = await app.say(app.user(4102, language_code="zh-hans"), "/start AAAAbbbbCCCC")
    not_valid = "This invite link is not valid. Please ask your account manager for a new one."
    assert unknown.text == _zh(not_valid)
