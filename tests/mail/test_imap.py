"""``mail.imap`` against a real dovecot on loopback (DESIGN §11); no mocks."""

from __future__ import annotations

import dataclasses
import socket
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mail.imap import (
    AfterImport,
    ImapMailbox,
    ImapSettings,
    MailboxError,
    check_connection,
)
from tests.mail.dovecot import USERS, Dovecot, dovecot, free_port

__all__ = ["dovecot"]  # the module-scoped fixture, imported to be found


def settings_for(server: Dovecot, user: str = "alice", **changes: object) -> ImapSettings:
    base = ImapSettings(
        name=f"{user}@vendor.example",
        host=server.host,
        port=server.port,
        username=user,
        ca_file=str(server.ca_file),
        timeout=10.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def raw_mail(subject: str) -> bytes:
    # Odd but legal bytes: a folded header, 8-bit body, no final newline.
    return (
        b"From: Customer <c@customer.example>\r\n"
        b"To: support@vendor.example\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"X-Folded: one\r\n\ttwo\r\n"
        b"Message-ID: <" + subject.replace(" ", ".").encode() + b"@customer.example>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"\r\n"
        b"caf\xe9  \r\ntrailing spaces   \r\nno newline at the end"
    )


@pytest.fixture
def bob(dovecot: Dovecot) -> Dovecot:
    """Bob's mailbox, emptied: each test that uses it starts from nothing."""
    with dovecot.client("bob", "INBOX") as client:
        uids = client.search(["ALL"])
        if uids:
            client.delete_messages(uids)
            client.expunge()
        for folder in client.list_folders():
            name = folder[2]
            if name != "INBOX":
                client.delete_folder(name)
    return dovecot


def test_fetch_returns_the_bytes_and_the_internaldate_as_appended(bob: Dovecot) -> None:
    arrived = datetime(2024, 3, 1, 9, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    uid = bob.append("bob", raw_mail("exact bytes"), internaldate=arrived)

    with ImapMailbox(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        fetched = list(mailbox.fetch_after(0))
        validity = mailbox.uidvalidity

    assert [m.uid for m in fetched] == [uid]
    assert fetched[0].raw == raw_mail("exact bytes")
    assert fetched[0].internaldate == arrived
    assert fetched[0].internaldate.tzinfo is UTC
    assert fetched[0].uidvalidity == validity == bob.uidvalidity("bob")


def test_fetching_does_not_mark_seen_and_finish_seen_does(bob: Dovecot) -> None:
    first = bob.append("bob", raw_mail("one"))
    second = bob.append("bob", raw_mail("two"))

    with ImapMailbox(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        assert [m.uid for m in mailbox.fetch_after(0)] == [first, second]
        assert not any("\\Seen" in flags for flags in bob.flags_of("bob").values())
        mailbox.finish(first)

    flags = bob.flags_of("bob")
    assert "\\Seen" in flags[first]
    assert "\\Seen" not in flags[second]


def test_finish_leave_changes_nothing(bob: Dovecot) -> None:
    uid = bob.append("bob", raw_mail("leave me"), flags=["\\Flagged"])
    with ImapMailbox(settings_for(bob, "bob", after=AfterImport.LEAVE), USERS["bob"]) as mailbox:
        list(mailbox.fetch_after(0))
        mailbox.finish(uid)
    assert bob.flags_of("bob") == {uid: {"\\Flagged"}}


def test_move_moves_only_that_message(bob: Dovecot) -> None:
    bob.create_folder("bob", "Imported")
    keep = bob.append("bob", raw_mail("stays"))
    deleted_by_someone = bob.append("bob", raw_mail("marked deleted"), flags=["\\Deleted"])
    moved = bob.append("bob", raw_mail("moves"))
    settings = settings_for(bob, "bob", after=AfterImport.MOVE, move_to="Imported")

    with ImapMailbox(settings, USERS["bob"]) as mailbox:
        assert moved in [m.uid for m in mailbox.fetch_after(0)]
        mailbox.finish(moved)

    assert bob.uids("bob") == [keep, deleted_by_someone]
    assert "\\Deleted" in bob.flags_of("bob")[deleted_by_someone]
    with bob.client("bob", "Imported") as client:
        (uid,) = client.search(["ALL"])
        body = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    assert body == raw_mail("moves")


def test_move_without_the_move_command_copies_and_expunges_only_that_uid(bob: Dovecot) -> None:
    class NoMove(ImapMailbox):  # the same dovecot, as a server without RFC 6851 would look
        def _has(self, capability: str) -> bool:
            return capability != "MOVE" and super()._has(capability)

    bob.create_folder("bob", "Imported")
    deleted_by_someone = bob.append("bob", raw_mail("marked deleted"), flags=["\\Deleted"])
    moved = bob.append("bob", raw_mail("copied"))
    settings = settings_for(bob, "bob", after=AfterImport.MOVE, move_to="Imported")

    with NoMove(settings, USERS["bob"]) as mailbox:
        list(mailbox.fetch_after(0))
        mailbox.finish(moved)

    assert bob.uids("bob") == [deleted_by_someone]
    assert len(bob.uids("bob", "Imported")) == 1


def test_move_to_a_missing_folder_says_so(bob: Dovecot) -> None:
    uid = bob.append("bob", raw_mail("nowhere to go"))
    settings = settings_for(bob, "bob", after=AfterImport.MOVE, move_to="Nope")
    with ImapMailbox(settings, USERS["bob"]) as mailbox, pytest.raises(MailboxError) as caught:
        mailbox.finish(uid)
    assert "'Nope'" in str(caught.value)
    assert bob.uids("bob") == [uid]


def test_move_needs_a_folder(bob: Dovecot) -> None:
    settings = settings_for(bob, "bob", after=AfterImport.MOVE)
    with pytest.raises(MailboxError, match="choose the folder"):
        ImapMailbox(settings, USERS["bob"]).__enter__()


def test_fetch_after_skips_what_was_fetched_and_the_n_star_trap(bob: Dovecot) -> None:
    first = bob.append("bob", raw_mail("first"))
    second = bob.append("bob", raw_mail("second"))

    with ImapMailbox(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        assert [m.uid for m in mailbox.fetch_after(first)] == [second]
        # "UID SEARCH UID 3:*" matches the highest UID even though it is below 3.
        assert list(mailbox.fetch_after(second)) == []
        assert list(mailbox.fetch_after(second + 100)) == []
    third = bob.append("bob", raw_mail("third"))
    with ImapMailbox(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        assert [m.uid for m in mailbox.fetch_after(second)] == [third]


def test_fetch_after_in_small_batches_keeps_order(bob: Dovecot) -> None:
    uids = [bob.append("bob", raw_mail(f"batch {n}")) for n in range(7)]
    with ImapMailbox(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        fetched = list(mailbox.fetch_after(0, batch=3))
    assert [m.uid for m in fetched] == uids
    assert [m.raw for m in fetched] == [raw_mail(f"batch {n}") for n in range(7)]


def test_a_recreated_folder_has_a_new_uidvalidity(bob: Dovecot) -> None:
    bob.create_folder("bob", "Support")
    bob.append("bob", raw_mail("old"), folder="Support")
    settings = settings_for(bob, "bob", folder="Support")
    with ImapMailbox(settings, USERS["bob"]) as mailbox:
        before = mailbox.uidvalidity
        (old,) = list(mailbox.fetch_after(0))

    bob.delete_folder("bob", "Support")
    bob.create_folder("bob", "Support")
    bob.append("bob", raw_mail("new"), folder="Support")
    with ImapMailbox(settings, USERS["bob"]) as mailbox:
        after = mailbox.uidvalidity
        (new,) = list(mailbox.fetch_after(0))

    assert before != after
    assert (old.uidvalidity, new.uidvalidity) == (before, after)


def test_a_wrong_password_is_refused_in_words(dovecot: Dovecot) -> None:
    with pytest.raises(MailboxError) as caught, ImapMailbox(settings_for(dovecot), "wrong"):
        pass
    message = str(caught.value)
    assert "127.0.0.1 refused the login for 'alice'" in message
    assert "password" in message
    assert "wrong" not in message  # never the password
    assert "Traceback" not in message


def test_an_untrusted_certificate_is_named(dovecot: Dovecot) -> None:
    settings = settings_for(dovecot, ca_file="")  # the system's CAs do not know our test CA
    with pytest.raises(MailboxError) as caught, ImapMailbox(settings, USERS["alice"]):
        pass
    assert str(caught.value).startswith("the server's certificate is not trusted")
    assert "127.0.0.1" in str(caught.value)


def test_starttls_is_verified_too(dovecot: Dovecot) -> None:
    settings = settings_for(dovecot, port=dovecot.starttls_port, starttls=True)
    assert check_connection(settings, USERS["alice"]).startswith("Connected: ")
    untrusted = dataclasses.replace(settings, ca_file="")
    with pytest.raises(MailboxError, match=r"^the server's certificate is not trusted"):
        check_connection(untrusted, USERS["alice"])


def test_implicit_tls_on_the_starttls_port_says_what_to_check(dovecot: Dovecot) -> None:
    settings = settings_for(dovecot, port=dovecot.starttls_port, timeout=3.0)
    with pytest.raises(MailboxError) as caught:
        check_connection(settings, USERS["alice"])
    assert f"127.0.0.1:{dovecot.starttls_port}" in str(caught.value)


def test_a_closed_port_is_refused_in_words(dovecot: Dovecot) -> None:
    settings = settings_for(dovecot, port=free_port())
    with pytest.raises(MailboxError) as caught:
        check_connection(settings, USERS["alice"])
    assert str(caught.value) == (
        f"127.0.0.1:{settings.port} refused the connection — check the host and the port"
    )


def test_a_missing_folder_is_named(dovecot: Dovecot) -> None:
    settings = settings_for(dovecot, folder="Does/Not/Exist")
    with pytest.raises(MailboxError) as caught:
        check_connection(settings, USERS["alice"])
    assert "there is no folder 'Does/Not/Exist' on 127.0.0.1" in str(caught.value)


def test_a_missing_ca_file_is_named(dovecot: Dovecot, tmp_path: Path) -> None:
    settings = settings_for(dovecot, ca_file=str(tmp_path / "absent.pem"))
    with pytest.raises(MailboxError, match="cannot read the CA file"):
        check_connection(settings, USERS["alice"])


def test_a_silent_server_times_out_in_words() -> None:
    with socket.socket() as listener:  # accepts, then never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        settings = ImapSettings(name="silent", host="127.0.0.1", port=port, timeout=0.5)
        with pytest.raises(MailboxError) as caught:
            check_connection(settings, "x")
    assert str(caught.value) == (
        f"127.0.0.1:{port} did not answer within 0.5 s — check the host, the port and the firewall"
    )


def test_idle_returns_true_soon_after_another_connection_appends(bob: Dovecot) -> None:
    idle_started = threading.Event()
    appended: list[int] = []

    def deliver() -> None:
        if idle_started.wait(10):
            appended.append(bob.append("bob", raw_mail("while idling")))

    class Signalling(ImapMailbox):
        def _call(self, command, doing, budget=8 * 1024 * 1024, wait=0.0):  # type: ignore[no-untyped-def]
            result = super()._call(command, doing, budget, wait)
            if doing == "wait for mail" and not idle_started.is_set():
                idle_started.set()  # IDLE has been accepted by the server
            return result

    with Signalling(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        sender = threading.Thread(target=deliver)
        sender.start()
        try:
            started = datetime.now(UTC)
            assert mailbox.idle(20.0) is True
            assert datetime.now(UTC) - started < timedelta(seconds=15)
        finally:
            sender.join(20)
        assert [m.uid for m in mailbox.fetch_after(0)] == appended


def test_idle_times_out_false_without_mail(bob: Dovecot) -> None:
    with ImapMailbox(settings_for(bob, "bob"), USERS["bob"]) as mailbox:
        assert mailbox.idle(0.2) is False
        assert list(mailbox.fetch_after(0)) == []  # the connection is still usable


def test_check_connection_counts_the_messages(bob: Dovecot) -> None:
    assert check_connection(settings_for(bob, "bob"), USERS["bob"]) == (
        "Connected: 0 messages in INBOX"
    )
    bob.append("bob", raw_mail("one"))
    assert check_connection(settings_for(bob, "bob"), USERS["bob"]) == (
        "Connected: 1 message in INBOX"
    )


def test_users_do_not_see_each_other(dovecot: Dovecot) -> None:
    with ImapMailbox(settings_for(dovecot, "alice"), USERS["alice"]) as mailbox:
        before = [m.uid for m in mailbox.fetch_after(0)]
    dovecot.append("bob", raw_mail("for bob only"))
    with ImapMailbox(settings_for(dovecot, "alice"), USERS["alice"]) as mailbox:
        assert [m.uid for m in mailbox.fetch_after(0)] == before


class HostileServer:
    """A TLS server with the test certificate that greets, then answers every command with
    ``answer`` (the client's tag is put in for ``{tag}``): a broken or hostile IMAP server."""

    def __init__(self, dovecot: Dovecot, answer: bytes) -> None:
        import ssl

        self.answer = answer
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(dovecot.root / "server.crt", dovecot.root / "server.key")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            raw, _ = self.listener.accept()
            with self.context.wrap_socket(raw, server_side=True) as conn:
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n")
                reader = conn.makefile("rb")
                while line := reader.readline(10_000):
                    tag = line.split(b" ", 1)[0]
                    conn.sendall(self.answer.replace(b"{tag}", tag))
        except OSError:
            pass  # the client hung up on us, as it should

    def close(self) -> None:
        self.listener.close()
        self.thread.join(10)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        pytest.param(b"* OK {99999999999}\r\n", "sent far more than it should", id="huge literal"),
        pytest.param(
            b"\x00\xff garbage (((\r\n{tag} OK [UIDVALIDITY x]\r\n", "would not", id="garbage"
        ),
        pytest.param(b"* 1 EXISTS\r\n" * 2_000_000, "sent far more", id="an endless stream"),
    ],
)
def test_a_hostile_server_gives_words_not_a_hang(
    dovecot: Dovecot, answer: bytes, words: str
) -> None:
    server = HostileServer(dovecot, answer)
    settings = settings_for(dovecot, port=server.port, timeout=2.0)
    try:
        with pytest.raises(MailboxError) as caught:
            check_connection(settings, "x")
    finally:
        server.close()
    assert str(caught.value).startswith("127.0.0.1 ")
    assert words in str(caught.value)
    assert "\x00" not in str(caught.value)
