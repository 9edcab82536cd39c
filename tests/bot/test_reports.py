"""/report and /grades through the real bot: charts and workbook, decisions on grade proposals, refusals."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from bot.ui.callbacks.reports import GradeDecision
from portcrm.enums import EvaluationStatus, Grade, Role
from portcrm.i18n import gettext_for
from portcrm.models import AuditEntry, Customer, GradeEvaluation
from portcrm.services.reports.workbook import SHEETS
from tests.factories import make_contact, make_customer, make_invoice, make_staff
from tests.harness import TOKEN, RunningBot

REFUSED = "I don't know that command, or it is not available to you. Send /help to see what I can do."
STALE = "This button is no longer valid."
PNG = b"\x89PNG\r\n\x1a\n"


async def _proposal(app: RunningBot, code: str) -> tuple[int, int]:
    async with app.db.session() as session:
        customer = await make_customer(session, code=code, name=f"{code} 物流 <b>", grade=Grade.B)
        evaluation = GradeEvaluation(
            customer_id=customer.id,
            period="2026-11",
            previous_grade=Grade.B,
            proposed_grade=Grade.A,
            score=Decimal("88.5"),
            reasons=[
                {"text": "Volume: 1200 TEU", "msgid": "Volume: {teu} TEU", "params": {"teu": "1200"}},
                {"text": "Plain <reason>"},
            ],
        )
        session.add(evaluation)
        await session.commit()
        return customer.id, evaluation.id


async def _evaluation(app: RunningBot, evaluation_id: int) -> tuple[EvaluationStatus, Grade]:
    async with app.db.session() as session:
        evaluation = await session.get(GradeEvaluation, evaluation_id)
        assert evaluation is not None
        customer = await session.get(Customer, evaluation.customer_id)
        assert customer is not None
        await session.commit()
        return evaluation.status, customer.grade


async def test_manager_gets_five_charts_and_a_workbook_in_chinese(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=7101, roles=(Role.MANAGER,))
        customer = await make_customer(session)
        await make_invoice(session, customer, amount=Decimal("300.00"))  # due long ago: over 30 days
        await session.commit()
    user = app.user(7101, language_code="zh-hans")
    replies = await app.say_and_settle(user, "/report")
    photos = [m for m in replies if m.kind == "photo"]
    assert len(photos) == 5
    assert len({m.media_group_id for m in photos}) == 1
    assert photos[0].media_group_id is not None
    t = gettext_for("zh_CN")
    heading, *notes = photos[0].caption.split("\n")
    assert heading.startswith(re.sub(r"<[^>]+>", "", t("<b>Management report</b>, {date}")).split("{")[0])
    assert notes == [
        t("Time to resolve: working days, customer time excluded. Receivables: per currency, days past due."),
        t("Revisits: customers visited within their grade's cadence in the last 90 days."),
    ]
    # in Chinese, and no note that the charts fell back to English
    assert not re.search(r"[A-Za-z]{2,}|#\d", photos[0].caption)
    assert all(photo.caption is None for photo in photos[1:])
    for photo in photos:
        assert photo.data.startswith(PNG)
        Image.open(io.BytesIO(photo.data)).verify()
    [document] = [m for m in replies if m.kind == "document"]
    assert document.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(document.data))
    t = gettext_for("zh_CN")
    assert book.sheetnames == [t(name) for name in SHEETS]
    grades, _complaints, receivables, _revisits, _servqual = book.worksheets
    assert grades["A1"].value == t("Customer type")
    assert not any(
        re.search(r"[A-Za-z]{2,}", str(cell.value)) for row in grades.iter_rows(max_row=1) for cell in row
    )
    assert sum(row[-1] for row in grades.iter_rows(min_row=2, values_only=True)) == 1
    assert sum(row[-1] for row in receivables.iter_rows(min_row=2, values_only=True)) == 300


async def test_manager_approves_a_proposal_once_and_the_audit_log_names_them(app: RunningBot) -> None:
    async with app.db.session() as session:
        manager = await make_staff(session, telegram_user_id=7201, roles=(Role.MANAGER,))
        await session.commit()
    customer_id, evaluation_id = await _proposal(app, "GRA01")
    user = app.user(7201, language_code="en")
    listing = await app.say(user, "/grades")
    assert "GRA01" in listing.text
    assert "物流 <b>" in listing.text  # escaped on the way in, shown as typed
    assert "Plain <reason>" in listing.text
    update = app.sandbox.press(TOKEN, user, listing, "Approve GRA01")
    answer = await app.sandbox.wait_for_answer(update)
    assert answer.text == gettext_for("en")("Grade approved.")
    assert await _evaluation(app, evaluation_id) == (EvaluationStatus.APPROVED, Grade.A)
    async with app.db.session() as session:
        audited = await session.scalar(
            select(func.count()).where(
                AuditEntry.entity == "customers",
                AuditEntry.entity_id == customer_id,
                AuditEntry.field == "grade",
                AuditEntry.staff_id == manager.id,
            )
        )
        await session.commit()
    assert audited == 1
    again = app.sandbox.press_data(
        TOKEN, user, listing, GradeDecision(evaluation_id=evaluation_id, approve=False).pack()
    )
    answer = await app.sandbox.wait_for_answer(again)
    assert answer.text == gettext_for("en")("That grade proposal has already been decided.")
    assert await _evaluation(app, evaluation_id) == (EvaluationStatus.APPROVED, Grade.A)


async def test_manager_rejects_a_proposal_in_traditional_chinese(app: RunningBot) -> None:
    async with app.db.session() as session:
        await make_staff(session, telegram_user_id=7301, roles=(Role.MANAGER, Role.MARKET))
        await session.commit()
    _, evaluation_id = await _proposal(app, "GRR01")
    user = app.user(7301, language_code="zh-hant")
    t = gettext_for("zh_TW")
    listing = await app.say(user, "/grades")
    update = app.sandbox.press(TOKEN, user, listing, t("Reject {code}").format(code="GRR01"))
    assert (await app.sandbox.wait_for_answer(update)).text == t("Proposal rejected.")
    assert await _evaluation(app, evaluation_id) == (EvaluationStatus.REJECTED, Grade.B)
    await app.settled()
    assert (await app.say(user, "/grades")).text == t("No grade proposals are waiting for a decision.")


async def test_only_managers_see_reports_and_decide_grades(app: RunningBot) -> None:
    async with app.db.session() as session:
        for user_id, roles in ((7401, (Role.MARKET,)), (7402, (Role.ADMIN,)), (7403, (Role.FINANCE,))):
            await make_staff(session, telegram_user_id=user_id, roles=roles)
        customer = await make_customer(session)
        await make_contact(session, customer, telegram_user_id=7404)
        await session.commit()
    _, evaluation_id = await _proposal(app, "GRX01")
    forged = GradeDecision(evaluation_id=evaluation_id, approve=True).pack()
    for user_id in (7401, 7402, 7403, 7404, 7405):
        user = app.user(user_id, language_code="en")
        for command in ("/report", "/grades"):
            reply = await app.say(user, command)
            assert reply.text == REFUSED, (user_id, command)
        update = app.sandbox.press_data(TOKEN, user, reply, forged)
        assert (await app.sandbox.wait_for_answer(update)).text == STALE
    assert await _evaluation(app, evaluation_id) == (EvaluationStatus.PROPOSED, Grade.B)
