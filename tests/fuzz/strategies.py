"""Hypothesis strategies for what users send: plain data ("programs"), resolved against the world at run time.

A program is one actor's sequence of actions. Identifiers are drawn as references (`Ref`, `IdRef`) because
which records are "foreign" depends on who acts; the driver resolves them.
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import typing
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from hypothesis import strategies as st

import bot.ui.callbacks
from bot.ui.menus import menu_for
from portcrm.enums import Role
from portcrm.services.identity.users import Identity

COMMANDS = sorted(
    {name for name, _ in menu_for(Identity(1, "en", roles=frozenset(Role), staff_id=1, customer_id=1))}
    | {"cancel", "start", "foo", "START", "track@portcrm_test_bot", "help@other_bot"}
)
RECORD_KINDS = (
    "customer",
    "contact",
    "shipment",
    "complaint",
    "invoice",
    "inquiry",
    "survey",
    "visit",
    "evaluation",
)
TYPED_KINDS = ("bl", "booking", "container", "ticket", "phone")
HTMLISH = (
    "<b>",
    "</b>",
    "&",
    "&amp;",
    "&lt;",
    "<i>x</i>",
    "<a href='tg://x'>",
    "<script>",
    "</pre>",
    "&#0;",
    "<",
)
ODD = (
    "\u200b",
    "\u200f",
    "\u202e",
    "\ufeff",
    "\u0301",
    "\U0001f6a2",
    "\U0001f468\u200d\U0001f469",
    "\u05e9\u05dc\u05d5\u05dd",
    "\n",
    "\t",
    "  ",
)


@dataclass(frozen=True)
class Ref:
    """An identifier a user might type: of the actor's own company, the other one, or made up."""

    kind: str
    scope: str  # "own" | "foreign" | "fake"
    index: int


@dataclass(frozen=True)
class IdRef:
    """A record id in a forged button: own, foreign, or arbitrary (`value`)."""

    kind: str
    scope: str  # "own" | "foreign" | "raw"
    index: int
    value: int = 0


Part = str | Ref


@dataclass(frozen=True)
class Say:
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Huge:
    seed: str
    length: int


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[Part, ...]


@dataclass(frozen=True)
class Media:
    kind: str  # photo | document | sticker | location | voice | contact
    caption: tuple[Part, ...]
    filename: str


@dataclass(frozen=True)
class Press:
    """A button of the chat's n-th latest message with buttons, as it is now (version 0) or was before."""

    back: int
    index: int
    version: int
    twice: bool = False  # the same button twice at once


@dataclass(frozen=True)
class Forge:
    cls: str
    fields: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class RawData:
    data: str


@dataclass(frozen=True)
class Burst:
    texts: tuple[tuple[Part, ...], ...]


Action = Say | Huge | Command | Media | Press | Forge | RawData | Burst


def callback_classes() -> dict[str, type[CallbackData]]:
    """Every CallbackData class of the bot, by `module.Class`."""
    found: dict[str, type[CallbackData]] = {}
    for info in pkgutil.iter_modules(bot.ui.callbacks.__path__):
        module = importlib.import_module(f"bot.ui.callbacks.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData:
                found[f"{info.name}.{value.__name__}"] = value
    return found


CALLBACKS = callback_classes()

texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60)
cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=12)
refs = st.builds(
    Ref, st.sampled_from(TYPED_KINDS), st.sampled_from(("own", "foreign", "fake")), st.integers(0, 7)
)
parts = st.one_of(
    texts, cjk, st.sampled_from(HTMLISH), st.sampled_from(ODD), refs, st.sampled_from(("0", "-1", "9" * 25))
)
part_lists = st.lists(parts, min_size=1, max_size=5).map(tuple)


def _field_strategy(name: str, annotation: object) -> st.SearchStrategy[object]:
    if typing.get_origin(annotation) is typing.Literal:
        return st.sampled_from(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from(list(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        kind = name.removesuffix("_id")
        raw = st.builds(
            IdRef, st.just(kind), st.just("raw"), st.just(0), st.sampled_from((0, -1, 2**31, 10**18, 3, 999))
        )
        if kind in RECORD_KINDS or kind == "staff":
            return st.one_of(
                st.builds(IdRef, st.just(kind), st.sampled_from(("own", "foreign")), st.integers(0, 5)), raw
            )
        return st.one_of(st.integers(-3, 12), raw)
    return st.one_of(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters=":"), max_size=12),
        st.sampled_from(("all", "en", "zh_CN", "x" * 40)),
    )


def forged(name: str, cls: type[CallbackData]) -> st.SearchStrategy[Forge]:
    fields = [
        st.tuples(st.just(field), _field_strategy(field, info.annotation))
        for field, info in cls.model_fields.items()
    ]
    return st.tuples(*fields).map(lambda values: Forge(name, tuple(values)))


forges = st.one_of(*(forged(name, cls) for name, cls in sorted(CALLBACKS.items())))
raw_data = (
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64)
    .filter(lambda s: len(s.encode()) <= 64)
    .map(RawData)
)
commands = st.builds(Command, st.sampled_from(COMMANDS), st.lists(parts, max_size=3).map(tuple))
presses = st.builds(Press, st.integers(0, 6), st.integers(0, 20), st.integers(0, 3), st.booleans())
media = st.builds(
    Media,
    st.sampled_from(("photo", "document", "sticker", "location", "voice", "contact")),
    st.lists(parts, max_size=2).map(tuple),
    st.text(
        st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="/\\"), min_size=1, max_size=40
    ),
)
huge = st.builds(Huge, texts, st.integers(3000, 5000))
bursts = st.lists(part_lists, min_size=3, max_size=8).map(lambda items: Burst(tuple(items)))

# Weighted by repetition: button presses and commands lead into forms, where most state lives.
# (sampled_from + flatmap, because one_of would flatten `forges` into one branch per callback class.)
actions: st.SearchStrategy[Action] = st.sampled_from(
    (presses, presses, presses, presses, commands, commands, commands, st.builds(Say, part_lists),
     st.builds(Say, part_lists), forges, forges, media, raw_data, huge, bursts)
).flatmap(lambda strategy: strategy)  # fmt: skip


payloads = st.one_of(huge, st.builds(Say, part_lists), media, bursts)


def _menu(actor_key: str) -> list[str]:
    """The commands this actor's menu offers (the world's keys: "A.en", "staff.finance", "anon.fr"…)."""
    kind, _, rest = actor_key.partition(".")
    if kind == "staff":
        identity = Identity(1, "en", roles=frozenset({Role(rest)}), staff_id=1)
    else:
        identity = Identity(1, "en", customer_id=None if kind == "anon" else 1)
    return [name for name, _ in menu_for(identity)]


def _steps(actor_key: str, max_actions: int) -> st.SearchStrategy[tuple[Action, ...]]:
    """A command of the actor's menu, then anything at all; or a walk into a form: the latest message's
    buttons pressed in turn, then input where the form waits for text (huge, HTML-looking, foreign
    identifiers, a photo instead), and more of the same; or forged button payloads."""
    opening = st.builds(Command, st.sampled_from(_menu(actor_key)), st.just(()))
    wander = st.tuples(opening, st.lists(actions, max_size=max_actions)).map(lambda p: (p[0], *p[1]))
    press_now = st.builds(Press, st.just(0), st.integers(0, 20), st.just(0), st.booleans())
    walk = st.tuples(
        opening, st.lists(st.tuples(st.lists(press_now, max_size=3), payloads), min_size=1, max_size=3)
    ).map(lambda w: (w[0], *(step for presses, payload in w[1] for step in (*presses, payload))))
    forgery = st.tuples(opening, st.lists(st.one_of(forges, raw_data), min_size=1, max_size=6)).map(
        lambda p: (p[0], *p[1])
    )
    return st.one_of(wander, walk, forgery)


def programs(
    actor_keys: list[str], max_actions: int = 12
) -> st.SearchStrategy[tuple[str, tuple[Action, ...]]]:
    """An actor and what they do."""
    return st.sampled_from(actor_keys).flatmap(lambda key: st.tuples(st.just(key), _steps(key, max_actions)))
