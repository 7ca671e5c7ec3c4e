"""Issue 15: talking to a real SMTP server (aiosmtpd on 127.0.0.1) over verified TLS —
STARTTLS and implicit TLS, AUTH, never in the clear — and the words a user sees when a
step fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mail.smtp import SmtpConnection, SmtpError, check_connection
from tests.mail.dovecot import free_port
from tests.mail.smtpd import DEFER_451, PASSWORD, REJECT, SmtpServer, smtp_server

RAW = (
    b"Message-ID: <m1@vendor.example>\r\nFrom: support@vendor.example\r\n"
    b"To: ann@customer.example\r\nSubject: [INC-1] Hello\r\n\r\n.a line with a dot\r\nBye\r\n"
)


@pytest.fixture(scope="module")
def starttls() -> Iterator[SmtpServer]:
    with smtp_server(security="starttls", auth=True) as server:
        yield server


@pytest.fixture
def server(starttls: SmtpServer) -> Iterator[SmtpServer]:
    starttls.mode = "accept"
    yield starttls
    starttls.mode = "accept"


def test_the_test_button_connects_over_starttls_and_signs_in(server: SmtpServer) -> None:
    said = check_connection(server.account(), PASSWORD)
    assert said.startswith(f"Connected to 127.0.0.1:{server.port} over STARTTLS")
    assert "signed in as support@vendor.example" in said


def test_implicit_tls_works_and_the_bytes_arrive_exactly() -> None:
    with smtp_server(security="tls", auth=True) as server:
        assert "over TLS" in check_connection(server.account(), PASSWORD)
        with SmtpConnection(server.account(), PASSWORD) as connection:
            accepted = connection.send("support@vendor.example", ["ann@customer.example"], RAW)
        assert accepted.reply.startswith("250 2.0.0 Ok")
        [got] = server.accepted
        assert got.data == RAW  # a leading dot survives, nothing recomposed
        assert got.mail_from == "support@vendor.example"
        assert got.rcpt_tos == ("ann@customer.example",)
        assert got.user == "support@vendor.example"


def test_a_certificate_the_account_does_not_trust_is_refused(server: SmtpServer) -> None:
    before = server.attempts
    account = server.account(ca_file="")
    with pytest.raises(SmtpError) as caught, SmtpConnection(account, PASSWORD) as connection:
        connection.send("support@vendor.example", ["ann@customer.example"], RAW)
    assert "certificate is not trusted" in str(caught.value)
    assert server.attempts == before  # nothing was handed over


def test_a_server_without_starttls_is_never_spoken_to_in_the_clear() -> None:
    with smtp_server(security="plain") as server:
        account = server.account(security="starttls")
        with pytest.raises(SmtpError) as caught, SmtpConnection(account, None) as connection:
            connection.send("support@vendor.example", ["ann@customer.example"], RAW)
        assert "offers no STARTTLS" in str(caught.value)
        assert "never sent in the clear" in str(caught.value)
        assert server.attempts == 0 and server.accepted == []


def test_a_wrong_password_and_a_missing_one_are_said_in_words(server: SmtpServer) -> None:
    with pytest.raises(SmtpError) as caught:
        check_connection(server.account(), "wrong")
    assert "refused the login for 'support@vendor.example'" in str(caught.value)
    assert "535" in str(caught.value)
    with pytest.raises(SmtpError) as missing:
        check_connection(server.account(), None)
    assert str(missing.value).startswith("No password is stored for support@vendor.example")


def test_a_server_that_is_not_there_is_said_in_words(server: SmtpServer) -> None:
    port = free_port()
    with pytest.raises(SmtpError) as caught:
        check_connection(server.account(port=port), PASSWORD)
    assert str(caught.value) == f"Could not reach 127.0.0.1:{port}: connection refused"
    assert caught.value.temporary


def test_the_servers_own_words_come_back_with_their_code(server: SmtpServer) -> None:
    with SmtpConnection(server.account(), PASSWORD) as connection:
        server.mode = DEFER_451
        with pytest.raises(SmtpError) as later:
            connection.send("support@vendor.example", ["ann@customer.example"], RAW)
        assert str(later.value) == "451 4.3.0 Try again later" and later.value.temporary
        server.mode = REJECT
        with pytest.raises(SmtpError) as never:
            connection.send("support@vendor.example", ["ann@customer.example"], RAW)
        assert str(never.value) == "550 5.7.1 Message rejected as spam"
        assert not never.value.temporary
        server.mode = "accept"  # the same connection carries the next mail after a refusal
        connection.send("support@vendor.example", ["ann@customer.example"], RAW)


def test_one_refused_recipient_does_not_stop_the_others(server: SmtpServer) -> None:
    server.refuse("gone@customer.example")
    before = len(server.accepted)
    with SmtpConnection(server.account(), PASSWORD) as connection:
        accepted = connection.send(
            "support@vendor.example", ["gone@customer.example", "ann@customer.example"], RAW
        )
        assert accepted.refused == {"gone@customer.example": "550 5.1.1 No such user"}
        with pytest.raises(SmtpError) as all_refused:
            connection.send("support@vendor.example", ["gone@customer.example"], RAW)
    assert str(all_refused.value).startswith("Every recipient was refused: gone@customer")
    assert not all_refused.value.temporary
    got = server.accepted[before:]
    assert [r.rcpt_tos for r in got] == [("ann@customer.example",)]
