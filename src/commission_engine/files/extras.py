"""Importing an optional extra, with a message that says how to install it.

The lowest wing that needs an optional package (``files`` for Parquet) holds the error, so
that every wing above raises the same one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..domain.errors import CommissionEngineError


class MissingExtraError(CommissionEngineError, ImportError):
    """An optional package (pandas, matplotlib, dask, pyarrow) is needed and not installed."""


def require(module: str, purpose: str, extra: str) -> ModuleType:
    """Import ``module``, or say that ``purpose`` needs it and which ``extra`` installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(
            f"{purpose} needs {module.split('.')[0]}, which is not installed; "
            f"install it with: pip install 'commission-engine[{extra}]'"
        ) from error
