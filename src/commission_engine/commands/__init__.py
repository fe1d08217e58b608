"""Subcommands of ``commission-engine``; each module has ``register(subparsers)``.

``register`` adds the subcommand's parser and sets ``run`` (``args -> exit status``)
as its default, so :func:`commission_engine.cli.main` only dispatches.
"""

from __future__ import annotations

from types import ModuleType

from . import aging, close, compare, payouts

COMMANDS: tuple[ModuleType, ...] = (payouts, close, compare, aging)
