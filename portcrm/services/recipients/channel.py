"""The one rule for how a contact is reached: in chat, or by e-mail.

By e-mail when they have an address and either no linked Telegram account or they chose e-mail
(`contacts.prefers_email`); in chat otherwise. A complaint that came by mail is answered by mail whatever
the rule says (portcrm/services/complaints/mail_notices.py).
"""

from __future__ import annotations

from portcrm.models import Contact


def by_mail(contact: Contact) -> bool:
    if not contact.email or contact.erased_at is not None:
        return False
    return contact.telegram_user_id is None or contact.prefers_email


def by_chat(contact: Contact) -> bool:
    return contact.telegram_user_id is not None and not by_mail(contact)
