"""Festival, birthday and cooperation-anniversary greetings (节日、生日祝福), every morning.

Who is greeted and with what is portcrm/services/care/greetings.py's; this job enqueues each greeting once
(its key names the kind, the year and the contact).
"""

from __future__ import annotations

import logging

from portcrm.calendar import PortCalendar
from portcrm.errors import N_
from portcrm.i18n import gettext_for
from portcrm.jobs.base import Job, JobContext, JobResult, daily, morning
from portcrm.messaging import mail_outbox, outbox
from portcrm.services.care.greetings import (
    ANNIVERSARY_KIND,
    BIRTHDAY_KIND,
    MAIL_SUBJECT,
    due_greetings,
    greetees,
)
from portcrm.services.recipients.channel import by_mail
from portcrm.storage.transaction import transaction

log = logging.getLogger(__name__)


async def greet(ctx: JobContext) -> JobResult:
    today = ctx.today
    festivals = [
        festival for day, festival in PortCalendar(ctx.settings).festivals(today.year) if day == today
    ]
    counts = {kind: 0 for kind in (*(f.value for f in festivals), BIRTHDAY_KIND, ANNIVERSARY_KIND)}
    async with ctx.db.session() as session:
        people = await greetees(session, ctx.settings.default_locale)
    for kind, greetee, text in due_greetings(people, festivals, today):
        key = f"greeting:{kind}:{today.year}:{greetee.contact.id}"
        async with ctx.db.session() as session, transaction(session):
            if by_mail(greetee.contact):
                assert greetee.contact.email is not None
                counts[kind] += await mail_outbox.enqueue_mail(
                    session,
                    key=key,
                    kind="greeting",
                    to=greetee.contact.email,
                    to_name=greetee.contact.name,
                    subject=gettext_for(greetee.locale)(MAIL_SUBJECT),
                    text=text,
                    contact_id=greetee.contact.id,
                )
                continue
            assert greetee.contact.telegram_user_id is not None
            counts[kind] += await outbox.enqueue(
                session,
                key=key,
                kind="greeting",
                chat_id=greetee.contact.telegram_user_id,
                text=text,
                contact_id=greetee.contact.id,
            )
    log.info("greetings on %s: %s", today, counts)
    return counts


GREETINGS = Job(
    "greetings",
    N_("Greetings: festivals, birthdays and cooperation anniversaries"),
    morning(),
    daily,
    greet,
)
