"""The complaint mailbox and mail to customers: the adapter between SMTP and the domain services.

- parse.py: a raw mail into `InboundMail` (addresses, threading ids, text, attachments), auto-replies and
  delivery reports recognised; refuses what cannot be read.
- html_text.py: an HTML-only mail reduced to text with the standard library's parser.
- receiver.py: the aiosmtpd handler (only the complaint address, size limit, one transaction per mail)
  and the server started by `portcrm run` and `portcrm mail serve`.
- compose.py: an outbox row into a MIME message (threading headers, attachments, Auto-Submitted).
- sender.py: the long-lived task that sends the mail outbox through the relay with aiosmtplib.

What a mail means (a complaint, a reply, an unknown sender) is decided in
portcrm/services/complaints/mailbox.py; nothing in the services imports this package.
"""
