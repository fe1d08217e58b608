"""Plain values through a pipe between a process and the children it forks.

Each value is written as its length and its ``marshal`` bytes: strings, numbers, bytes,
``None`` and tuples or lists of them, which is all a child sends back (``marshal`` is a tenth
of pickling's cost, and reading it from a file object value by value is slow, hence the length).
"""

from __future__ import annotations

import marshal
from typing import IO, Any


def send(stream: IO[bytes], value: Any) -> None:
    """Write ``value`` and flush it."""
    data = marshal.dumps(value)
    stream.write(len(data).to_bytes(8, "little"))
    stream.write(data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next value :func:`send` wrote; ``EOFError`` when the writer is gone."""
    size = stream.read(8)
    if len(size) < 8:
        raise EOFError
    length = int.from_bytes(size, "little")
    data = stream.read(length)
    if len(data) < length:
        raise EOFError
    return marshal.loads(data)
