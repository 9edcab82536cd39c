"""Linking by sharing one's own phone number, the PIPL notice after any link, and its consent buttons."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bot.handlers.linking import LANGUAGE_ON_FILE, PRIVACY_NOTICE
from portcrm.enums import Role
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, Contact
from portcrm.services.identity.invites import create_invite
from sandbox import SandboxUser, SentMessage
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

SHARE = "Share my phone number"
NO_MATCH = (
    "I could not link your account with this phone number. "
    "Please ask your account manager for a personal invite link."
)
NOT_OWN = (
    "Only your own phone number can link your account. "
    "Please press the “Share my phone number” button instead of sending a contact."
)
LINK_FIRST = "This is for the port's customers, once your Telegram account is linked to your company."
NOT_AVAILABLE = "I don't know that command, or it is not available to you. Send /help to see what I can do."


async def _contact(app: RunningBot, phone: str, **kw: object) -> int:
    async with app.db.session() as session:
        customer = await make_customer(session, name="宁波远洋货代有限公司")
        contact = await make_contact(session, customer, name="王芳", phone=phone, **kw)
        await session.commit()
        return contact.id


async def _linked_user(app: RunningBot, contact_id: int) -> int | None:
    async with app.db.session() as session:
        contact = await session.get(Contact, contact_id)
        await session.commit()
        assert contact is not None
        return contact.telegram_user_id


async def _share(
    app: RunningBot,
    user: SandboxUser,
    phone: str,
    contact_user_id: int | None = None,
    forwarded_from: SandboxUser | None = None,
) -> list[SentMessage]:
    mark = app.sandbox.mark()
    update = app.sandbox.send_contact(
        TOKEN, user, phone, contact_user_id=contact_user_id, forwarded_from=forwarded_from
    )
    await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)  # then any further replies
    await app.settled()
    return app.sandbox.replies(user, mark, token=TOKEN)


async def test_start_offers_unlinked_users_a_share_phone_button(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=8002, roles=(Role.MARKET,))
        await session.commit()
    reply = await app.say(app.user(8001, language_code="zh-hans"), "/start")
    _ = gettext_for("zh_CN")
    assert reply.keyboard == [[_(SHARE)]]
    assert reply.reply_markup is not None
    assert reply.reply_markup["keyboard"][0][0]["request_contact"] is True
    assert reply.reply_markup["one_time_keyboard"] is True
    staff_reply = await app.say(app.user(8002, language_code="en"), "/start")
    assert staff_reply.keyboard == []


async def test_sharing_ones_own_registered_number_links_and_shows_the_notice(app: RunningBot) -> None:
    contact_id = await _contact(app, "+8613912345678")
    user = app.user(8011, "王芳", language_code="zh-hans")
    await app.say(user, "/start")
    welcome, notice = await _share(app, user, "8613912345678", contact_user_id=user.id)
    _ = gettext_for("zh_CN")
    assert welcome.text is not None
    assert welcome.text.startswith(
        _("Welcome, {contact}! Your Telegram account is now linked to {company}.").format(
            contact="王芳", company="宁波远洋货代有限公司"
        )
    )
    assert welcome.reply_markup == {"remove_keyboard": True}
    assert notice.text is not None
    assert "宁波远洋货代有限公司" in notice.text
    labels = [label for row in notice.buttons for label, _data in row]
    assert labels == [
        "⬜ " + _("Festival and birthday greetings"),
        "⬜ " + _("News and offers"),
        _("Done"),
    ]
    assert await _linked_user(app, contact_id) == 8011
    async with app.db.session() as session:
        contact = await session.get(Contact, contact_id)
        await session.commit()
        assert contact is not None
        assert contact.privacy_notice_at is not None
        assert (contact.consent_greetings, contact.consent_marketing) == (False, False)
    menu = [c["command"] for c in app.sandbox.commands({"type": "chat", "chat_id": 8011}, token=TOKEN)]
    assert {"balance", "privacy"} <= set(menu), "the customer menu is installed on linking"


async def test_a_forwarded_or_someone_elses_contact_never_links(app: RunningBot) -> None:
    contact_id = await _contact(app, "+8613912340001")
    owner = app.user(8021, "王芳", language_code="en")
    other = app.user(8022, "Mallory", language_code="en")
    # the owner's own contact card, forwarded by someone else
    forwarded = await _share(app, other, "8613912340001", contact_user_id=owner.id, forwarded_from=owner)
    # someone else's contact card sent directly
    foreign = await _share(app, other, "8613912340001", contact_user_id=owner.id)
    # the user's own id on the card, but forwarded: still not proof
    forged = await _share(app, other, "8613912340001", contact_user_id=other.id, forwarded_from=owner)
    # a contact card without a Telegram account behind it
    bare = await _share(app, other, "8613912340001")
    for replies in (forwarded, foreign, forged, bare):
        assert [m.text for m in replies] == [NOT_OWN]
        assert replies[0].keyboard == [[SHARE]], "the share button is offered again"
    assert await _linked_user(app, contact_id) is None


async def test_unknown_and_already_linked_numbers_get_a_polite_refusal(app: RunningBot) -> None:
    linked_id = await _contact(app, "+8613912340002", telegram_user_id=8099)
    user = app.user(8031, language_code="zh-hant")
    _ = gettext_for("zh_TW")
    unknown = await _share(app, user, "8613900000001", contact_user_id=user.id)
    assert [m.text for m in unknown] == [_(NO_MATCH)]
    assert unknown[0].reply_markup == {"remove_keyboard": True}
    taken = await _share(app, user, "8613912340002", contact_user_id=user.id)
    assert [m.text for m in taken] == [
        _(
            "This phone number is already linked to another Telegram account. "
            "Please ask your account manager for a personal invite link."
        )
    ]
    assert await _linked_user(app, linked_id) == 8099
    reply = await app.say(user, "/balance")
    assert reply.text is not None
    assert _("Open invoices and available credit") in reply.text, "still unlinked: told how to link"


@pytest.mark.parametrize(
    ("language_code", "locale"), [("zh-hans", "zh_CN"), ("en", "en"), ("zh-hant", "zh_TW")]
)
async def test_a_customer_command_before_linking_says_what_it_is_for_and_how_to_link(
    app: RunningBot, language_code: str, locale: str
) -> None:
    """Regression: /track and /balance from an unlinked user answered "I don't know that command"."""
    user = app.user(8041, language_code=language_code)
    _ = gettext_for(locale)
    for command, purpose in (
        ("/track MSKU1234565", "Cargo status by B/L, booking or container number"),
        ("/balance", "Open invoices and available credit"),
        ("/complaint", "File a complaint"),
    ):
        reply = await app.say(user, command)
        assert reply.text == "\n".join(
            [
                f"{command.split()[0]} — {_(purpose)}",
                "",
                _(LINK_FIRST),
                _("To use the customer service, open the invite link your account manager sends you."),
                _("If the port has your phone number on file, you can also press “Share my phone number”."),
            ]
        )
        assert reply.keyboard == [[_(SHARE)]], "the other way to link is one press away"
        assert reply.text != _(NOT_AVAILABLE)
        if locale != "en":
            assert _(LINK_FIRST) != LINK_FIRST, f"{locale} has no translation"
    staff_only = await app.say(user, "/overdue")
    assert staff_only.text == _(NOT_AVAILABLE), "a staff command stays unknown to outsiders"
    help_reply = await app.say(user, "/help")
    assert help_reply.text is not None
    assert _("To use the customer service, open the invite link your account manager sends you.") in (
        help_reply.text
    )
    services = await app.say(user, "/services")
    assert services.text is not None
    assert services.text.startswith(re.sub(r"</?b>", "", _("<b>Our services</b>")))


async def test_consent_buttons_change_the_contact_and_are_audited(app: RunningBot) -> None:
    contact_id = await _contact(app, "+8613912340003")
    user = app.user(8051, language_code="en")
    _welcome, notice = await _share(app, user, "+8613912340003", contact_user_id=user.id)
    edited = await app.press(user, notice, "⬜ Festival and birthday greetings")
    assert [label for row in edited.buttons for label, _data in row][:2] == [
        "✅ Festival and birthday greetings",
        "⬜ News and offers",
    ]
    edited = await app.press(user, edited, "⬜ News and offers")
    edited = await app.press(user, edited, "✅ News and offers")
    done = await app.press(user, edited, "Done")
    assert done.buttons == []
    assert done.text is not None
    assert done.text.endswith(
        "Your choices are saved: festival and birthday greetings on, news and offers off."
    )
    async with app.db.session() as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        assert (contact.consent_greetings, contact.consent_marketing) == (True, False)
        audit = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_id == contact_id, AuditEntry.field.like("consent_%"))
                .order_by(AuditEntry.id)
            )
        ).all()
        await session.commit()
    assert [(e.field, e.new_value, e.actor, e.source) for e in audit if e.action == "update"] == [
        ("consent_greetings", "True", "telegram:8051", "chat"),
        ("consent_marketing", "True", "telegram:8051", "chat"),
        ("consent_marketing", "False", "telegram:8051", "chat"),
    ]


async def test_an_invite_link_also_ends_with_the_privacy_notice(app: RunningBot) -> None:
    async with app.db.session() as session:
        customer = await make_customer(session, code="NBINV1", name="宁波邀请货代有限公司")
        contact = await make_contact(session, customer, name="陈静")
        await session.commit()
        invite, _c, _cu = await create_invite(session, "NBINV1", ttl=dt.timedelta(days=1))
    user = app.user(8061, language_code="zh-hant")
    mark = app.sandbox.mark()
    await app.say(user, f"/start {invite.code}")
    await app.settled()
    replies = app.sandbox.replies(user, mark, token=TOKEN)
    _ = gettext_for("zh_TW")
    assert len(replies) == 2
    assert replies[0].reply_markup == {"remove_keyboard": True}
    assert replies[1].text == re.sub(r"</?b>", "", _(PRIVACY_NOTICE).format(company="宁波邀请货代有限公司"))
    assert await _linked_user(app, contact.id) == 8061
    pressed = await app.press(user, replies[1], "⬜ " + _("News and offers"))
    assert pressed.buttons[1][0][0] == "✅ " + _("News and offers")


async def _invite_for(app: RunningBot, code: str, locale: str | None, phone: str) -> str:
    async with app.db.session() as session:
        customer = await make_customer(session, code=code, name="宁波语言货代有限公司")
        await make_contact(session, customer, name="周敏", locale=locale, phone=phone)
        await session.commit()
        invite, _c, _cu = await create_invite(session, code, ttl=dt.timedelta(days=1))
    return invite.code


def _what_i_can_do(locale: str) -> str:
    return re.sub(r"</?b>", "", gettext_for(locale)("<b>What I can do for you</b>"))


def _welcome(locale: str, *, told: bool) -> str:
    """The first line of the link welcome, and the language line when the stored locale took over."""
    _ = gettext_for(locale)
    welcome = _("Welcome, {contact}! Your Telegram account is now linked to {company}.").format(
        contact="周敏", company="宁波语言货代有限公司"
    )
    names = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}
    return welcome + ("\n\n" + _(LANGUAGE_ON_FILE).format(language=names[locale]) if told else "")


@pytest.mark.parametrize(
    ("telegram", "before", "stored"), [("en", "en", "zh_CN"), ("zh-hans", "zh_CN", "en")]
)
async def test_linking_speaks_the_stored_language_from_the_welcome_on_and_says_so_once(
    app: RunningBot, telegram: str, before: str, stored: str
) -> None:
    """Regression: the link welcome came in the Telegram app's language and everything after it in the
    contact's stored one, unexplained."""
    code = await _invite_for(app, "NBLANG", stored, "+8613912347001")
    user = app.user(8071, "周敏", language_code=telegram)
    hello = await app.say(user, "/help")
    assert hello.text is not None
    assert hello.text.startswith(_what_i_can_do(before)), "unlinked: Telegram's language"
    mark = app.sandbox.mark()
    await app.say(user, f"/start {code}")
    await app.settled()
    welcome, notice = app.sandbox.replies(user, mark, token=TOKEN)
    assert welcome.text is not None
    assert welcome.text.startswith(_welcome(stored, told=True) + "\n\n")
    _ = gettext_for(stored)
    assert _(LANGUAGE_ON_FILE) != LANGUAGE_ON_FILE or stored == "en", f"{stored} has no translation"
    assert welcome.text.count("/language") == 2, "the language line, and /language in the menu"
    assert notice.text == re.sub(r"</?b>", "", _(PRIVACY_NOTICE).format(company="宁波语言货代有限公司"))
    after = await app.say(user, "/help")
    assert after.text is not None
    assert after.text.startswith(_what_i_can_do(stored)), "after linking: the same language"
    assert re.sub(r"</?b>", "", _(LANGUAGE_ON_FILE)).split("{")[0] not in after.text, "said once"
    again = await app.say(user, "/start")
    assert again.text is not None
    assert again.text.startswith(_("Welcome back, {contact} of {company}.").split("{")[0])


async def test_sharing_the_phone_also_welcomes_in_the_stored_language(app: RunningBot) -> None:
    contact_id = await _contact(app, "+8613912347002", locale="zh_CN")
    user = app.user(8072, "王芳", language_code="en")
    welcome, notice = await _share(app, user, "8613912347002", contact_user_id=user.id)
    assert await _linked_user(app, contact_id) == 8072
    _ = gettext_for("zh_CN")
    assert welcome.text is not None
    assert welcome.text.startswith(
        _("Welcome, {contact}! Your Telegram account is now linked to {company}.").format(
            contact="王芳", company="宁波远洋货代有限公司"
        )
        + "\n\n"
        + _(LANGUAGE_ON_FILE).format(language="简体中文")
    )
    assert notice.text is not None
    assert notice.text.startswith(re.sub(r"</?b>", "", _(PRIVACY_NOTICE)).split("\n")[0])


async def test_a_language_the_user_chose_outranks_the_stored_one_and_nothing_needs_saying(
    app: RunningBot,
) -> None:
    code = await _invite_for(app, "NBLANG2", "zh_CN", "+8613912347003")
    user = app.user(8073, "周敏", language_code="en")
    menu = await app.say(user, "/language")
    await app.press(user, menu, "繁體中文")
    welcome = await app.say(user, f"/start {code}")
    assert welcome.text is not None
    what = re.sub(r"</?b>", "", gettext_for("zh_TW")("<b>What I can do for you</b>"))
    assert welcome.text.startswith(_welcome("zh_TW", told=False) + "\n\n" + what)
    same = await _invite_for(app, "NBLANG3", "en", "+8613912347004")
    english = await app.say(app.user(8074, "周敏", language_code="en"), f"/start {same}")
    assert english.text is not None
    assert english.text.startswith(_welcome("en", told=False) + "\n\nWhat I can do for you")
