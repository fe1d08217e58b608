"""What goes wrong with a ledger file."""

from __future__ import annotations

from ..domain.errors import CommissionEngineError


class LedgerError(CommissionEngineError):
    """The ledger file cannot be used: unreadable, not a ledger, or busy with another close."""


class LedgerBusyError(LedgerError):
    """Another close holds the ledger (or created it meanwhile): try again when it is done."""
