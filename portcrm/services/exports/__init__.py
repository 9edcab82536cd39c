"""Exports to Excel (.xlsx): what staff and customers may take away, each limited to what they may see.

- workbook.py: the one writer (sheets of rows to .xlsx bytes, translated), used by every export here and by
  the ledger (receivables/export.py), the statement of account (receivables/statement.py) and a person's
  copy of their data (privacy/copy.py).
- staff.py: which export each role may take, and the one entry point that checks it.
- archive.py: the customer archive and its contacts (financial columns for finance and managers only).
- complaints.py: every complaint with its handling and outcome (market and managers).
- visits.py: every logged visit or call (market and managers).
"""
