"""Importing an optional extra, with a message that says how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..files.extras import MissingExtraError

__all__ = ["MissingExtraError", "missing", "require"]


def missing(package: str, purpose: str) -> MissingExtraError:
    """The error for ``purpose`` needing ``package``, which is not installed."""
    return MissingExtraError(
        f"{purpose} needs {package}, which is not installed; "
        "install it with: pip install 'commission-engine[notebook]'"
    )


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or explain which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise missing(module.split(".")[0], purpose) from error
