"""``mail.parse.parse``: what a support agent sees of real mail, and that no bytes make it
raise. The messages are the corpus in ``tests/mail/corpus`` (see its README)."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta, timezone
from email import policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.mail import MailMessage, is_automatic, is_bulk, subject_tags
from mail.parse import parse
from tests.mail.conftest import corpus_names, read_corpus

OUR_MAILBOX = "support@vendor.example"


def _mail(headers: str, body: bytes = b"Hello.\r\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


# -- the everyday message -----------------------------------------------------------------


def test_a_plain_report_reads_as_the_agent_expects() -> None:
    m = parse(read_corpus("new-report.eml"))
    assert m.from_address == "anna.berg@example.com"  # lower-cased
    assert m.from_name == "Anna Berg"
    assert m.subject == "Label printer in warehouse 2 stopped printing"
    assert m.message_id == "20261207081201.4711@mail.example.com"
    assert m.date == datetime(2026, 12, 7, 8, 12, 1, tzinfo=UTC)
    assert m.date is not None and m.date.utcoffset() == timedelta(hours=1)
    assert m.to == (OUR_MAILBOX,)
    assert m.cc == ("it-team@example.com",)
    assert m.return_path == "anna.berg@example.com"
    assert m.text.startswith("Hello,\n\nsince this morning the label printer")
    assert "\r" not in m.text
    assert m.html == "" and m.attachments == ()
    assert m.problems == ()
    assert not is_automatic(m) and not is_bulk(m)


def test_a_labelled_report_keeps_its_labels_line_by_line() -> None:
    text = parse(read_corpus("labelled-report.eml")).text
    lines = text.splitlines()
    assert "Impact: no orders reach the ERP since 07:00; about 40 orders are waiting." in lines
    assert "Steps to reproduce:" in lines
    assert "1. Open Orders > Export." in lines
    assert 'Error message: "Export failed: connection refused (ERP-502)"' in lines


# -- Message-IDs and threading ------------------------------------------------------------


def test_folded_references_and_junk_around_in_reply_to_give_clean_ids() -> None:
    m = parse(read_corpus("reply-threaded.eml"))
    assert m.in_reply_to == ("out-7@console.vendor.example",)
    assert m.references == (
        "20261207081201.4711@mail.example.com",
        "out-7@console.vendor.example",
        "20261207101500.9@mail.example.com",  # split over two lines in the file
    )
    assert m.referenced_ids()[0] == "out-7@console.vendor.example"
    assert m.from_name == "Berg, Anna"


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("<a@example.com> <b@example.com>", ("a@example.com", "b@example.com")),
        ("\n  <a@example.com>\n\t<b@example.com>", ("a@example.com", "b@example.com")),
        ("a@example.com", ("a@example.com",)),  # no brackets
        ("<a@example.com", ("a@example.com",)),  # never closed
        ('Message from "Anna" of Monday <a@example.com> (sent)', ("a@example.com",)),
        ("< a@example.com >", ("a@example.com",)),
        ("<a@example.com> <a@example.com>", ("a@example.com",)),
        ("<>", ()),
        ("", ()),
    ],
)
def test_in_reply_to_variants(value: str, ids: tuple[str, ...]) -> None:
    raw = _mail(f"From: a@example.com\nIn-Reply-To: {value}\nMessage-ID: <x@example.com>")
    assert parse(raw).in_reply_to == ids


def test_a_reply_tagged_only_in_the_subject_has_the_tag_and_no_ids() -> None:
    m = parse(read_corpus("reply-tag-only.eml"))
    assert subject_tags(m.subject) == ("INC-43CET-00001",)
    assert m.in_reply_to == () and m.references == ()
    assert m.from_address == "anna.berg@example.com" and m.from_name == ""


def test_exchange_message_id_that_breaks_the_stdlib_is_read_from_the_raw_header() -> None:
    raw = read_corpus("exchange-message-id.eml")
    stdlib = email.message_from_bytes(raw, policy=policy.default)
    with pytest.raises(IndexError):
        str(stdlib["Message-ID"])  # the defect this defends against
    m = parse(raw)
    assert m.message_id == "[192.168.10.21]@EXCH01.example.com"
    assert m.in_reply_to == ("[10.0.0.7]@EXCH01.example.com",)
    assert m.from_address == "karin.holm@example.com"
    assert m.subject == "Shared calendar not syncing"
    assert m.headers["thread-topic"] == "Shared calendar not syncing"


def test_no_subject_is_an_empty_subject() -> None:
    m = parse(read_corpus("no-subject.eml"))
    assert m.subject == ""
    assert m.text == "The VPN client asks for a certificate that we never installed."


def test_no_message_id_is_known_by_its_hash() -> None:
    m = parse(read_corpus("no-message-id.eml"))
    assert m.message_id == ""
    assert m.ledger_id == f"sha256:{m.sha256}"
    assert any("Message-ID" in p for p in m.problems)


def test_a_mail_loop_message_parses_the_same_every_time() -> None:
    raw = read_corpus("mail-loop.eml")
    first, again = parse(raw), parse(raw)
    assert first == again
    assert first.from_address == "alerts@monitor.example.net"
    assert first.ledger_id == again.ledger_id and first.ledger_id.startswith("sha256:")
    assert not is_automatic(first) and not is_bulk(first)  # nothing marks it: rate limits must


# -- charsets -----------------------------------------------------------------------------


def test_latin1_bytes_declared_utf8_are_read_as_latin1() -> None:
    m = parse(read_corpus("latin1-declared-utf8.eml"))
    assert "seit dem Update schlägt die Überweisung an unsere Münchner Filiale fehl" in m.text
    assert m.text.endswith("Viele Grüße\nJürgen Müller")
    assert "\ufffd" not in m.text
    assert m.from_name == "Jürgen Müller"
    assert m.subject == "Überweisung schlägt fehl"
    assert any("not valid utf-8" in p for p in m.problems)


def test_unknown_8bit_is_guessed() -> None:
    m = parse(read_corpus("unknown-8bit.eml"))
    assert "ein ä, ö oder ü enthält" in m.text
    assert "„Käserei Grünwald“" in m.text
    assert any("unknown-8bit" in p for p in m.problems)


def test_koi8r_body_and_encoded_words_are_decoded() -> None:
    m = parse(read_corpus("koi8r.eml"))
    assert m.from_name == "Иван Петров"
    assert m.subject == "Отчёт не открывается"
    assert "После обновления отчёт о продажах не открывается." in m.text
    assert m.problems == ()


def test_8bit_body_without_a_charset_is_guessed() -> None:
    body = "Die Anmeldung schlägt fehl, seit gestern Abend. Grüße aus Köln\r\n"
    raw = _mail(
        "From: a@example.com\nMessage-ID: <c@example.com>\nContent-Type: text/plain",
        body.encode("utf-8"),
    )
    assert parse(raw).text == body.rstrip()
    raw = _mail(
        "From: a@example.com\nMessage-ID: <c@example.com>\nContent-Type: text/plain",
        body.encode("latin-1"),
    )
    m = parse(raw)
    assert "schlägt fehl" in m.text and "Köln" in m.text
    assert any("no charset" in p for p in m.problems)


def test_8bit_subject_without_encoded_words_is_read_as_utf8() -> None:
    raw = _mail("From: a@example.com\nMessage-ID: <s@example.com>\nSubject: Prüfung fehlt")
    assert parse(raw).subject == "Prüfung fehlt"


# -- addresses, dates, Return-Path, headers -----------------------------------------------


@pytest.mark.parametrize(
    ("header", "name", "address"),
    [
        ("From: =?utf-8?b?w4ZnaXIgw5ZzdA==?= <AEGIR@Example.NET>", "Ægir Öst", "aegir@example.net"),
        ('From: "Ost, Aegir" <aegir@example.net>', "Ost, Aegir", "aegir@example.net"),
        ("From: aegir@example.net (Aegir Ost)", "Aegir Ost", "aegir@example.net"),
        ("From: <<<>>>", "", ""),
        ("From: undisclosed-recipients:;", "", ""),
        ("From:", "", ""),
        ("X-No-From: here", "", ""),
    ],
)
def test_from_is_lower_cased_decoded_or_empty(header: str, name: str, address: str) -> None:
    m = parse(_mail(f"{header}\nMessage-ID: <f@example.net>"))
    assert (m.from_name, m.from_address) == (name, address)
    if not address:
        assert any("From" in p for p in m.problems)


@pytest.mark.parametrize(
    ("header", "expected", "problem"),
    [
        ("Date: Mon, 7 Dec 2026 09:12:01 +0100", datetime(2026, 12, 7, 8, 12, 1, tzinfo=UTC), ""),
        (
            "Date: Mon, 7 Dec 2026 09:12:01 -0000",
            datetime(2026, 12, 7, 9, 12, 1, tzinfo=UTC),
            "UTC",
        ),
        ("Date: yesterday, around noon", None, "unreadable"),
        ("Date: Mon, 99 Foo 2026 99:99:99 +9999", None, "unreadable"),
        ("Date:", None, ""),
        ("X-No-Date: here", None, ""),
    ],
)
def test_date_is_aware_or_none(header: str, expected: datetime | None, problem: str) -> None:
    m = parse(_mail(f"From: a@example.com\nMessage-ID: <d@example.com>\n{header}"))
    assert m.date == expected
    if m.date is not None:
        assert m.date.tzinfo is not None
    if problem:
        assert any(problem in p for p in m.problems)


def test_a_date_keeps_its_offset() -> None:
    m = parse(read_corpus("koi8r.eml"))
    assert m.date is not None and m.date.tzinfo == timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("Return-Path: <>\n", ""),
        ("Return-Path: <>  \n", ""),
        ("Return-Path: <Bob@Example.com>\n", "bob@example.com"),
        ("Return-Path: bob@example.com\n", "bob@example.com"),
    ],
)
def test_return_path(header: str, expected: str | None) -> None:
    m = parse(_mail(f"{header}From: a@example.com\nMessage-ID: <r@example.com>"))
    assert m.return_path == expected


def test_a_null_return_path_marks_the_message_automatic() -> None:
    m = parse(read_corpus("null-return-path.eml"))
    assert m.return_path == ""
    assert m.from_address == "backup@example.com"
    assert is_automatic(m)


@pytest.mark.parametrize(
    ("name", "headers"),
    [
        (
            "ooo-exchange.eml",
            {"auto-submitted": "auto-generated", "x-auto-response-suppress": "All"},
        ),
        ("vacation-gmail.eml", {"auto-submitted": "auto-replied", "precedence": "bulk"}),
        ("autoreply-zimbra.eml", {"x-autoreply": "yes"}),
    ],
)
def test_auto_replies_carry_their_headers(name: str, headers: dict[str, str]) -> None:
    m = parse(read_corpus(name))
    for key, value in headers.items():
        assert m.headers[key] == value
    assert is_automatic(m)
    assert not m.is_report and m.failed_recipients == ()


def test_an_out_of_office_still_refers_to_our_mail() -> None:
    m = parse(read_corpus("ooo-exchange.eml"))
    assert m.in_reply_to == ("out-12@console.vendor.example",)
    assert m.text == "I am out of the office until 14 December with no access to email."


def test_a_newsletter_is_bulk() -> None:
    m = parse(read_corpus("newsletter.eml"))
    assert m.headers["precedence"] == "bulk"
    assert m.headers["list-id"] == "Product news <news.newsletter.vendor.example>"
    assert m.headers["list-unsubscribe"].startswith("<mailto:unsubscribe@")
    assert is_bulk(m) and not is_automatic(m)


def test_headers_keep_the_first_value_decoded() -> None:
    raw = _mail(
        "From: a@example.com\nMessage-ID: <h@example.com>\nX-Tag: first\nX-Tag: second\n"
        "X-Label: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\nX-Folded: one\n two"
    )
    headers = parse(raw).headers
    assert headers["x-tag"] == "first"
    assert headers["x-label"] == "Grüße"
    assert headers["x-folded"] == "one two"
    assert headers["message-id"] == "<h@example.com>"


# -- bodies -------------------------------------------------------------------------------


def test_html_only_mail_becomes_text_and_its_html_is_sanitised() -> None:
    m = parse(read_corpus("html-only.eml"))
    assert m.text == (
        "Hello support,\n\nthe invoice portal shows a blank page after login.\n\n"
        "Regards,\nMia Schulz"
    )
    assert "document.cookie" not in m.text
    assert "<b>blank page</b>" in m.html
    for unsafe in ("<script", "document.cookie", "onload", "tracker.example.net", "<style"):
        assert unsafe not in m.html
    assert m.attachments == ()


def test_html_keeps_cid_images_and_drops_remote_ones() -> None:
    html = (
        '<p>x</p><img src="cid:a@b"><img src="https://evil.example/p.gif">'
        '<img srcset="https://evil.example/2.gif 2x"><table background="http://e.example/b.png">'
        '<tr><td>y</td></tr></table><a href="javascript:alert(1)">z</a>'
    )
    raw = _mail(
        "From: a@example.com\nMessage-ID: <h@example.com>\nContent-Type: text/html; charset=utf-8",
        html.encode(),
    )
    m = parse(raw)
    assert 'src="cid:a@b"' in m.html
    assert "evil.example" not in m.html and "e.example" not in m.html
    assert "javascript" not in m.html


def test_outlook_inline_image_without_disposition_is_an_attachment_with_its_cid() -> None:
    m = parse(read_corpus("outlook-inline-cid.eml"))
    assert m.text.startswith("When I save a form this dialog appears:")
    (image,) = m.attachments
    assert image.filename == "image001.png"
    assert image.content_type == "image/png"
    assert image.content_id == "image001.png@01DB4A2C.5E3F1A20"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert 'src="cid:image001.png@01DB4A2C.5E3F1A20"' in m.html


def test_inline_image_without_any_name_gets_a_default_name() -> None:
    raw = _mail(
        "From: a@example.com\nMessage-ID: <i@example.com>\n"
        'Content-Type: multipart/related; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
        b"--b\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n",
    )
    (image,) = parse(raw).attachments
    assert (image.filename, image.content_id) == ("attachment-1.png", "img1@x")
    assert image.data == b"\x89PNG\r\n\x1a\n"


def test_apple_mail_inline_attachment_and_split_text() -> None:
    m = parse(read_corpus("apple-inline-attachment.eml"))
    assert m.from_address == "sara.lind@example.com"
    (pdf,) = m.attachments
    assert pdf.filename == "invoice-2026-118.pdf"
    assert pdf.content_type == "application/pdf"
    assert pdf.data == b"%PDF-1.4\n% invoice 2026-118\n%%EOF\n"
    assert m.text == (
        "Hi, the attached invoice shows 19% VAT instead of 7%:\n\nCan you correct it? Thanks, Sara"
    )


def test_filenames_are_decoded_stripped_of_paths_and_defaulted() -> None:
    m = parse(read_corpus("rfc2231-filename.eml"))
    assert [a.filename for a in m.attachments] == [
        "Prüfbericht März.pdf",  # RFC 2231, continued
        "Fehlerübersicht.log",  # RFC 2047 with a Windows path
        "attachment-3.bin",  # no name at all
    ]
    assert m.attachments[0].data == b"%PDF-1.4 report"
    assert m.attachments[1].data == b"2026-12-07 16:58:01 ERROR export failed\r\n"
    assert m.attachments[2].data == bytes(range(16))
    assert m.text == "Attached: the test report, the log and a dump."
    assert m.from_name == "Jürgen"


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="/tmp/x/report.txt"', "report.txt"),
        ('attachment; filename=".."', "attachment-1.bin"),
        ("attachment; filename*=iso-8859-1''caf%E9.txt", "café.txt"),
    ],
)
def test_hostile_filenames(disposition: str, expected: str) -> None:
    raw = _mail(
        "From: a@example.com\nMessage-ID: <n@example.com>\n"
        'Content-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Disposition: "
        + disposition.encode()
        + b"\r\n\r\ndata\r\n--b--\r\n",
    )
    (attachment,) = parse(raw).attachments
    assert attachment.filename == expected


def test_a_forwarded_message_is_kept_whole_as_an_eml_attachment() -> None:
    inner = read_corpus("new-report.eml")
    raw = _mail(
        "From: boss@example.com\nMessage-ID: <fwd@example.com>\nSubject: Fwd: printer\n"
        'Content-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nPlease handle.\r\n--b\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--b--\r\n",
    )
    m = parse(raw)
    assert m.text == "Please handle."  # the forwarded body is not mixed into this one
    (eml,) = m.attachments
    assert eml.filename == "Label printer in warehouse 2 stopped printing.eml"
    assert eml.content_type == "message/rfc822"
    assert parse(eml.data).message_id == "20261207081201.4711@mail.example.com"
    assert not m.is_report and m.bounced_message_id == ""


# -- delivery reports ---------------------------------------------------------------------


def test_a_dsn_names_the_failed_recipient_and_the_bounced_message() -> None:
    m = parse(read_corpus("dsn-bounce.eml"))
    assert m.is_report
    assert m.failed_recipients == ("gone@example.net",)  # slow@ was only delayed
    assert m.bounced_message_id == "out-1@console.vendor.example"
    assert m.from_address == "mailer-daemon@mx.vendor.example"
    assert m.text.startswith("This is the mail system at host mx.vendor.example.")
    (returned,) = m.attachments
    assert returned.filename.endswith(".eml") and b"<out-1@console.vendor.example>" in returned.data


def test_a_dsn_returning_only_headers_still_names_the_bounced_message() -> None:
    raw = read_corpus("dsn-bounce.eml").replace(
        b"Content-Type: message/rfc822", b"Content-Type: text/rfc822-headers"
    )
    m = parse(raw)
    assert m.is_report
    assert m.failed_recipients == ("gone@example.net",)
    assert m.bounced_message_id == "out-1@console.vendor.example"
    assert m.attachments == ()


def test_a_plain_text_bounce_is_scanned() -> None:
    m = parse(read_corpus("postfix-plain-bounce.eml"))
    assert not m.is_report
    assert m.failed_recipients == ("left.company@example.org",)
    assert m.bounced_message_id == "out-2@console.vendor.example"
    assert m.return_path == ""


def test_a_bounce_never_names_us_or_the_mailer_daemon() -> None:
    raw = _mail(
        "From: MAILER-DAEMON@mx.example.org\nTo: support@vendor.example\n"
        "Message-ID: <b@mx.example.org>\nSubject: failure notice",
        b"The following addresses had permanent fatal errors\r\n"
        b"<support@vendor.example>\r\n<mailer-daemon@mx.example.org>\r\n"
        b"<postmaster@mx.example.org>\r\n<ops@vendor.example>\r\n<real@example.org>\r\n"
        b"----- Transcript of session follows -----\r\n",
    )
    assert parse(raw).failed_recipients == ("ops@vendor.example", "real@example.org")
    assert parse(raw, own={"OPS@vendor.example"}).failed_recipients == ("real@example.org",)


def test_a_bounce_subject_alone_from_a_person_is_no_bounce() -> None:
    raw = _mail(
        "From: anna.berg@example.com\nMessage-ID: <p@example.com>\n"
        "Subject: Undeliverable parcels in warehouse 2",
        b"Your message could not be delivered to\r\n<bob@example.com>: the driver\r\n",
    )
    m = parse(raw)
    assert m.failed_recipients == () and not m.is_report


def test_a_bounce_from_another_sender_with_a_null_return_path_is_scanned() -> None:
    raw = read_corpus("postfix-plain-bounce.eml").replace(
        b"From: MAILER-DAEMON@mail.example.org (Mail Delivery System)",
        b"From: Mail Delivery System <mail-system@mail.example.org>",
    )
    assert parse(raw).failed_recipients == ("left.company@example.org",)


def test_an_ordinary_message_is_no_bounce() -> None:
    for name in ("new-report.eml", "ooo-exchange.eml", "newsletter.eml"):
        m = parse(read_corpus(name))
        assert not m.is_report and m.failed_recipients == () and m.bounced_message_id == ""


# -- never raising ------------------------------------------------------------------------


@pytest.mark.parametrize("name", corpus_names())
def test_every_corpus_message_parses_with_a_sender(name: str) -> None:
    raw = read_corpus(name)
    m = parse(raw)
    assert isinstance(m, MailMessage) and m.raw == raw
    assert m.from_address.endswith((".com", ".net", ".org", ".de", "vendor.example")), (
        m.from_address
    )


def test_unreadable_bytes_still_give_a_message() -> None:
    for raw in (
        b"",
        b"\x00\xff" * 100,
        b"From: \r\n\r\n",
        b"\r\n\r\n\r\n",
        b"Content-Type: multipart/mixed\r\n\r\n--",
    ):
        m = parse(raw)
        assert m.raw == raw and m.from_address == ""


@settings(max_examples=60)
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_random_bytes(raw: bytes) -> None:
    assert parse(raw).raw == raw


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(read_corpus(draw(st.sampled_from(corpus_names()))))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["delete", "insert", "flip", "duplicate"]))
        if op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "insert":
            tokens = st.sampled_from(
                [
                    b"<",
                    b">",
                    b"\r\n",
                    b"\r\n ",
                    b";",
                    b'"',
                    b"=?utf-8?q?=C3",
                    b"--",
                    b":",
                    b"@",
                    b"\xff\xfe",
                    b"Content-Type: multipart/mixed; boundary=x\r\n",
                    b"[",
                    b"]",
                ]
            )
            data[at:at] = draw(st.one_of(tokens, st.binary(max_size=20)))
        elif op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 300))]
    return bytes(data)


@settings(max_examples=120)
@given(_mutated())
def test_parse_never_raises_on_mutated_corpus_messages(raw: bytes) -> None:
    m = parse(raw)
    assert m.raw == raw
    assert m.date is None or m.date.tzinfo is not None
    assert m.from_address == m.from_address.lower()
    assert all("<" not in i and ">" not in i for i in (m.message_id, *m.in_reply_to, *m.references))
