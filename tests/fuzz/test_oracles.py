"""The fuzz oracles catch what they are for: a leak, an echo that is none, a reply in the wrong language."""

from __future__ import annotations

from portcrm.enums import Role
from tests.fuzz.oracles import Seen, language_findings, leak_findings
from tests.fuzz.world import Actor, Company, World

A = Company("A", typed={"bl": ["ZRBBLA00000"]}, secret=["Zorbulax"], phones=["13710007777"])
B = Company("B", typed={"bl": ["VXMBLB00000"]}, secret=["Vexmoria"], phones=["13910008888"])
CONTACT = Actor("A.en", 1, "en", company="A")
WORLD = World({"A": A, "B": B}, {"A.en": CONTACT}, [])


def test_another_companys_name_is_a_leak() -> None:
    assert leak_findings(WORLD, CONTACT, "", [Seen("message 1 text", "Shipment of VEXMORIA Freight")])


def test_another_companys_phone_is_a_leak_however_it_is_spaced() -> None:
    assert leak_findings(WORLD, CONTACT, "", [Seen("message 1 text", "Call +86 139 1000 8888")])


def test_an_identifier_the_user_typed_is_an_echo_not_a_leak() -> None:
    seen = [Seen("message 1 text", "No shipment VXMBLB00000 found")]
    assert leak_findings(WORLD, CONTACT, "/track VXMBLB00000", seen) == []
    assert leak_findings(WORLD, CONTACT, "/track", seen)


def test_own_company_is_no_leak_and_staff_see_everyone() -> None:
    staff = Actor("staff.admin", 2, "en", role=Role.ADMIN)
    assert leak_findings(WORLD, CONTACT, "", [Seen("t", "Zorbulax ZRBBLA00000")]) == []
    assert leak_findings(WORLD, staff, "", [Seen("t", "Vexmoria VXMBLB00000")]) == []


def test_an_english_sentence_for_a_chinese_reader_is_found() -> None:
    english = Seen("t", "Sorry, I didn't understand that. Send /help to see what I can do.")
    assert language_findings("zh_CN", english)
    assert language_findings("en", english) == []


def test_simplified_chinese_for_a_traditional_reader_is_found() -> None:
    simplified = Seen("t", "抱歉，我没能理解您的意思。发送 /help 查看我能为您做什么。")
    assert language_findings("zh_TW", simplified)
    assert language_findings("zh_CN", simplified) == []


def test_a_button_label_need_not_be_chinese_but_a_sentence_must() -> None:
    assert language_findings("zh_TW", Seen("button", "CP-2026-A00001", prose=False)) == []
    assert language_findings("zh_TW", Seen("text", "CP-2026-A00001"))
