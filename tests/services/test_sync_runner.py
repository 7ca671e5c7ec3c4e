"""The sync loop's pacing, on a clock the test moves: a flood of the server's notices (any
member can NOTIFY the team's channel) cannot make it spin, while an ordinary notice after a
quiet spell is acted on at once.
"""

from __future__ import annotations

from collections.abc import Callable

from console.services.sync import SyncRound, SyncRunner, SyncStatus, Waker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class NoticeSession:
    """A server connection whose every wait hears ``notices[i]`` after ``gaps[i]`` seconds."""

    def __init__(self, clock: Clock, runner: Callable[[], SyncRunner], notices: list[float]):
        self.clock = clock
        self.runner = runner
        self.arrivals = list(notices)  # instants at which a notice arrives
        self.rounds: list[float] = []

    identity = ("sofia", "agent")

    def sync_once(self) -> SyncRound:
        self.rounds.append(self.clock.now)
        return SyncRound()

    def has_local_changes(self) -> bool:
        return False

    def wait_for_news(self, timeout: float, waker: Waker) -> bool:
        if not self.arrivals:
            self.runner().stop()
            return False
        due = self.clock.now + timeout
        if self.arrivals[0] <= due:  # the next notice comes before the time-out
            self.clock.now = max(self.clock.now, self.arrivals.pop(0))
            return True
        self.clock.now = due
        return False

    def close(self) -> None:
        pass


class Service:
    def __init__(self, session: NoticeSession) -> None:
        self.session = session

    def open_session(self) -> NoticeSession:
        return self.session

    def on_local_write(self, callback: Callable[[], None]) -> Callable[[], None]:
        return lambda: None

    def record_success(self, identity: tuple[str, str] = ("", "")) -> None:
        pass

    def record_failure(self, error: BaseException) -> None:
        raise AssertionError(f"no round should fail here: {error}")

    def status(self) -> SyncStatus:
        return SyncStatus()


def run(notices: list[float], clock: Clock) -> list[float]:
    runner: SyncRunner | None = None
    session = NoticeSession(clock, lambda: runner, notices)  # type: ignore[arg-type, return-value]
    runner = SyncRunner(Service(session), poll_interval=3600, monotonic=clock)  # type: ignore[arg-type]
    runner.run()
    return session.rounds


def test_a_flood_of_notices_makes_a_few_rounds_a_second_not_one_each() -> None:
    clock = Clock()
    flood = [clock.now + n * 0.001 for n in range(10_000)]  # 10 000 notices in 10 seconds

    rounds = run(flood, clock)

    notice_rounds = rounds[1:]  # the first is the round every connection starts with
    assert len(notice_rounds) <= 10 + 10 * 10 + 1  # a burst of ten, then ten a second
    assert len(notice_rounds) >= 90  # but the news is not ignored either


def test_a_notice_after_a_quiet_spell_is_acted_on_at_once() -> None:
    clock = Clock()
    start = clock.now
    notices = [start + 0.1, start + 0.2, start + 0.35, start + 5.0]

    rounds = run(notices, clock)

    assert rounds[1:] == notices  # each one the instant it arrived
