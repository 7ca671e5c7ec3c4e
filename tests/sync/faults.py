"""A transport that drops, duplicates, delays and reorders requests and replies on demand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from console.services.sync import SyncUnavailable
from db.sync.transport import PushReply, RemoteChange, ServerInfo, Transport


class Fault(StrEnum):
    NONE = "none"
    DROP_REQUEST = "drop_request"  # never reaches the server
    DROP_REPLY = "drop_reply"  # the server did the work; the answer is lost
    DUPLICATE = "duplicate"  # the request arrives twice
    STALE_REPLY = "stale_reply"  # the request is lost, and an older answer arrives instead
    LATE_REQUEST = "late_request"  # an old request, delayed in the network, arrives now


#: Faults injected so far, by every FaultyTransport (for the test's report).
INJECTED: Counter[Fault] = Counter()


class FaultyTransport:
    """Wraps a real transport; ``plan`` holds the faults of the next calls, in order."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.plan: list[Fault] = []
        self._old_requests: dict[str, list[tuple[Any, ...]]] = {"push": [], "pull": []}
        self._old_replies: dict[str, list[Any]] = {"push": [], "pull": []}

    def _call(self, kind: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        fault = self.plan.pop(0) if self.plan else Fault.NONE
        INJECTED[fault] += 1
        if fault is Fault.DROP_REQUEST:
            raise SyncUnavailable("injected: request dropped")
        if fault is Fault.STALE_REPLY and self._old_replies[kind]:
            return self._old_replies[kind][0]
        if fault is Fault.LATE_REQUEST and self._old_requests[kind]:
            fn(*self._old_requests[kind][0])  # its reply goes nowhere
        reply = fn(*args)
        if fault is Fault.DUPLICATE:
            reply = fn(*args)
        self._old_requests[kind] = [*self._old_requests[kind][-4:], args]
        self._old_replies[kind] = [*self._old_replies[kind][-4:], reply]
        if fault is Fault.DROP_REPLY:
            raise SyncUnavailable("injected: reply dropped")
        return reply

    def hello(self, team: str) -> ServerInfo:
        return self.inner.hello(team)

    def push(
        self, team: str, workstation: str, author: str, changes: list[dict[str, Any]]
    ) -> PushReply:
        return self._call("push", self.inner.push, (team, workstation, author, changes))  # type: ignore[no-any-return]

    def pull(self, team: str, cursor: int, limit: int) -> list[RemoteChange]:
        return self._call("pull", self.inner.pull, (team, cursor, limit))  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()
