"""Bulk import of customers, contacts, shipments, cargo events, invoices and payments from CSV or xlsx.

All or nothing: every row is validated before anything is written, and a file with any bad row changes
nothing. Idempotent: rows are matched on natural keys, so importing a file again changes nothing.
See docs/import.md for the file formats.
"""

from portcrm.importing.readers import read_table
from portcrm.importing.report import ImportKind, ImportReport, RowError
from portcrm.importing.runner import IMPORTERS, import_file, import_rows

__all__ = ["IMPORTERS", "ImportKind", "ImportReport", "RowError", "import_file", "import_rows", "read_table"]
