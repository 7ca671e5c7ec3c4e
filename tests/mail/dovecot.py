"""A throwaway dovecot for the IMAP tests (DESIGN §11: real servers on loopback).

One server per test module: IMAP only, on 127.0.0.1 and free ports (implicit TLS and STARTTLS),
with a certificate from a throwaway CA, two passwd-file users and maildirs in a temporary
folder. The system's dovecot service is never touched. Tests run as root and dovecot refuses
uid 0 for mail users, so mail belongs to ``nobody``/``nogroup``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.sync.tls import CertificateAuthority

DOVECOT = Path("/usr/sbin/dovecot")
MAIL_UID = MAIL_GID = 65534  # nobody / nogroup
USERS = {"alice": "alice-Secret-1", "bob": "bob-Secret-2"}
START_TIMEOUT = 20.0

_CONFIG = """\
# Written by tests/mail/dovecot.py; nothing here is read from /etc/dovecot.
instance_name = support-console-test-{port}
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
debug_log_path = {root}/dovecot.log
syslog_facility = local7
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}

ssl = required
ssl_cert = <{root}/server.crt
ssl_key = <{root}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


class DovecotError(Exception):
    pass


@dataclass
class Dovecot:
    root: Path
    port: int  # implicit TLS
    starttls_port: int
    ca_file: Path
    process: subprocess.Popen[bytes]

    host = "127.0.0.1"

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @classmethod
    def start(cls) -> Dovecot:
        # Not pytest's tmp_path: its parents are 0700 root, and dovecot's workers run as
        # nobody/dovenull and must reach the maildirs and sockets.
        root = Path(tempfile.mkdtemp(prefix="sc-dovecot-"))
        root.chmod(0o755)
        authority = CertificateAuthority.create("Support Console IMAP test CA")
        authority.issue("127.0.0.1").write(root)
        ca_file = authority.write(root / "ca.crt")
        (root / "passwd").write_text(
            "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in USERS.items())
        )
        for sub in ("run", "state"):
            (root / sub).mkdir()
        home = root / "home"
        home.mkdir()
        for user in USERS:
            (home / user).mkdir()
            os.chown(home / user, MAIL_UID, MAIL_GID)
        port, starttls_port = free_port(), free_port()
        (root / "dovecot.conf").write_text(
            _CONFIG.format(
                root=root, port=port, starttls_port=starttls_port, uid=MAIL_UID, gid=MAIL_GID
            )
        )
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        server = cls(root, port, starttls_port, ca_file, process)
        deadline = time.monotonic() + START_TIMEOUT
        while not (_accepts(port) and _accepts(starttls_port)):
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                server.remove()
                raise DovecotError(f"dovecot exited with {process.returncode}: {output}")
            if time.monotonic() > deadline:
                server.stop()
                raise DovecotError(f"dovecot did not listen within {START_TIMEOUT} s")
            time.sleep(0.02)  # readiness poll of a child process, not a test waiting on time
        return server

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            if self.process.stdout:
                self.process.stdout.close()
        finally:
            self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # -- talking to it as a second, independent client -------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    @contextlib.contextmanager
    def client(self, user: str, folder: str | None = None) -> Iterator[IMAPClient]:
        with IMAPClient(
            self.host, self.port, ssl_context=self.ssl_context(), timeout=10.0
        ) as client:
            client.normalise_times = False
            client.login(user, USERS[user])
            if folder is not None:
                client.select_folder(folder)
            yield client

    def append(
        self,
        user: str,
        raw: bytes,
        flags: Sequence[str] = (),
        internaldate: datetime | None = None,
        folder: str = "INBOX",
    ) -> int:
        """Put ``raw`` into ``folder``; the UID the server gave it (APPENDUID)."""
        with self.client(user) as client:
            response = client.append(folder, raw, flags=tuple(flags), msg_time=internaldate)
        text = response.decode() if isinstance(response, bytes) else str(response)
        # "[APPENDUID <uidvalidity> <uid>] Append completed."
        words = text.replace("[", " ").replace("]", " ").split()
        return int(words[words.index("APPENDUID") + 2])

    def flags_of(self, user: str, folder: str = "INBOX") -> dict[int, set[str]]:
        with self.client(user, folder) as client:
            uids = client.search(["ALL"])
            fetched = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {
            uid: {flag.decode() if isinstance(flag, bytes) else flag for flag in data[b"FLAGS"]}
            for uid, data in fetched.items()
        }

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        with self.client(user, folder) as client:
            return sorted(client.search(["ALL"]))

    def create_folder(self, user: str, folder: str) -> None:
        with self.client(user) as client:
            client.create_folder(folder)

    def delete_folder(self, user: str, folder: str) -> None:
        with self.client(user) as client:
            client.delete_folder(folder)

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])


def dovecot_server() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip(
            f"the IMAP tests need dovecot ({DOVECOT}); install dovecot-imapd to run them",
            allow_module_level=True,
        )
    try:
        server = Dovecot.start()
    except (DovecotError, OSError) as exc:
        pytest.fail(f"dovecot could not be started for the IMAP tests: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


dovecot = pytest.fixture(scope="module", name="dovecot")(dovecot_server)
