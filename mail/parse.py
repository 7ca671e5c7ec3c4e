"""Raw mail bytes → :class:`console.domain.mail.MailMessage` (DESIGN §11), never raising.

:func:`parse` reads a message with ``email.message_from_bytes(raw, policy=policy.default)``
and defends against what real mail does to it. Whatever it had to repair or guess is said,
in words, in ``MailMessage.problems``; a message it cannot read at all still comes back (empty
fields, the raw bytes kept, a problem saying why).

The defences:

* **Header access that raises.** The modern header parser raises (``IndexError``,
  ``AttributeError``…) on some Message-IDs Exchange and others send, such as
  ``<[192.168.0.1]@host>``. Every header is read inside a guard; when the parsed value
  fails, the raw text (``Message.raw_items()``) is decoded instead (RFC 2047 words by
  ``email.header``, 8-bit bytes as UTF-8 or a guess).
* **Message-IDs** are never taken from the parsed value (which also truncates ids with
  spaces in them): the raw text is searched for ``<…>`` ids, whitespace inside removed
  (folded ``References`` with leading spaces), several ids per header kept in order, junk
  around them ("Your message of …") ignored; a bare ``id@host`` without brackets counts too.
* **Charsets.** A text part is decoded with its declared charset when that codec exists and
  decodes the bytes strictly; else with charset-normalizer's best guess; else as UTF-8 with
  replacement characters. Declared-but-wrong (``utf-8`` over latin-1 bytes), unknown
  (``unknown-8bit``) and missing charsets over 8-bit bytes are noted.
* **Addresses** are lower-cased, display names decoded; a header that yields no address
  gives ``""``. ``Return-Path: <>`` (the null path) is ``""``, a missing one ``None``.
* **Dates** become aware datetimes; a missing or unreadable ``Date:`` is ``None``, a date
  without a zone (``-0000``) is taken as UTC and noted.
* **Bodies.** ``text`` is the text/plain body (several inline text parts joined, as Apple
  Mail splits them around inline files); HTML-only mail is converted with inscriptis.
  ``html`` is the HTML body sanitised by nh3 (no scripts or styles, no remote images: any
  ``src`` that is not ``cid:`` is dropped): kept as data, never rendered as sent.
* **Attachments.** Every part with a filename or ``Content-Disposition: attachment``;
  Outlook's inline images that have a ``Content-ID`` but no disposition; Apple Mail's
  ``inline`` parts with a filename; a nested ``message/rfc822`` as a ``.eml`` file (not
  descended into). Filenames are RFC 2231/2047 decoded, stripped of any path, and get a
  default (``attachment-1.bin``, the extension guessed from the type) when there is none.
* **Delivery reports.** ``multipart/report; report-type=delivery-status`` sets
  ``is_report``; its ``Final-Recipient`` fields with ``Action: failed`` are the failed
  recipients, and the returned message (``message/rfc822`` or ``text/rfc822-headers``)
  gives ``bounced_message_id``. Plain-text bounces (from MAILER-DAEMON or postmaster, or
  with a bounce subject and a null Return-Path or an Auto-Submitted header) are scanned with
  ``flufl.bounce``; a ``Message-ID:`` line in the returned text gives the bounced id. Neither
  ever names the mailer daemon, the addresses the bounce was sent to, nor the ``own``
  addresses the caller passes. (flufl.bounce's own detectors can raise on odd input; that is
  caught and noted.)
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.utils
import logging
import mimetypes
import re
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import Message

import charset_normalizer
import inscriptis
import nh3
from flufl.bounce import scan_message

from console.domain.mail import MailAttachment, MailMessage

__all__ = ["parse"]

# flufl.bounce logs a traceback at ERROR when one of its detectors trips over odd input; the
# parser catches that and notes it in ``problems``, so its log would only alarm whoever
# reads the service's journal.
logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)

#: How deep nested multiparts are followed; deeper parts are skipped (and noted).
MAX_DEPTH = 32

_MSGID_BRACKETED = re.compile(r"<([^<>]*)>")
_MSGID_BARE = re.compile(r"[^\s<>\"(),;]+@[^\s<>\"(),;]+")
_BODY_MSGID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(.+(?:\r?\n[ \t]+.+)*)$", re.I | re.M)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|returned to sender|delivery (status notification|failure|"
    r"has failed|failed)|mail delivery (failed|failure|subsystem)|failure notice|"
    r"could not be delivered|non.?delivery",
    re.I,
)
_URL_SCHEMES = frozenset(nh3.ALLOWED_URL_SCHEMES) | {"cid"}
_REMOTE_ATTRIBUTES = frozenset({"src", "srcset", "background", "poster", "lowsrc", "dynsrc"})


def parse(raw: bytes, *, own: Collection[str] = ()) -> MailMessage:
    """The message in ``raw``, as far as it can be read; never raises.

    ``own``: the console's own addresses (the mailbox's), never reported as a bounce's
    failed recipient.
    """
    problems: list[str] = []
    try:
        return _parse(bytes(raw), problems, {a.lower() for a in own})
    except Exception as exc:  # the last line of defence: a message is never lost
        problems.append(f"the message could not be read ({type(exc).__name__}: {exc})")
        return MailMessage(
            raw=bytes(raw),
            message_id="",
            from_address="",
            from_name="",
            subject="",
            date=None,
            problems=tuple(problems),
        )


def _parse(raw: bytes, problems: list[str], own: set[str]) -> MailMessage:
    msg = email.message_from_bytes(raw, policy=policy.default)
    message_id = _first_id(_raw_header(msg, "message-id"))
    if not message_id:
        problems.append("the message has no Message-ID; it is known by its bytes' hash")
    from_name, from_address = _from(msg, problems)
    body = _Body(problems)
    body.walk(msg, 0)
    if body.defects:
        problems.append("the message's structure is damaged: " + ", ".join(sorted(body.defects)))
    text = "\n\n".join(t.rstrip() for t in body.texts if t.strip())
    html = _sanitise(body.html, problems) if body.html else ""
    if not text.strip() and html:
        text = _html_to_text(html, problems)

    result = MailMessage(
        raw=raw,
        message_id=message_id,
        from_address=from_address,
        from_name=from_name,
        subject=_text_header(msg, "subject", problems),
        date=_date(msg, problems),
        to=_addresses(msg, "to", problems),
        cc=_addresses(msg, "cc", problems),
        in_reply_to=_ids(_raw_header(msg, "in-reply-to")),
        references=_ids(_raw_header(msg, "references")),
        text=text,
        html=html,
        attachments=tuple(body.attachments),
        headers=_headers(msg),
        return_path=_return_path(msg),
    )
    return _with_bounce(msg, result, body, problems, own)


# -- headers ------------------------------------------------------------------------------


def _raw_header(msg: Message, name: str) -> str | None:
    """The first ``name`` header's text as sent (unfolded), or None; never parsed."""
    try:
        for key, value in msg.raw_items():
            if key.lower() == name:
                return _FOLD.sub("", str(value))
    except Exception:
        pass
    return None


def _unescape(text: str) -> str:
    """Text with the parser's escaped 8-bit bytes (lone surrogates) decoded, and control
    characters removed."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        data = text.encode("utf-8", "surrogateescape")
        text = _decode(data, "utf-8", [], "a header")
    return _CONTROL.sub("", text).replace("\r", "").replace("\n", "")


def _decode_words(value: str) -> str:
    """A raw header value with its RFC 2047 encoded words decoded."""
    try:
        decoded = str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        decoded = value
    return _unescape(decoded).strip()


def _text_header(msg: Message, name: str, problems: list[str]) -> str:
    try:
        value = msg.get(name)
        return "" if value is None else _unescape(str(value)).strip()
    except Exception as exc:
        raw = _raw_header(msg, name)
        problems.append(f"the {name.title()} header could not be parsed ({type(exc).__name__})")
        return "" if raw is None else _decode_words(raw)


def _headers(msg: Message) -> dict[str, str]:
    """Lower-cased header name → the first value, decoded, as text."""
    headers: dict[str, str] = {}
    try:
        items = list(msg.raw_items())
    except Exception:
        return headers
    for key, value in items:
        name = str(key).strip().lower()
        if name and name not in headers:
            headers[name] = _decode_words(_FOLD.sub("", str(value)))
    return headers


def _ids(value: str | None) -> tuple[str, ...]:
    """The Message-IDs in a raw ``In-Reply-To``/``References``/``Message-ID`` value."""
    if not value:
        return ()
    value = _unescape(value)
    found = [re.sub(r"\s+", "", m) for m in _MSGID_BRACKETED.findall(value)]
    found = [m for m in found if m]
    if not found:  # no brackets: bare id@host tokens
        found = _MSGID_BARE.findall(value)
    if not found and "<" in value:  # an unclosed bracket: "<abc@example.com"
        tail = re.sub(r"\s+", "", value.rsplit("<", 1)[1])
        found = [tail] if tail and ">" not in tail else []
    if not found and "<" not in value and ">" not in value:  # one bare token, no @
        tokens = value.split()
        found = tokens if len(tokens) == 1 else []
    return tuple(dict.fromkeys(found))


def _first_id(value: str | None) -> str:
    ids = _ids(value)
    return ids[0] if ids else ""


def _clean_address(addr: str) -> str:
    addr = _unescape(addr).strip().strip("<>").strip().lower()
    if not addr or any(ch.isspace() or ch in "<>()," for ch in addr):
        return ""
    return addr


def _parsed_addresses(msg: Message, name: str) -> list[tuple[str, str]] | None:
    """(display name, address) pairs from the parsed header; None when parsing raised."""
    try:
        header = msg.get(name)
        if header is None:
            return []
        addresses = getattr(header, "addresses", None)
        if addresses is None:
            return None
        return [(str(a.display_name), str(a.addr_spec)) for a in addresses]
    except Exception:
        return None


def _address_pairs(msg: Message, name: str, problems: list[str]) -> list[tuple[str, str]]:
    pairs = _parsed_addresses(msg, name)
    if pairs is None:
        problems.append(f"the {name.title()} header could not be parsed; read as raw text")
        raw = _raw_header(msg, name) or ""
        try:
            pairs = [(_decode_words(n), a) for n, a in email.utils.getaddresses([raw])]
        except Exception:
            pairs = []
    return [(_unescape(n).strip(), _clean_address(a)) for n, a in pairs]


def _from(msg: Message, problems: list[str]) -> tuple[str, str]:
    pairs = [p for p in _address_pairs(msg, "from", problems) if p[1]]
    if not pairs:
        if _raw_header(msg, "from") is None:
            problems.append("the message has no From header")
        else:
            problems.append("the From header has no readable address")
        return "", ""
    name, address = pairs[0]
    if not name:  # "bob@example.com (Bob Smith)": the old comment form of a name
        raw = _raw_header(msg, "from") or ""
        try:
            comment, _ = email.utils.parseaddr(raw)
        except Exception:
            comment = ""
        name = _decode_words(comment) if comment else ""
    return name, address


def _addresses(msg: Message, name: str, problems: list[str]) -> tuple[str, ...]:
    found = [a for _, a in _address_pairs(msg, name, problems) if a]
    return tuple(dict.fromkeys(found))


def _date(msg: Message, problems: list[str]) -> datetime | None:
    raw = _raw_header(msg, "date")
    if raw is None or not raw.strip():
        return None
    try:
        value = email.utils.parsedate_to_datetime(_unescape(raw).strip())
    except Exception:
        problems.append(f"the Date header is unreadable: {_unescape(raw).strip()[:80]!r}")
        return None
    if value.tzinfo is None:
        problems.append("the Date header has no time zone; taken as UTC")
        value = value.replace(tzinfo=UTC)
    return value


def _return_path(msg: Message) -> str | None:
    raw = _raw_header(msg, "return-path")
    if raw is None:
        return None
    value = _unescape(raw).strip()
    if not value.strip("<> \t"):
        return ""
    try:
        _, addr = email.utils.parseaddr(value)
    except Exception:
        addr = ""
    return _clean_address(addr or value)


# -- charsets -----------------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None


def _decode(data: bytes, charset: str | None, problems: list[str], what: str) -> str:
    """``data`` as text: the declared charset if it decodes strictly, else a guess."""
    codec = _codec(charset)
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            problems.append(f"{what} is not valid {charset}; the charset was guessed")
    elif charset:
        problems.append(f"{what} declares an unknown charset {charset!r}; the charset was guessed")
    else:
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            pass
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{what} declares no charset; the charset was guessed")
        else:
            return text
    try:
        best = charset_normalizer.from_bytes(data).best()
        if best is not None:
            return str(best)
    except Exception:
        pass
    problems.append(f"{what} could not be decoded cleanly; unreadable bytes were replaced")
    return data.decode("utf-8", "replace")


# -- bodies and attachments ---------------------------------------------------------------


def _safe(call: object, default: object = None) -> object:
    try:
        return call() if callable(call) else default
    except Exception:
        return default


def _content_type(part: Message) -> str:
    value = _safe(part.get_content_type)
    return value if isinstance(value, str) else "application/octet-stream"


def _disposition(part: Message) -> str:
    value = _safe(part.get_content_disposition)
    if isinstance(value, str):
        return value.lower()
    raw = _raw_header(part, "content-disposition") or ""
    return raw.split(";", 1)[0].strip().lower()


def _filename(part: Message) -> str:
    value = _safe(part.get_filename)
    if isinstance(value, str) and value.strip():
        name = value
    else:
        name = ""
        for header, param in (("content-disposition", "filename"), ("content-type", "name")):
            raw = _raw_header(part, header)
            if not raw:
                continue
            fallback = email.message_from_string(f"X: {raw}\n\n", policy=policy.compat32)
            got = _safe(lambda f=fallback, p=param: f.get_param(p, header="x"))
            if got:
                name = str(_safe(lambda g=got: email.utils.collapse_rfc2231_value(g), ""))
                break
    name = _decode_words(name) if "=?" in name else _unescape(name)
    name = re.split(r"[\\/]", name)[-1].strip().strip(".").strip()
    return name


def _default_name(index: int, content_type: str) -> str:
    if content_type == "message/rfc822":
        extension = ".eml"
    else:
        extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"attachment-{index}{extension}"


class _Body:
    """Walks a message's parts once: the text, the HTML and the attachments, and the
    pieces of a delivery report."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.texts: list[str] = []
        self.html = ""
        self.attachments: list[MailAttachment] = []
        self.status_blocks: list[dict[str, str]] = []
        self.returned_headers: list[str] = []  # raw Message-IDs of returned mail
        self.defects: set[str] = set()  # what the stdlib parser reported, by class name
        self._too_deep = False

    def walk(self, part: Message, depth: int) -> None:
        if depth > MAX_DEPTH:
            if not self._too_deep:
                self.problems.append("parts nested too deeply were skipped")
                self._too_deep = True
            return
        self.defects.update(type(d).__name__ for d in getattr(part, "defects", ()))
        content_type = _content_type(part)
        if content_type == "message/delivery-status":
            self._delivery_status(part)
            return
        if content_type == "message/rfc822" or (
            content_type.startswith("message/") and _is_multipart(part)
        ):
            self._message(part, content_type)
            return
        if _is_multipart(part):
            payload = _safe(part.get_payload)
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
            return
        self._leaf(part, content_type)

    def _data(self, part: Message) -> bytes:
        data = _safe(lambda: part.get_payload(decode=True))
        if isinstance(data, bytes):
            return data
        payload = _safe(part.get_payload)
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        return b""

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = _disposition(part)
        filename = _filename(part)
        content_id = _first_id(_raw_header(part, "content-id"))
        maintype = content_type.split("/", 1)[0]
        is_text = content_type in ("text/plain", "text/html")
        if disposition == "attachment" or filename or (content_id and not is_text):
            self._attach(part, content_type, filename, content_id, self._data(part))
            return
        if content_type == "text/rfc822-headers":
            text = self._text(part, "the returned headers")
            self.returned_headers.append(_header_in(text, "message-id"))
            return
        if content_type == "text/plain":
            self.texts.append(self._text(part, "the text body"))
        elif content_type == "text/html" and not self.html:
            self.html = self._text(part, "the HTML body")
        elif maintype == "multipart":  # a multipart whose parts could not be found
            self.problems.append(f"a {content_type} part has no readable parts; kept as text")
            self.texts.append(self._text(part, "a damaged multipart"))
        else:
            self._attach(part, content_type, filename, content_id, self._data(part))

    def _text(self, part: Message, what: str) -> str:
        charset = _safe(part.get_content_charset)
        if charset is None:
            raw_type = _raw_header(part, "content-type") or ""
            match = re.search(r"charset\s*=\s*\"?([^\";\s]+)", raw_type, re.I)
            charset = match.group(1) if match else None
        text = _decode(self._data(part), str(charset) if charset else None, self.problems, what)
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def _attach(
        self, part: Message, content_type: str, filename: str, content_id: str, data: bytes
    ) -> None:
        name = filename or _default_name(len(self.attachments) + 1, content_type)
        self.attachments.append(
            MailAttachment(
                filename=name, content_type=content_type, data=data, content_id=content_id
            )
        )

    def _message(self, part: Message, content_type: str) -> None:
        """A nested message: kept whole as an ``.eml`` attachment, not descended into."""
        payload = _safe(part.get_payload)
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = b""
        if isinstance(inner, Message):
            data = _as_bytes(inner)
            self.returned_headers.append(_raw_header(inner, "message-id") or "")
        elif isinstance(payload, str):
            data = payload.encode("utf-8", "surrogateescape")
        filename = _filename(part)
        if not filename:
            subject = _decode_words(_raw_header(inner, "subject") or "") if inner else ""
            subject = re.sub(r"[^\w\- .]+", "", subject).strip()[:60]
            filename = f"{subject}.eml" if subject else ""
        self._attach(part, content_type, filename, "", data)

    def _delivery_status(self, part: Message) -> None:
        payload = _safe(part.get_payload)
        if isinstance(payload, list):
            for block in payload:
                if isinstance(block, Message):
                    fields: dict[str, str] = {}
                    try:
                        for key, value in block.raw_items():
                            text = _unescape(_FOLD.sub("", str(value)))
                            fields.setdefault(str(key).lower(), text)
                    except Exception:
                        pass
                    self.status_blocks.append(fields)
        else:
            text = self._text(part, "the delivery status")
            for chunk in re.split(r"\r?\n\s*\r?\n", text):
                fields = {}
                for line in chunk.splitlines():
                    key, sep, value = line.partition(":")
                    if sep:
                        fields.setdefault(key.strip().lower(), value.strip())
                self.status_blocks.append(fields)


def _is_multipart(part: Message) -> bool:
    return bool(_safe(part.is_multipart, False))


def _as_bytes(message: Message) -> bytes:
    for pol in (policy.default, policy.compat32):
        try:
            return message.as_bytes(policy=pol)
        except Exception:
            continue
    return b""


def _header_in(text: str, name: str) -> str:
    """The raw value of header ``name`` in a block of header text."""
    try:
        headers = email.message_from_string(text, policy=policy.compat32)
        return _raw_header(headers, name) or ""
    except Exception:
        return ""


def _sanitise(html: str, problems: list[str]) -> str:
    def keep(element: str, attribute: str, value: str) -> str | None:
        if attribute in _REMOTE_ATTRIBUTES and not value.strip().lower().startswith("cid:"):
            return None
        return value

    try:
        return str(nh3.clean(html, url_schemes=set(_URL_SCHEMES), attribute_filter=keep))
    except Exception as exc:
        problems.append(f"the HTML body could not be sanitised ({type(exc).__name__}); dropped")
        return ""


def _html_to_text(html: str, problems: list[str]) -> str:
    try:
        return str(inscriptis.get_text(html)).strip()
    except Exception as exc:
        problems.append(f"the HTML body could not be converted to text ({type(exc).__name__})")
        return re.sub(r"<[^>]*>", " ", html).strip()


# -- delivery reports ---------------------------------------------------------------------


def _is_daemon(address: str) -> bool:
    return address.split("@", 1)[0] in _DAEMONS


def _recipient(value: str) -> str:
    """``rfc822; bob@example.net`` → ``bob@example.net``."""
    _, _, addr = value.rpartition(";")
    return _clean_address(addr)


def _with_bounce(
    msg: Message, result: MailMessage, body: _Body, problems: list[str], own: set[str]
) -> MailMessage:
    ctype = _content_type(msg)
    report_type = str(_safe(lambda: msg.get_param("report-type"), "") or "").lower()
    is_report = ctype == "multipart/report" and report_type == "delivery-status"
    automatic = result.return_path == "" or "auto-submitted" in result.headers
    plain_bounce = not is_report and (
        _is_daemon(result.from_address)
        or (automatic and bool(_BOUNCE_SUBJECT.search(result.subject)))
    )
    if not is_report and not plain_bounce:
        return replace(result, problems=tuple(dict.fromkeys(problems)))

    ours = own | set(result.to) | set(result.cc)
    if result.from_address:
        ours.add(result.from_address)

    failed: list[str] = []
    for block in body.status_blocks:
        action = block.get("action", "").split("(", 1)[0].strip().lower()
        addr = _recipient(block.get("final-recipient") or block.get("original-recipient") or "")
        if addr and action == "failed":
            failed.append(addr)
    if not failed:
        failed = _scanned(msg, problems)

    bounced = next((i for i in map(_first_id, body.returned_headers) if i), "")
    if not bounced:
        match = _BODY_MSGID.search(result.text)
        bounced = _first_id(match.group(1)) if match else ""

    recipients = tuple(
        dict.fromkeys(a for a in failed if a and a not in ours and not _is_daemon(a))
    )
    return replace(
        result,
        is_report=is_report,
        failed_recipients=recipients,
        bounced_message_id=bounced,
        problems=tuple(dict.fromkeys(problems)),
    )


class _PlainHeaders(policy.Compat32):
    """The legacy policy flufl.bounce expects, but every header value a ``str`` (compat32
    returns ``Header`` objects for 8-bit headers, which its detectors cannot handle)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value.encode("ascii", "replace").decode("ascii")


def _scanned(msg: Message, problems: list[str]) -> list[str]:
    """The permanently failed recipients flufl.bounce finds in a bounce."""
    try:
        legacy = email.message_from_bytes(msg.as_bytes(policy=policy.compat32))
        legacy.policy = _PlainHeaders()
        for part in legacy.walk():
            part.policy = legacy.policy
        found = scan_message(legacy)
    except Exception as exc:
        problems.append(f"the bounce could not be scanned ({type(exc).__name__})")
        return []
    return sorted(_clean_address(a.decode("utf-8", "replace")) for a in found)
