"""Identifiers that never collide across workstations, and the hybrid logical clock."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import uuid6

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A UUIDv7: time-ordered, so B-tree inserts stay local and ids sort by creation."""
    return str(uuid6.uuid7())


def workstation_code(workstation_id: str) -> str:
    """Five Crockford base-32 characters derived from the workstation id (25 bits)."""
    value = int.from_bytes(hashlib.sha256(workstation_id.encode()).digest()[:4], "big") >> 7
    chars = []
    for _ in range(5):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def incident_number(workstation_id: str, sequence: int) -> str:
    """``INC-<workstation>-<n>``: unique across workstations without asking a server."""
    if sequence < 1:
        raise ValueError(f"incident sequence must be positive, got {sequence}")
    return f"INC-{workstation_code(workstation_id)}-{sequence:05d}"


@dataclass(frozen=True, order=True, slots=True)
class HlcStamp:
    """A hybrid logical clock reading: wall milliseconds, a counter, the workstation."""

    millis: int
    counter: int
    node: str

    def encode(self) -> str:
        """Fixed-width text that sorts like the stamp itself."""
        return f"{self.millis:013d}-{self.counter:05d}-{self.node}"

    @classmethod
    def decode(cls, text: str) -> HlcStamp:
        try:
            millis, counter, node = text.split("-", 2)
            return cls(int(millis), int(counter), node)
        except ValueError as exc:
            raise ValueError(f"not a clock stamp: {text!r}") from exc


def latest_stamp(stamps: Iterable[str | None]) -> str:
    """The highest well-formed stamp among ``stamps`` ('' if none): what a clock must pass."""
    best: HlcStamp | None = None
    for text in stamps:
        if not text:
            continue
        try:
            stamp = HlcStamp.decode(text)
        except ValueError:
            continue
        if best is None or stamp > best:
            best = stamp
    return best.encode() if best is not None else ""


class HybridLogicalClock:
    """Kulkarni et al.'s HLC: monotonic across restarts and skewed workstations."""

    def __init__(
        self, node: str, wall_millis: Callable[[], int] | None = None, last: str | None = None
    ) -> None:
        self._node = node
        self._wall = wall_millis or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.Lock()
        stamp = HlcStamp.decode(last) if last else HlcStamp(0, 0, node)
        self._millis, self._counter = stamp.millis, stamp.counter

    def now(self) -> str:
        """A stamp for a local event, later than every stamp seen so far."""
        with self._lock:
            wall = self._wall()
            if wall > self._millis:
                self._millis, self._counter = wall, 0
            else:
                self._counter += 1
            return HlcStamp(self._millis, self._counter, self._node).encode()

    def observe(self, remote: str) -> str:
        """Merge a stamp received from another workstation; returns a stamp after both."""
        other = HlcStamp.decode(remote)
        with self._lock:
            wall = self._wall()
            top = max(wall, self._millis, other.millis)
            if top == self._millis == other.millis:
                self._counter = max(self._counter, other.counter) + 1
            elif top == self._millis:
                self._counter += 1
            elif top == other.millis:
                self._counter = other.counter + 1
            else:
                self._counter = 0
            self._millis = top
            return HlcStamp(self._millis, self._counter, self._node).encode()
