"""Who a person trying the demo can be: fixed Telegram ids the seed links to a contact or a staff member."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portcrm.enums import Role
from portcrm.errors import N_


@dataclass(frozen=True, slots=True)
class DemoPersona:
    key: str
    telegram_user_id: int
    first_name: str
    language_code: str  # as a Telegram client reports it: "zh-hans", "zh-hant", "en"
    description: str  # a gettext message id with {name} and {company}; see `describe`
    company: str = ""

    def describe(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.description).format(name=self.first_name, company=self.company)


PERSONA_COMPANY = "宁波远洋货运代理有限公司"
PERSONA_TW_COMPANY = "台北永興國際物流股份有限公司"

DEMO_PERSONAS: tuple[DemoPersona, ...] = (
    DemoPersona(
        "customer",
        9100001,
        "李娜",
        "zh-hans",
        N_("{name}, contact at {company} (forwarder, grade A)"),
        PERSONA_COMPANY,
    ),
    DemoPersona(
        "customer_tw",
        9100002,
        "陳美玲",
        "zh-hant",
        N_("{name}, contact at {company} (Taiwan forwarder, grade B, Traditional Chinese)"),
        PERSONA_TW_COMPANY,
    ),
    DemoPersona(
        "marketer",
        9100003,
        "王磊",
        "zh-hans",
        N_("{name}, market department, account manager of {company}"),
        PERSONA_COMPANY,
    ),
    DemoPersona(
        "operations",
        9100004,
        "张伟",
        "zh-hans",
        N_("{name}, operations department (cargo events and shipments)"),
    ),
    DemoPersona(
        "finance", 9100005, "刘芳", "zh-hans", N_("{name}, finance department (credit, receivables)")
    ),
    DemoPersona(
        "manager", 9100006, "陈建国", "zh-hans", N_("{name}, manager (approves grades, sees everything)")
    ),
    DemoPersona(
        "admin", 9100007, "赵敏", "en", N_("{name}, system administrator (staff and invites), English")
    ),
)

# The port's staff: (persona key or None, name, pinyin for the e-mail address, roles).
STAFF_ROSTER: tuple[tuple[str | None, str, str, tuple[Role, ...]], ...] = (
    ("marketer", "王磊", "wang.lei", (Role.MARKET,)),
    (None, "孙丽", "sun.li", (Role.MARKET,)),
    (None, "周杰", "zhou.jie", (Role.MARKET,)),
    (None, "吴婷", "wu.ting", (Role.MARKET,)),
    (None, "郑浩", "zheng.hao", (Role.MARKET,)),
    ("operations", "张伟", "zhang.wei", (Role.OPERATIONS,)),
    (None, "徐强", "xu.qiang", (Role.OPERATIONS,)),
    (None, "马超", "ma.chao", (Role.OPERATIONS,)),
    ("finance", "刘芳", "liu.fang", (Role.FINANCE,)),
    (None, "黄静", "huang.jing", (Role.FINANCE,)),
    ("manager", "陈建国", "chen.jianguo", (Role.MANAGER,)),
    ("admin", "赵敏", "zhao.min", (Role.ADMIN,)),
)
STAFF_TELEGRAM_BASE = (
    9100100  # staff who are not personas still get ids, so notifications to them can be shown
)


def persona(key: str) -> DemoPersona:
    return next(p for p in DEMO_PERSONAS if p.key == key)
