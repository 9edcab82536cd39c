"""Who hears of something, and in which language.

- channel.py: whether a contact is reached in chat or by e-mail.
- language.py: the language a recipient reads (their choice, else the archive's, else Telegram's).
- staff_alerts.py: which staff hear of something (a department, named people, several roles).
- reachability.py: users the bot cannot write to yet (blocked, never started): their notifications wait
  for them; who is told when that matters.
"""
