"""Talking to an SMTP server for the outbox (DESIGN §11 "Out"), always over verified TLS.

One :class:`SmtpConnection` is one connection to one account's server: TLS from the first
byte (``security="tls"``, port 465) or STARTTLS (port 587) — a server that offers no STARTTLS
is refused rather than spoken to in the clear — then EHLO and, when the account has a user
name, AUTH. :meth:`SmtpConnection.send` hands over one mail's bytes exactly as queued and says
what the server answered. Every socket has a timeout, so a silent server cannot hold a sender.

What the server says reaches the caller as an :class:`SmtpError` whose ``str()`` is words:
the server's own code and text (``421 4.3.2 Service not available``), or what went wrong with
the connection (``Could not reach smtp.vendor.example:587: connection refused``).
``temporary`` tells a "try later" (4xx, the network) from a refusal for good (5xx);
``connection_lost`` says the connection cannot carry another mail.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

from console.domain.outbound import SmtpAccount

__all__ = ["TIMEOUT", "Accepted", "SmtpConnection", "SmtpError", "check_connection"]

TIMEOUT = 30.0  # seconds any one socket operation may take
_TEXT_MAX = 500


class SmtpError(Exception):
    """The server, or the way to it, did not take a mail; ``str()`` is words for people."""

    def __init__(
        self, words: str, *, temporary: bool = True, connection_lost: bool = False
    ) -> None:
        super().__init__(words)
        self.temporary = temporary
        self.connection_lost = connection_lost


@dataclass(frozen=True, slots=True)
class Accepted:
    """The server said 250 to a mail's data: its words, and any recipients it refused."""

    reply: str
    refused: dict[str, str] = field(default_factory=dict)  # address → the server's words


def _words(code: int, text: bytes | str) -> str:
    """The server's reply as it said it: ``"451 4.3.0 Try again later"``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    said = " ".join(text.split())
    if len(said) > _TEXT_MAX:
        said = said[: _TEXT_MAX - 1] + "…"
    return f"{code} {said}".strip() if code > 0 else said


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer in time"
    if isinstance(error, socket.gaierror):
        return "no such host"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted ({error.verify_message or error.reason})"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or error})"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(error, OSError):
        return (error.strerror or str(error) or type(error).__name__).lower()
    return str(error) or type(error).__name__


class SmtpConnection:
    """One connection to ``account``'s server; use as a context manager."""

    def __init__(self, account: SmtpAccount, password: str | None, timeout: float = TIMEOUT):
        self.account = account
        self._password = password
        self._timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.account.host}:{self.account.port}"

    def __enter__(self) -> SmtpConnection:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.account.ca_file or None)
        except (OSError, ssl.SSLError, ValueError) as error:
            raise SmtpError(
                f"Cannot read the CA file {self.account.ca_file!r} for {self.account.host}"
                f" ({_reason(error)}): check the file is a PEM certificate."
            ) from None

    def _lost(self, doing: str, error: BaseException) -> SmtpError:
        return SmtpError(
            f"{doing.capitalize()} {self.where} failed: {_reason(error)}", connection_lost=True
        )

    def _open(self) -> None:
        account = self.account
        if account.security not in ("tls", "starttls"):
            raise SmtpError(
                f"{account.name}: choose TLS or STARTTLS; mail is never sent in the clear.",
                temporary=True,
            )
        if account.username and not self._password:
            raise SmtpError(
                f"No password is stored for {account.username} on {account.host}: enter it "
                "in Settings → Mail…, or give 'mail watch' its systemd credential."
            )
        context = self._context()
        try:
            if account.security == "tls":
                self._smtp = smtplib.SMTP_SSL(
                    account.host, account.port, timeout=self._timeout, context=context
                )
            else:
                self._smtp = smtplib.SMTP(account.host, account.port, timeout=self._timeout)
        except smtplib.SMTPConnectError as error:
            raise SmtpError(
                f"{self.where} would not talk: {_words(error.smtp_code, error.smtp_error)}",
                connection_lost=True,
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise SmtpError(
                f"Could not reach {self.where}: {_reason(error)}", connection_lost=True
            ) from None
        smtp = self._smtp
        try:
            code, text = smtp.ehlo()
            if code != 250:
                raise SmtpError(f"{account.host} refused EHLO: {_words(code, text)}")
            if account.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SmtpError(
                        f"{self.where} offers no STARTTLS, and mail is never sent in the "
                        "clear: check the port (465 is TLS, 587 STARTTLS) and the security "
                        "setting.",
                        temporary=True,
                    )
                code, text = smtp.starttls(context=context)
                if code != 220:
                    raise SmtpError(f"{account.host} refused STARTTLS: {_words(code, text)}")
                smtp.ehlo()
            if account.username:
                assert self._password is not None
                smtp.login(account.username, self._password)
        except SmtpError:
            raise
        except smtplib.SMTPAuthenticationError as error:
            raise SmtpError(
                f"{account.host} refused the login for {account.username!r} "
                f"({_words(error.smtp_code, error.smtp_error)}): check the user name and "
                "password.",
                temporary=True,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise SmtpError(
                f"{account.host} does not offer AUTH here: clear the user name if the server "
                "needs no sign-in, or check the security setting."
            ) from None
        except smtplib.SMTPResponseException as error:
            raise SmtpError(
                f"{account.host} refused to start: {_words(error.smtp_code, error.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise SmtpError(
                f"Talking to {self.where} failed: {_reason(error)}", connection_lost=True
            ) from None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            with contextlib.suppress(OSError):
                smtp.close()

    def abandon(self) -> None:
        """Close without QUIT (after the connection broke)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is None:
            raise SmtpError(f"Not connected to {self.where}.", connection_lost=True)
        return self._smtp

    # -- one mail ------------------------------------------------------------------------

    def send(self, sender: str, recipients: Sequence[str], raw: bytes) -> Accepted:
        """Hand over one mail: ``raw`` exactly, to ``recipients``, from ``sender``.

        Returns when the server said 250 to the data; raises :class:`SmtpError` otherwise
        (after a refusal the connection is reset and can carry the next mail)."""
        smtp = self._connected()
        options: list[str] = []
        if any(b > 127 for b in raw) and smtp.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not all(a.isascii() for a in (sender, *recipients)) and smtp.has_extn("smtputf8"):
            options.append("SMTPUTF8")
        try:
            code, text = smtp.mail(sender, options)
            if code != 250:
                self._reset()
                raise self._refusal(code, text, "the sender")
            refused: dict[str, tuple[int, bytes]] = {}
            for recipient in recipients:
                code, text = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, text)
                if code == 421:
                    raise self._refusal(code, text, "the mail")
            if len(refused) == len(recipients):
                self._reset()
                permanent = all(code >= 500 for code, _ in refused.values())
                said = "; ".join(f"{r}: {_words(c, t)}" for r, (c, t) in refused.items())
                raise SmtpError(f"Every recipient was refused: {said}", temporary=not permanent)
            try:
                code, text = smtp.data(raw)
            except smtplib.SMTPDataError as error:  # no 354 to DATA
                self._reset()
                raise self._refusal(error.smtp_code, error.smtp_error, "the mail") from None
            if code != 250:
                self._reset()
                raise self._refusal(code, text, "the mail")
            words = {r: _words(c, t) for r, (c, t) in refused.items()}
            return Accepted(_words(code, text), words)
        except SmtpError:
            raise
        except smtplib.SMTPServerDisconnected as error:
            self.abandon()
            raise self._lost("sending to", error) from None
        except (OSError, smtplib.SMTPException) as error:
            self.abandon()
            raise self._lost("sending to", error) from None

    def _refusal(self, code: int, text: bytes | str, what: str) -> SmtpError:
        said = _words(code, text)
        if code == 421:  # the server is closing the connection
            self.abandon()
            return SmtpError(said, temporary=True, connection_lost=True)
        if 400 <= code < 500:
            return SmtpError(said, temporary=True)
        if code >= 500:
            return SmtpError(said, temporary=False)
        return SmtpError(f"{self.account.host} gave an unexpected answer to {what}: {said}")

    def _reset(self) -> None:
        smtp = self._smtp
        if smtp is None:
            return
        try:
            smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.abandon()

    def describe(self) -> str:
        smtp = self._connected()
        how = "TLS" if self.account.security == "tls" else "STARTTLS"
        signed = f", signed in as {self.account.username}" if self.account.username else ""
        size = smtp.esmtp_features.get("size", "").strip()
        limit = ""
        if size.isdigit() and int(size) > 0:
            limit = f"; it takes mail up to {int(size) // (1024 * 1024)} MiB"
        return f"Connected to {self.where} over {how}{signed}{limit}."


def check_connection(account: SmtpAccount, password: str | None, timeout: float = TIMEOUT) -> str:
    """Connect, TLS, EHLO and AUTH, then QUIT: a sentence for the settings dialog's test
    button. Raises :class:`SmtpError` (its ``str()`` is words) when any step fails."""
    with SmtpConnection(account, password, timeout) as connection:
        return connection.describe()
