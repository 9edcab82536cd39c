"""The customer archive (客户档案): the companies, their contacts, and every change traceable.

- customers.py: finding a customer by its code (the one `by_code`).
- fields.py: which department keeps which field (the rule table), how a typed value is read and shown.
- edits.py: a field or contact changed under those rules, and who hears of it (operations' and finance's
  changes are reported to the account manager).
- cards.py: the card staff open from /find.
- history.py: the change history read back from the audit log (written by `portcrm/audit.py`): an entry per
  change, and which department reads which section of it; history_values.py: what the log's text means
  (typed values, names looked up as it is read, who acted).
- search.py: finding a customer from what a person types (code, USCC, phone, name, pinyin, initials).
"""
