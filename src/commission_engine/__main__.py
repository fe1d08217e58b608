"""``python -m commission_engine``: the ``commission-engine`` command."""

from .cli import script

if __name__ == "__main__":
    script()
