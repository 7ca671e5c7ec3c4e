"""A real SMTP server on 127.0.0.1 for the outbox tests: aiosmtpd on a free port, over TLS
from a throwaway CA (implicit TLS or STARTTLS), with optional AUTH, that can be told to
accept, defer (421/451), reject (550, also per recipient), drop the connection after the
data, or stall before answering the data.

It records what it accepted: a message counts as accepted only if its 250 went out on a
connection still open when it was written.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import ssl
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from console.domain.outbound import SmtpAccount
from tests.mail.dovecot import free_port
from tests.sync.tls import CertificateAuthority

# aiosmtpd's own deprecation, raised on its loop thread at every AUTH (not ours to fix), and
# its chatter about connections the tests break on purpose.
warnings.filterwarnings("ignore", "Session.login_data is deprecated", DeprecationWarning)
logging.getLogger("mail.log").setLevel(logging.ERROR)

HOST = "127.0.0.1"
USER, PASSWORD = "support@vendor.example", "s3cret-smtp"

ACCEPT, DEFER_421, DEFER_451, REJECT, DROP, DROP_MID_DATA, STALL = (
    "accept",
    "defer421",
    "defer451",
    "reject",
    "drop",  # the whole data read, then the connection closed instead of an answer
    "drop-mid-data",  # the connection closed while the data is coming in
    "stall",
)


@dataclass(frozen=True)
class Received:
    message_id: str  # without angle brackets
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    user: str  # who signed in ("" none)


@dataclass
class _State:
    mode: str = ACCEPT
    refuse: dict[str, str] = field(default_factory=dict)  # recipient → reply
    accepted: list[Received] = field(default_factory=list)
    attempts: int = 0  # DATA answered or stalled, accepted or not
    lock: threading.Lock = field(default_factory=threading.Lock)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: asyncio.Event | None = None


class _Handler:
    def __init__(self, state: _State) -> None:
        self.state = state

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        said = self.state.refuse.get(address.casefold())
        if said:
            return said
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        state = self.state
        with state.lock:
            state.attempts += 1
            mode = state.mode
        if mode == DEFER_421:
            loop = asyncio.get_running_loop()
            transport = server.transport
            if transport is not None:
                loop.call_soon(transport.close)  # 421: the server closes the connection
            return "421 4.3.2 Service not available"
        if mode == DEFER_451:
            return "451 4.3.0 Try again later"
        if mode == REJECT:
            return "550 5.7.1 Message rejected as spam"
        if mode == DROP:
            if isinstance(server.transport, asyncio.Transport):
                server.transport.abort()  # gone without a word
            return "250 2.0.0 never heard"
        if mode == STALL:
            if state.release is None:
                state.release = asyncio.Event()
            state.stalled.set()
            await state.release.wait()
        transport = server.transport
        if transport is None or transport.is_closing():
            return "250 2.0.0 never heard"  # the client is gone: not accepted
        raw = bytes(envelope.original_content or b"")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        message_id = str(parsed.get("Message-ID") or "").strip().strip("<>")
        auth = session.auth_data
        user = auth.login.decode() if isinstance(auth, LoginPassword) else ""
        received = Received(
            message_id, str(envelope.mail_from), tuple(envelope.rcpt_tos), raw, user
        )
        with state.lock:
            state.accepted.append(received)
        return f"250 2.0.0 Ok: queued as {len(state.accepted)}"


class _Smtp(SMTP):
    """aiosmtpd's server, able to hang up in the middle of a mail's data."""

    def __init__(self, handler: _Handler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.state = handler.state

    async def smtp_DATA(self, arg: str) -> None:
        if self.state.mode != DROP_MID_DATA or not (self.envelope and self.envelope.rcpt_tos):
            await super().smtp_DATA(arg)
            return
        with self.state.lock:
            self.state.attempts += 1
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.read(64)  # the first bytes of the data, then gone
        if isinstance(self.transport, asyncio.Transport):
            self.transport.abort()


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _Smtp(self.handler, **self.SMTP_kwargs)


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SmtpServer:
    """One running server; ``mode`` and ``refuse`` may be changed while it runs."""

    def __init__(self, root: Path, *, security: str = "starttls", auth: bool = False) -> None:
        self.root = root
        self.security = security
        self.auth = auth
        authority = CertificateAuthority.create("Support Console SMTP test CA")
        cert, key = authority.issue(HOST).write(root)
        self.ca_file = authority.write(root / "ca.crt")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.port = free_port()
        self._state = _State()
        kwargs: dict[str, Any] = {"hostname": HOST, "port": self.port}
        if auth:
            kwargs.update(authenticator=_authenticate, auth_required=True)
        if security == "tls":
            kwargs.update(ssl_context=context, auth_require_tls=False)
        elif security == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:  # "plain": a server that offers no STARTTLS
            kwargs.update(auth_require_tls=False)
        with warnings.catch_warnings():  # implicit TLS is TLS, whatever aiosmtpd thinks
            warnings.simplefilter("ignore")
            self._controller = _Controller(_Handler(self._state), **kwargs)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.release()
        self._controller.stop()

    # -- what the test controls ----------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._state.mode

    @mode.setter
    def mode(self, value: str) -> None:
        with self._state.lock:
            self._state.mode = value

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self._state.refuse[address.casefold()] = reply

    @property
    def stalled(self) -> threading.Event:
        """Set once a DATA answer is being held back (mode ``stall``)."""
        return self._state.stalled

    def release(self) -> None:
        """Let a stalled DATA answer go (it is accepted only if its client is still there)."""
        event = self._state.release
        loop = self._controller.loop
        if event is not None and loop.is_running():
            loop.call_soon_threadsafe(event.set)

    # -- what it saw ---------------------------------------------------------------------

    @property
    def accepted(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.accepted)

    @property
    def attempts(self) -> int:
        return self._state.attempts

    def accepted_ids(self) -> list[str]:
        return [r.message_id for r in self.accepted]

    def account(self, **changes: Any) -> SmtpAccount:
        """An account for this server, as a lead would set it up."""
        values: dict[str, Any] = {
            "id": "",
            "name": "support@vendor.example",
            "host": HOST,
            "port": self.port,
            "security": "tls" if self.security == "tls" else "starttls",
            "username": USER if self.auth else "",
            "from_address": "support@vendor.example",
            "from_name": "Vendor Support",
            "ca_file": str(self.ca_file),
        }
        values.update(changes)
        return SmtpAccount(**values)


@contextmanager
def smtp_server(*, security: str = "starttls", auth: bool = False) -> Iterator[SmtpServer]:
    with tempfile.TemporaryDirectory(prefix="sc-smtpd-") as root:
        server = SmtpServer(Path(root), security=security, auth=auth).start()
        try:
            yield server
        finally:
            server.stop()
