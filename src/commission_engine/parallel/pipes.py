"""Children forked for a piece of work, and plain values through pipes to and from them.

Each value is written as its length and its ``marshal`` bytes: strings, numbers, bytes,
``None`` and tuples or lists of them, which is all a child sends back (``marshal`` is a tenth
of pickling's cost, and reading it from a file object value by value is slow, hence the length).
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Callable
from typing import IO, Any

from ..domain.errors import CommissionEngineError


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


class Child:
    """A child process forked to do one piece of work, and the two pipes to talk to it.

    ``work(reply, order)`` runs in the child: ``reply(value)`` sends a value back, ``order()``
    waits for one from the parent. If the work fails, the parent's next :meth:`receive` raises
    with the child's traceback; either way the child ends there, without running anything of
    the parent's (no exit handlers, no buffers flushed twice).
    """

    def __init__(self, pid: int, replies: IO[bytes], orders: IO[bytes], what: str) -> None:
        self.pid: int | None = pid
        self.replies = replies
        self.orders = orders
        self.what = what

    @classmethod
    def start(cls, work: Work, what: str) -> Child:
        """Fork a child doing ``work``; ``what`` names it in errors ("a part of the run")."""
        reply_out, reply_in = os.pipe()
        order_out, order_in = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(reply_out)
            os.close(order_in)
            _serve(work, os.fdopen(reply_in, "wb"), os.fdopen(order_out, "rb"))
        os.close(reply_in)
        os.close(order_out)
        return cls(pid, os.fdopen(reply_out, "rb"), os.fdopen(order_in, "wb"), what)

    def receive(self) -> Any:
        """The child's next reply; raises if the child failed or ended without one."""
        try:
            failed, value = receive(self.replies)
        except EOFError:
            raise CommissionEngineError(f"{self.what} ended without an answer") from None
        if failed:
            raise CommissionEngineError(f"{self.what} failed:\n{value}")
        return value

    def send(self, value: Any) -> None:
        """Send the child an order."""
        send(self.orders, value)

    def stop(self) -> None:
        """End the child, finished or not, and reap it; once stopped, nothing more."""
        if self.pid is None:
            return
        self.replies.close()
        with contextlib.suppress(BrokenPipeError):
            self.orders.close()
        import signal  # here: a run in one process starts no child, and needs none of it

        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pid = None


#: A child's work: given ``reply(value)`` and ``order()``.
Work = Callable[[Callable[[Any], None], Callable[[], Any]], None]


def _serve(work: Work, replies: IO[bytes], orders: IO[bytes]) -> None:
    """The child's whole life: the work, then its end."""
    try:
        work(lambda value: send(replies, (False, value)), lambda: receive(orders))
    except EOFError:
        pass  # the parent needs nothing more
    except BaseException:  # the parent reports it
        with contextlib.suppress(BaseException):  # unless the parent is gone
            import traceback

            send(replies, (True, traceback.format_exc()))
    finally:
        os._exit(0)
