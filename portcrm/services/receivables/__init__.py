"""Receivables and credit (应收账款, 信用管理): the ledger, what is owed, and what finance does about it.

- ledger.py: what "open" means, the dunning ladder (`dunning_customers`), the legal threshold
  (`flag_legal_action`), the statement contact; money and dates as the reader writes them.
- balance.py: a customer's balance per currency and its credit exposure against the limit in force.
- ageing.py: the open ledger by overdue bucket and the largest debtors (/overdue).
- payments.py: payments against invoices (currency, no overpayment, repeated references), whoever books them.
- credit.py: the credit rating and credit limits.
- legal.py: an invoice marked for legal recovery from chat, with managers and finance told.
- export.py: the ledger as an .xlsx workbook.
- statement.py: a customer's statement of account as a workbook (its open invoices and recent payments).
"""
