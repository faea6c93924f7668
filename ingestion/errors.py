"""Errors raised by ingestion. Each says which file and why."""


class UnreadableFileError(Exception):
    """A whole export file cannot be read (encoding, header, format). The run goes on with other files."""

    def __init__(self, path: str, reason: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = reason
        self.message = message


class ReconciliationError(Exception):
    """Rows in != rows accepted + rows quarantined: something was lost or counted twice."""


class DamagedLakeError(Exception):
    """A committed lake file does not match its load-log record and cannot be rebuilt from its export.
    The message names each file, what the load log expects, and what to do."""
