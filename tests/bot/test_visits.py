"""/visit and /today through the real bot: the form, the quick line, refusals, and who may do what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.ui.callbacks.visits import VisitChangeMethod, VisitCustomerChoice
from portcrm.enums import ContactMethod, Grade, Role
from portcrm.i18n import gettext_for, translation
from portcrm.labels import CONTACT_METHOD_NAMES
from portcrm.models import Visit
from sandbox import SandboxUser, SentMessage, tiny_png
from tests.factories import make_contact, make_customer, make_staff
from tests.harness import TOKEN, RunningBot

REFUSED = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."


def _today(app: RunningBot) -> dt.date:
    return dt.datetime.now(app.settings.tz).date()


def _archived(app: RunningBot, day: dt.date) -> dt.datetime:
    """A customer's created_at: the day it entered the archive, at nine on the port's clock."""
    return dt.datetime.combine(day, dt.time(9), tzinfo=app.settings.tz)


async def _press(app: RunningBot, user: SandboxUser, message: SentMessage, button: str | int) -> SentMessage:
    """Press a button and return the bot's last new message once it has gone quiet (the next question;
    the pressed one is settled after it)."""
    mark = app.sandbox.mark()
    update = app.sandbox.press(TOKEN, user, message, button)
    await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)
    await app.settled()
    return [m for m in app.sandbox.replies(user, mark, token=TOKEN) if m.message_id != message.message_id][-1]


async def _last(app: RunningBot, user: SandboxUser, text: str) -> SentMessage:
    return (await app.say_and_settle(user, text))[-1]


async def _visits(app: RunningBot) -> list[Visit]:
    async with app.db.session() as session:
        rows = list(await session.scalars(select(Visit).order_by(Visit.id)))
        await session.commit()
        return rows


async def _setup(
    app: RunningBot, user_id: int, *, roles: tuple[Role, ...] = (Role.MARKET,)
) -> tuple[int, int]:
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=user_id, name=f"市场{user_id}", roles=roles)
        customer = await make_customer(
            session,
            code=f"NB{user_id}",
            name=f"宁波远洋{user_id} <有限>",
            grade=Grade.A,
            account_manager_id=staff.id,
        )
        await session.commit()
        return staff.id, customer.id


async def test_full_visit_with_location_photo_and_a_typed_date_in_chinese(app: RunningBot) -> None:
    t = gettext_for("zh_CN")
    staff_id, customer_id = await _setup(app, 4101)
    user = app.user(4101, language_code="zh-hans")
    start = await app.say(user, "/visit")
    assert start.reply_markup["inline_keyboard"][0][0]["text"] == "NB4101 · 宁波远洋4101 <有限>"
    method = await _press(app, user, start, 0)
    assert "宁波远洋4101 <有限>" in method.text
    await _press(app, user, method, t(CONTACT_METHOD_NAMES[ContactMethod.ON_SITE]))
    outcome = await _last(app, user, "讨论了明年的箱量和费率")
    assert outcome.text == t("What came of it (the outcome)? Type it, or press Skip.")
    date_prompt = await _last(app, user, "客户同意试运")
    labels = [b["text"] for row in date_prompt.reply_markup["inline_keyboard"] for b in row]
    in_30 = (_today(app) + dt.timedelta(days=30)).isoformat()
    assert labels[0] == t("In {days} days ({date})").format(days=30, date=in_30)
    typed = (_today(app) + dt.timedelta(days=10)).isoformat()
    location_prompt = await _last(app, user, typed)
    assert location_prompt.reply_markup["keyboard"][0][0]["request_location"] is True
    update = app.sandbox._injector.message(
        TOKEN, user, {"location": {"latitude": 29.87, "longitude": 121.55}}
    )
    await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)
    await app.settled()
    update = app.sandbox.send_photo(TOKEN, user, tiny_png())
    photos = await app.sandbox.wait_for_reply(user, after=update, token=TOKEN)
    saved = await _press(app, user, photos, t("Save"))
    assert saved.text.startswith(t("<b>Visit saved</b>").replace("<b>", "").replace("</b>", ""))
    [visit] = await _visits(app)
    assert (visit.staff_id, visit.customer_id, visit.method) == (staff_id, customer_id, ContactMethod.ON_SITE)
    assert visit.notes.startswith("讨论了明年的箱量和费率\n\n[photos]\n")
    assert (visit.outcome, visit.next_revisit_on.isoformat() if visit.next_revisit_on else None) == (
        "客户同意试运",
        typed,
    )
    assert (visit.latitude, visit.longitude) == (29.87, 121.55)


async def test_a_past_date_is_refused_and_the_form_waits_for_a_better_one(app: RunningBot) -> None:
    await _setup(app, 4201)
    user = app.user(4201, language_code="en")
    method = await _last(app, user, "/visit nb4201")
    notes = await _press(app, user, method, "Phone")
    outcome = await _last(app, user, "called about the rates")
    await _press(app, user, outcome, "Skip")
    yesterday = (_today(app) - dt.timedelta(days=1)).isoformat()
    refused = await app.say(user, yesterday)
    assert refused.text == gettext_for("en")(
        "The next revisit cannot be in the past ({date}). Choose today or later."
    ).format(date=yesterday)
    assert (await app.say(user, "31/12/2026")).text.startswith("Please type the date as YYYY-MM-DD")
    assert await _visits(app) == []
    assert notes.text.startswith("What was discussed?")
    location = await _last(app, user, _today(app).isoformat())
    assert "Check in with your location?" in location.text
    photos = await _last(app, user, "Skip")
    saved = await _press(app, user, photos, "Save")
    assert saved.text.startswith("Visit saved")
    [visit] = await _visits(app)
    assert (visit.method, visit.outcome, visit.latitude) == (ContactMethod.PHONE, None, None)


async def test_the_quick_line_saves_an_on_site_visit_and_its_buttons_correct_it(app: RunningBot) -> None:
    await _setup(app, 4301)
    user = app.user(4301, language_code="en")
    reply = await app.say(user, "/visit NB4301 met the logistics manager, <b>keen</b> on rail")
    in_30 = (_today(app) + dt.timedelta(days=30)).isoformat()
    assert reply.text.startswith("Visit saved")
    assert f"Next revisit: {in_30}" in reply.text
    assert "<b>keen</b>" in reply.text  # escaped, shown as typed
    [visit] = await _visits(app)
    assert (visit.method, visit.next_revisit_on) == (ContactMethod.ON_SITE, dt.date.fromisoformat(in_30))
    edited = await app.press(user, reply, "WeChat")
    assert "✓ WeChat" in [b["text"] for row in edited.reply_markup["inline_keyboard"] for b in row]
    in_7 = (_today(app) + dt.timedelta(days=7)).isoformat()
    await app.press(user, reply, f"In 7 days ({in_7})")
    [visit] = await _visits(app)
    assert (visit.method, visit.next_revisit_on) == (ContactMethod.WECHAT, dt.date.fromisoformat(in_7))
    # another marketer forging the same button changes nothing
    await _setup(app, 4302)
    other = app.user(4302, language_code="en")
    menu = await app.say(other, "/today")
    forged = VisitChangeMethod(visit_id=visit.id, method=ContactMethod.EMAIL).pack()
    answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, other, menu, forged))
    assert answer.text == "That visit was not found."
    assert (await _visits(app))[0].method == ContactMethod.WECHAT
    unknown = await app.say(user, "/visit NOPE hello")
    assert unknown.text == "No active customer with code NOPE."


async def test_today_puts_grade_a_first_then_the_most_overdue(app: RunningBot) -> None:
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=4401, roles=(Role.MARKET,))
        today = dt.datetime.now(app.settings.tz).date()
        long_ago = today - dt.timedelta(days=400)
        for name, grade, since in (
            ("C-late", Grade.C, long_ago),
            ("A-recent", Grade.A, today - dt.timedelta(days=31)),
            ("B-late", Grade.B, long_ago),
            ("A-fresh", Grade.A, today),
        ):
            await make_customer(
                session,
                name=name,
                grade=grade,
                account_manager_id=staff.id,
                cooperation_since=since,
                created_at=_archived(app, since),
            )
        await session.commit()
    user = app.user(4401, language_code="zh-hans")
    reply = await app.say(user, "/today")
    names = [line.split(" · ")[0][2:] for line in reply.text.splitlines() if line.startswith("• ")]
    assert names == ["A-recent", "B-late", "C-late"]
    assert gettext_for("zh_CN")("never visited") in reply.text
    method = await _press(app, user, reply, 0)
    assert "A-recent" in method.text
    assert method.reply_markup is not None


async def test_a_customer_never_visited_is_overdue_from_entering_the_archive_not_from_2012(
    app: RunningBot,
) -> None:
    """Issue 17 item 9: imported 100 days ago, cooperating since 2012, never visited: 40 days overdue (grade B
    revisits every 60 days), never "逾期 5306 天"."""
    today = _today(app)
    async with app.db.session() as session:
        staff = await make_staff(session, telegram_user_id=4421, roles=(Role.MARKET,))
        await make_customer(
            session,
            name="老客户",
            grade=Grade.B,
            account_manager_id=staff.id,
            cooperation_since=dt.date(2012, 6, 1),
            created_at=_archived(app, today - dt.timedelta(days=100)),
        )
        await make_customer(  # imported today: its first revisit is a cadence away
            session,
            name="新导入",
            grade=Grade.B,
            account_manager_id=staff.id,
            cooperation_since=dt.date(2012, 6, 1),
        )
        await session.commit()
    zh = gettext_for("zh_CN")
    reply = await app.say(app.user(4421, language_code="zh-hans"), "/today")
    overdue = translation("zh_CN").ngettext("{days} day overdue", "{days} days overdue", 40).format(days=40)
    assert f"• 老客户 · B · {overdue} · {zh('never visited')}" in reply.text
    assert "新导入" not in reply.text


async def test_managers_see_everyones_revisits_grouped_by_marketer(app: RunningBot) -> None:
    async with app.db.session() as session:
        since = dt.date(2020, 1, 1)
        zhang = await make_staff(session, name="张市场", roles=(Role.MARKET,))
        await make_staff(session, telegram_user_id=4501, name="经理", roles=(Role.MANAGER,))
        for n in range(35):
            await make_customer(
                session,
                name=f"客户{n:02d}",
                account_manager_id=zhang.id,
                cooperation_since=since,
                created_at=_archived(app, since),
            )
        await session.commit()
    reply = await app.say(app.user(4501, language_code="en"), "/today")
    assert "<b>张市场</b>" not in reply.text
    assert "张市场" in reply.text
    assert sum(line.startswith("• ") for line in reply.text.splitlines()) == 30
    assert reply.text.endswith("… and 5 more")


async def test_other_departments_customers_and_strangers_are_refused(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=4601, roles=(Role.OPERATIONS,))
        await make_staff(session, telegram_user_id=4602, roles=(Role.FINANCE,))
        await make_staff(session, telegram_user_id=4603, roles=(Role.ADMIN,))
        customer = await make_customer(session, code="NB4600")
        await make_contact(session, customer, telegram_user_id=4604)
        await session.commit()
    for user_id, language in ((4601, "en"), (4602, "zh-hans"), (4603, "en"), (4604, "zh-hans"), (4605, "en")):
        user = app.user(user_id, language_code=language)
        locale = "en" if language == "en" else "zh_CN"
        for command in ("/visit", "/visit NB4600 hello", "/today"):
            assert (await app.say(user, command)).text == gettext_for(locale)(REFUSED), (user_id, command)
        menu = await app.say(user, "/help")
        forged = VisitCustomerChoice(customer_id=customer.id).pack()
        answer = await app.sandbox.wait_for_answer(app.sandbox.press_data(TOKEN, user, menu, forged))
        assert answer.text == gettext_for(locale)(STALE)
    async with app.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Visit)) == 0
        await session.commit()
