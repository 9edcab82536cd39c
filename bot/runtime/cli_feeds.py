"""`portcrm feeds add|list|rotate-secret|remove`: the DCSA publishers allowed to post events.

A secret is printed once, when it is made, for the operator to hand to the publisher; it is never logged
and `list` never shows it.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from portcrm.errors import N_, InvalidInput
from portcrm.feeds.dcsa import subscriptions
from portcrm.settings import Settings
from portcrm.storage.db import Database

Gettext = Callable[[str], str]


async def feeds_add(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    from portcrm.feeds.dcsa.receiver import EVENTS_PATH  # the receiver's module imports its server

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            added, secret = await subscriptions.add_subscription(session, args.name)
    finally:
        await db.dispose()
    print(_("Feed subscription {name} added. Give the publisher these two values:").format(name=added.name))
    print(_("Subscription-ID: {id}").format(id=added.subscription_id))
    print(_("Secret: {secret}").format(secret=secret))
    print(_("The secret is not shown again. The publisher posts to {path}.").format(path=EVENTS_PATH))
    return 0


async def feeds_list(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            found = await subscriptions.list_subscriptions(session)
    finally:
        await db.dispose()
    if not found:
        print(_("No feed subscriptions yet: add one with portcrm feeds add NAME."))
    for item in found:
        added = _when(item.created_at, settings)
        line = _("{name}: Subscription-ID {id}, added {added}")
        print(line.format(name=item.name, id=item.subscription_id, added=added))
        if item.rotated_at is None:
            continue
        rotated, until = _when(item.rotated_at, settings), _when(item.previous_secret_until, settings)
        if until:
            line = _("secret rotated {rotated}; the previous one is valid until {until}")
        else:
            line = _("secret rotated {rotated}")
        print("    " + line.format(rotated=rotated, until=until))
    return 0


async def feeds_rotate_secret(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    grace = _grace(args.grace_hours)
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            rotated, secret = await subscriptions.rotate_secret(session, args.name, grace)
    finally:
        await db.dispose()
    line = _("New secret for {name} (Subscription-ID {id}); it is not shown again:")
    print(line.format(name=rotated.name, id=rotated.subscription_id))
    print(_("Secret: {secret}").format(secret=secret))
    if rotated.previous_secret_until:
        until = _when(rotated.previous_secret_until, settings)
        print(_("The previous secret stays valid until {until}.").format(until=until))
    else:
        print(_("The previous secret is no longer valid."))
    return 0


async def feeds_remove(args: argparse.Namespace, settings: Settings, _: Gettext) -> int:
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            await subscriptions.remove_subscription(session, args.name)
    finally:
        await db.dispose()
    print(
        _("Feed subscription {name} removed: it can post no more. The events it sent are kept.").format(
            name=args.name.strip()
        )
    )
    return 0


def _grace(text: str) -> dt.timedelta:
    """Hours as the operator typed them; the service checks the range."""
    try:
        return dt.timedelta(hours=float(text))
    except (ValueError, OverflowError):  # not a number, NaN, or beyond any date
        hours = int(subscriptions.MAX_GRACE.total_seconds() // 3600)
        raise InvalidInput(N_("The grace period must be from 0 to {hours} hours."), hours=hours) from None


def _when(moment: dt.datetime | None, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if moment else ""


COMMANDS = {
    "feeds add": feeds_add,
    "feeds list": feeds_list,
    "feeds rotate-secret": feeds_rotate_secret,
    "feeds remove": feeds_remove,
}
