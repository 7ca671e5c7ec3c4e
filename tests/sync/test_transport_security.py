"""The sync connection cannot leak on a hostile network (issue #11, item 6).

Everything runs on loopback with real sockets and the real libpq: a *stripping proxy* that
answers PostgreSQL's SSLRequest with "no" and relays to the test cluster, a *spoofed server*
with its own certificate that asks for the password in clear text, and a TLS-enabled
throwaway cluster whose certificate a test authority signs. Also here: passwords are kept out
of the server address (and so out of the SQLite ``meta`` table), and a plain-text keyring is
refused even behind keyring's chainer.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import psycopg
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.backends.chainer import ChainerBackend

from console.services.sync import (
    KEYRING_SERVICE,
    CredentialsUnavailable,
    KeyringCredentials,
    SyncRefused,
    SyncService,
    SyncSettings,
    TlsMode,
    validate_settings,
)
from console.services.validation import ValidationError
from db.sync.server import add_member, init_server
from db.sync.transport import PgTransport, conninfo, tls_options
from tests.sync.conftest import MemoryKeyring
from tests.sync.pg import PgCluster
from tests.sync.tls import CertificateAuthority, ServerCertificate, self_signed

MEMBER, PASSWORD = "transport_member", "a-password-that-must-never-cross"
SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
WAIT_S = 20  # an upper bound for a loopback peer to finish, never a delay


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _client_messages(data: bytes) -> list[tuple[str, bytes]]:
    """The client's messages after its startup packet: (type, body)."""
    if len(data) < 4:
        return []
    (length,) = struct.unpack("!i", data[:4])
    messages, at = [("startup", data[4:length])], length
    while at + 5 <= len(data):
        kind = chr(data[at])
        (length,) = struct.unpack("!i", data[at + 1 : at + 5])
        messages.append((kind, data[at + 5 : at + 1 + length]))
        at += 1 + length
    return messages


@dataclass
class Seen:
    """What one connection sent to a hostile peer."""

    requests: list[int] = field(default_factory=list)  # SSLRequest / GSSENCRequest codes
    client_bytes: bytearray = field(default_factory=bytearray)  # everything after those
    handshake_failed: bool = False
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def finished(self) -> Seen:
        assert self.done.wait(WAIT_S), "the hostile peer never saw the connection end"
        return self


class _Peer:
    """A one-port loopback server; each accepted connection is handled on its own thread."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.seen: list[Seen] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://127.0.0.1:{self.port}/{dbname}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            seen = Seen()
            self.seen.append(seen)
            thread = threading.Thread(target=self._serve, args=(client, seen), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket, seen: Seen) -> None:
        try:
            with client:
                self.handle(client, seen)
        except OSError:
            pass
        finally:
            seen.done.set()

    def handle(self, client: socket.socket, seen: Seen) -> None:
        raise NotImplementedError

    def only(self) -> Seen:
        assert len(self.seen) >= 1, "no connection reached the hostile peer"
        for seen in self.seen:
            seen.finished()
        return self.seen[0]

    def close(self) -> None:
        with suppress(OSError):  # wakes the accepting thread (close alone does not)
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepting.join(WAIT_S)
        for thread in self._threads:
            thread.join(WAIT_S)


class StrippingProxy(_Peer):
    """Says "no TLS here" to the client, then relays to the real server in clear text."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        super().__init__()

    def handle(self, client: socket.socket, seen: Seen) -> None:
        while True:
            head = _recv_exact(client, 8)
            if head is None:
                return  # the client gave up after hearing "no TLS": nothing else crossed
            length, code = struct.unpack("!ii", head)
            if length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
                seen.requests.append(code)
                client.sendall(b"N")
                continue
            break
        seen.client_bytes += head
        with socket.create_connection(("127.0.0.1", self._upstream)) as upstream:
            upstream.sendall(head)
            back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
            back.start()
            while chunk := self._read(client):
                seen.client_bytes += chunk
                upstream.sendall(chunk)
            upstream.shutdown(socket.SHUT_RDWR)
            back.join(WAIT_S)
        seen.messages = _client_messages(bytes(seen.client_bytes))

    @staticmethod
    def _read(sock: socket.socket) -> bytes:
        try:
            return sock.recv(65536)
        except OSError:
            return b""

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        while chunk := self._read(source):
            try:
                target.sendall(chunk)
            except OSError:
                return


class SpoofedServer(_Peer):
    """Accepts TLS with a certificate of its own, then asks for the password in clear text
    (AuthenticationCleartextPassword, 'R' code 3) and records whatever the client sends."""

    def __init__(self, certificate: ServerCertificate, folder: Path) -> None:
        cert, key = certificate.write(folder, "spoof")
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._context.set_alpn_protocols(["postgresql"])
        super().__init__()

    def handle(self, client: socket.socket, seen: Seen) -> None:
        head = _recv_exact(client, 8)
        while head is not None and struct.unpack("!ii", head)[1] == GSSENC_REQUEST:
            client.sendall(b"N")
            head = _recv_exact(client, 8)
        if head is None or struct.unpack("!ii", head)[1] != SSL_REQUEST:
            return
        seen.requests.append(SSL_REQUEST)
        client.sendall(b"S")
        try:
            tls = self._context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            seen.handshake_failed = True
            return
        with tls:
            size = _recv_exact(tls, 4)
            if size is None:
                return
            body = _recv_exact(tls, struct.unpack("!i", size)[0] - 4) or b""
            seen.client_bytes += size + body
            tls.sendall(b"R" + struct.pack("!ii", 8, 3))  # "send me your password in clear"
            while (kind := _recv_exact(tls, 1)) is not None:
                length = _recv_exact(tls, 4)
                if length is None:
                    break
                payload = _recv_exact(tls, struct.unpack("!i", length)[0] - 4) or b""
                seen.client_bytes += kind + length + payload
        seen.messages = _client_messages(bytes(seen.client_bytes))


@pytest.fixture(scope="module")
def authority() -> CertificateAuthority:
    return CertificateAuthority.create()


@pytest.fixture(scope="module")
def tls_cluster(authority: CertificateAuthority) -> Iterator[PgCluster]:
    certificate = authority.issue("127.0.0.1")
    cluster = PgCluster.start(tls=(certificate.cert_pem, certificate.key_pem))
    try:
        cluster.create_role(MEMBER, PASSWORD)
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        finally:
            cluster.remove()


@pytest.fixture
def member(pg_cluster: PgCluster) -> str:
    pg_cluster.create_role(MEMBER, PASSWORD)
    return MEMBER


@pytest.fixture
def proxy(pg_cluster: PgCluster) -> Iterator[StrippingProxy]:
    peer = StrippingProxy(pg_cluster.port)
    yield peer
    peer.close()


@pytest.fixture
def spoof(tmp_path: Path) -> Iterator[SpoofedServer]:
    peer = SpoofedServer(self_signed("127.0.0.1"), tmp_path)
    yield peer
    peer.close()


def settings(url: str, mode: TlsMode | None = None, ca_file: str = "") -> SyncSettings:
    """Settings as the console stores them; no mode given: the stored default."""
    values = {"url": url, "team": "support", "user": MEMBER, "ca_file": ca_file}
    if mode is not None:
        values["tls_mode"] = mode.value
    return SyncSettings.from_dict(values)


def hello(chosen: SyncSettings) -> str:
    transport = PgTransport(conninfo(chosen, PASSWORD))
    try:
        return str(transport.hello("support"))
    finally:
        transport.close()


# -- defaults ----------------------------------------------------------------------------------


def test_the_default_everywhere_is_verify_full() -> None:
    assert settings("postgresql://sync.example.com/support").tls_mode is TlsMode.VERIFY_FULL
    garbled = SyncSettings.from_dict({"url": "postgresql://h/db", "tls_mode": "sometimes"})
    assert garbled.tls_mode is TlsMode.VERIFY_FULL
    with pytest.raises(ValidationError) as caught:
        validate_settings(
            SyncSettings("postgresql://h/db", "sometimes", "support", "u")  # type: ignore[arg-type]
        )
    assert set(caught.value.errors) == {"tls_mode"}
    assert tls_options(TlsMode.VERIFY_FULL) == {"sslmode": "verify-full", "sslrootcert": "system"}
    for weaker in (TlsMode.DISABLE, TlsMode.PREFER, TlsMode.REQUIRE):
        assert tls_options(weaker)["require_auth"] == "scram-sha-256"
    assert tls_options(TlsMode.REQUIRE)["channel_binding"] == "require"


# -- (a) a stripping proxy ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", [None, TlsMode.REQUIRE], ids=["default", "require"])
def test_a_stripping_proxy_gets_nothing_when_tls_is_refused(
    proxy: StrippingProxy, member: str, mode: TlsMode | None
) -> None:
    with pytest.raises(SyncRefused, match="would not encrypt the connection"):
        hello(settings(proxy.url(), mode))
    seen = proxy.only()
    assert seen.requests == [SSL_REQUEST]
    # the client hung up right after "no TLS": no startup packet (not even the user name),
    # no password message, no pushed data crossed the proxy
    assert bytes(seen.client_bytes) == b""


def test_with_prefer_chosen_on_purpose_the_password_still_never_crosses_in_clear(
    proxy: StrippingProxy, member: str
) -> None:
    """What this proves: with ``prefer`` a stripping proxy *can* read the data (the marker
    below crosses in clear; the dialog warns of exactly that), but require_auth makes SCRAM
    the only way to log in, so the password itself never crosses: only a SCRAM proof."""
    marker = "pushed-data-marker-7f3a"
    chosen = settings(proxy.url(), TlsMode.PREFER)
    with psycopg.connect(conninfo(chosen, PASSWORD), autocommit=True) as connection:
        assert connection.execute("SELECT current_user, %s::text", (marker,)).fetchone() == (
            MEMBER,
            marker,
        )
    seen = proxy.only()
    stream = bytes(seen.client_bytes)
    assert PASSWORD.encode() not in stream
    passwords = [body for kind, body in seen.messages if kind == "p"]
    assert passwords and passwords[0].startswith(b"SCRAM-SHA-256\x00")  # SASL, not a password
    assert marker.encode() in stream  # the data itself is readable: the risk the UI names


class ClearTextAsker(_Peer):
    """A stripping proxy that does not even relay: after "no TLS" it asks for the password
    in clear text itself."""

    def handle(self, client: socket.socket, seen: Seen) -> None:
        head = _recv_exact(client, 8)
        if head is None:
            return
        seen.requests.append(struct.unpack("!ii", head)[1])
        client.sendall(b"N")
        size = _recv_exact(client, 4)
        if size is None:
            return
        body = _recv_exact(client, struct.unpack("!i", size)[0] - 4) or b""
        seen.client_bytes += size + body
        client.sendall(b"R" + struct.pack("!ii", 8, 3))
        while chunk := _recv_exact(client, 1):
            seen.client_bytes += chunk
        seen.messages = _client_messages(bytes(seen.client_bytes))


def test_prefer_refuses_a_stripped_server_that_asks_for_the_password_in_clear() -> None:
    peer = ClearTextAsker()
    try:
        with pytest.raises(SyncRefused, match="in a way that could reveal it"):
            hello(settings(peer.url(), TlsMode.PREFER))
        seen = peer.only()
        assert seen.requests == [SSL_REQUEST]
        assert [kind for kind, _ in seen.messages] == ["startup"]  # no 'p' after it
        assert PASSWORD.encode() not in bytes(seen.client_bytes)
    finally:
        peer.close()


# -- (b) a spoofed server with its own certificate ---------------------------------------------


@pytest.mark.parametrize("trust", ["system", "another CA"])
def test_verify_full_refuses_a_spoofed_certificate_before_anything_is_sent(
    spoof: SpoofedServer, authority: CertificateAuthority, tmp_path: Path, trust: str
) -> None:
    ca_file = str(authority.write(tmp_path / "ca.crt")) if trust != "system" else ""
    with pytest.raises(SyncRefused, match=r"secure \(TLS\) connection .* failed"):
        hello(settings(spoof.url(), TlsMode.VERIFY_FULL, ca_file))
    seen = spoof.only()
    assert seen.handshake_failed
    assert bytes(seen.client_bytes) == b""  # no startup, no password message


def test_require_never_hands_the_password_to_a_spoof_that_asks_for_it_in_clear(
    spoof: SpoofedServer,
) -> None:
    with pytest.raises(SyncRefused, match="in a way that could reveal it") as caught:
        hello(settings(spoof.url(), TlsMode.REQUIRE))
    assert "Traceback" not in caught.value.message
    seen = spoof.only()
    assert not seen.handshake_failed  # require checks no certificate: the spoof got this far
    assert [kind for kind, _ in seen.messages] == ["startup"]  # and no 'p' (password) after it
    assert PASSWORD.encode() not in bytes(seen.client_bytes)


# -- (c) a real server with a certificate from the team's own authority ------------------------


def test_verify_full_with_the_teams_ca_file_reaches_the_server_as_a_member(
    tls_cluster: PgCluster, authority: CertificateAuthority, tmp_path: Path
) -> None:
    dbname = tls_cluster.create_database()
    init_server(tls_cluster.admin_conninfo(dbname))
    add_member(tls_cluster.admin_conninfo(dbname), "support", MEMBER)
    ca_file = str(authority.write(tmp_path / "team-ca.pem"))
    chosen = validate_settings(settings(tls_cluster.url(dbname), TlsMode.VERIFY_FULL, ca_file))
    assert chosen.ca_file == ca_file
    info = conninfo(chosen, PASSWORD)
    with psycopg.connect(info, autocommit=True) as connection:
        row = connection.execute(
            "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    assert row == (MEMBER, True)
    assert "version" in hello(chosen)
    # the same server without its authority: the system's roots do not know it
    with pytest.raises(SyncRefused, match="not signed by an authority this computer trusts"):
        hello(settings(tls_cluster.url(dbname), TlsMode.VERIFY_FULL))
    # the right authority, the wrong name: the certificate is for 127.0.0.1
    with pytest.raises(SyncRefused, match="made out to another name"):
        hello(settings(f"postgresql://localhost:{tls_cluster.port}/{dbname}", ca_file=ca_file))
    # require reaches it too, with SCRAM and channel binding
    assert "version" in hello(settings(tls_cluster.url(dbname), TlsMode.REQUIRE))


def test_a_ca_file_that_cannot_be_read_is_refused_under_its_field(tmp_path: Path) -> None:
    for name, expected in (
        (str(tmp_path / "missing.pem"), "There is no file"),
        (str(tmp_path), "is a folder"),
    ):
        with pytest.raises(ValidationError) as caught:
            validate_settings(settings("postgresql://h/db", TlsMode.VERIFY_FULL, name))
        assert set(caught.value.errors) == {"ca_file"}
        assert expected in caught.value.errors["ca_file"]


# -- passwords in the address ------------------------------------------------------------------


class RecordingBackend:
    """Just enough of a SyncBackend to see whether anything was saved."""

    def __init__(self, stored: dict[str, str] | None = None) -> None:
        self.stored = stored
        self.saves: list[dict[str, str] | None] = []

    def load_settings(self) -> dict[str, str] | None:
        return self.stored

    def save_settings(self, values: dict[str, str] | None) -> None:
        self.saves.append(values)
        self.stored = values

    def enable(self) -> None:
        pass

    def check(self, target: Any) -> str:
        raise AssertionError("a refused address must not be tried")


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("postgresql://alice:secret@sync.example.com/support", "after the user name"),
        ("postgresql://sync.example.com/support?password=secret", "password="),
        ("postgresql://sync.example.com/support?sslmode=require&PASSWORD=secret", "password="),
        ("postgresql://sync.example.com/support?pass%77ord=secret", "password="),
        ("postgresql://sync.example.com/support?passfile=/tmp/pgpass", "passfile="),
        ("postgresql://sync.example.com/support?sslpassword=secret", "sslpassword="),
        ("postgresql://sync.example.com/x%20password%3Dsecret", "database name"),
        ("host=sync.example.com dbname=support password=secret", "password="),
    ],
)
def test_a_password_anywhere_in_the_address_is_refused_and_nothing_is_saved(
    memory_keyring: MemoryKeyring, url: str, named: str
) -> None:
    backend = RecordingBackend()
    service = SyncService(backend, KeyringCredentials())  # type: ignore[arg-type]
    leaky = SyncSettings(url, TlsMode.VERIFY_FULL, "support", "alice")
    for attempt in (
        lambda: service.configure(leaky, "typed-password"),
        lambda: service.test_connection(leaky, "typed-password"),
    ):
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert set(caught.value.errors) == {"url"}
        message = caught.value.errors["url"]
        assert "Leave the password out of the address" in message and named in message
        assert "secret" not in message
    assert backend.saves == [] and memory_keyring.passwords == {}


def test_a_password_stored_by_an_older_version_never_reaches_a_message_or_the_server(
    memory_keyring: MemoryKeyring,
) -> None:
    old = (
        "postgresql://alice:hunter2@sync.example.com:5433/support?password=hunter2&sslmode=disable"
    )
    service = SyncService(
        RecordingBackend({"url": old, "tls_mode": "prefer", "team": "support", "user": "alice"})
    )  # type: ignore[arg-type]
    stored = service.settings()
    assert stored is not None and stored.scrubbed
    assert "hunter2" not in stored.url and "hunter2" not in repr(stored)
    assert stored.server_label == "sync.example.com:5433/support"
    params = psycopg.conninfo.conninfo_to_dict(conninfo(stored, None))
    assert "password" not in params and params["sslmode"] == "prefer"


# -- the keyring, through chainers -------------------------------------------------------------


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's file.PlaintextKeyring (not installed here): passwords
    kept readable on disk. Only its name says so, as the real one's does."""

    priority = 0.5  # type: ignore[assignment]  # as keyrings.alt's
    viable = False  # type: ignore[assignment]  # never picked by keyring's own discovery


PlaintextKeyring.__module__ = "keyrings.alt.file"


class Chain(ChainerBackend):
    """keyring's own chainer over a chosen list of backends (instead of every one found)."""

    viable = False  # type: ignore[assignment]  # never picked by keyring's own discovery

    def __init__(self, *members: KeyringBackend) -> None:
        super().__init__()
        self._members = list(members)

    @property
    def backends(self) -> list[KeyringBackend]:  # type: ignore[override]
        return self._members


@pytest.fixture
def chained() -> Iterator[list[KeyringBackend]]:
    previous = keyring.get_keyring()
    members: list[KeyringBackend] = []
    yield members
    keyring.set_keyring(previous)


SETTINGS = SyncSettings("postgresql://sync.example.com/support", TlsMode.VERIFY_FULL, "t", "u")


def test_a_plaintext_keyring_behind_the_chainer_is_never_used(
    chained: list[KeyringBackend],
) -> None:
    plaintext, secure = PlaintextKeyring(), MemoryKeyring()
    keyring.set_keyring(Chain(plaintext, secure))
    credentials = KeyringCredentials()
    credentials.set(SETTINGS, "pw")
    assert plaintext.passwords == {}
    assert secure.passwords == {(KEYRING_SERVICE, "u@postgresql://sync.example.com/support"): "pw"}
    plaintext.passwords[(KEYRING_SERVICE, "u@postgresql://sync.example.com/support")] = "planted"
    assert credentials.get(SETTINGS) == "pw"
    credentials.delete(SETTINGS)
    assert secure.passwords == {} and credentials.get(SETTINGS) is None


@pytest.mark.parametrize(
    "members",
    [
        lambda: [PlaintextKeyring(), fail.Keyring()],
        lambda: [PlaintextKeyring()],
        lambda: [null.Keyring()],
        lambda: [],
    ],
    ids=["plaintext+fail", "plaintext", "null", "empty"],
)
def test_a_chain_with_no_secure_keyring_refuses_the_password_in_words(
    chained: list[KeyringBackend], members: Any
) -> None:
    backends = members()
    keyring.set_keyring(Chain(*backends))
    credentials = KeyringCredentials()
    with pytest.raises(CredentialsUnavailable, match="No secure system keyring"):
        credentials.set(SETTINGS, "pw")
    assert credentials.get(SETTINGS) is None
    for backend in backends:
        assert getattr(backend, "passwords", {}) == {}


def test_a_plaintext_keyring_on_its_own_is_refused(chained: list[KeyringBackend]) -> None:
    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(CredentialsUnavailable, match="No secure system keyring"):
        KeyringCredentials().set(SETTINGS, "pw")
