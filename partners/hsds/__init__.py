"""The partner directory exchanged as Open Referral HSDS 3.0 JSON: `export_directory` and
`import_directory` (see README, "Partner directory (Open Referral HSDS)")."""

from partners.hsds.export import export_directory
from partners.hsds.importer import ImportReport, RowReport, import_directory

__all__ = ["ImportReport", "RowReport", "export_directory", "import_directory"]
