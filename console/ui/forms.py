"""Shared form helpers: a red message under each invalid field, and errors said in words.

The services raise one ``ValidationError`` whose ``errors`` map field keys (``title``,
``attachments[1]``, ``emails[0]``) to messages. :class:`FieldErrors` maps those keys to the
widgets of a form, shows each message under its field and focuses the first invalid one;
anything it cannot place goes to the form's general message. :func:`error_text` turns
any other failure into a sentence: environment errors from the database layer carry a
``message`` written for the agent (the ui never imports ``db``), bugs get a short notice.

Text from people (customers, agents, a sync peer) is plain text (STYLE habit 18): a QLabel
and a tooltip take anything that looks like markup for rich text, and rich text loads the
images it names, ``file://`` ones included. :func:`plain_label` / :func:`set_plain` and
:func:`plain_tip` make plain the easy path; our own markup goes through :func:`set_markup`
and escapes every piece it embeds with :func:`esc`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import phonenumbers
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.services.validation import NotAllowed, ValidationError
from console.ui.theme import current_theme

log = logging.getLogger(__name__)

ERROR_OBJECT_NAME = "fieldError"


def esc(text: object) -> str:
    """``text`` escaped for embedding in our own markup (``<`` ``>`` ``&`` and quotes)."""
    return html.escape(str(text))


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that shows ``text`` exactly as typed, never as rich text."""
    label = QLabel(parent)
    set_plain(label, text)
    return label


def set_plain(label: QLabel, text: str) -> None:
    """Show ``text`` on ``label`` as plain text, whatever it looks like."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)


def set_markup(label: QLabel, markup: str) -> None:
    """Show our own markup on ``label``; every piece of people's text in it went through
    :func:`esc`."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(markup)


def plain_tip(text: str) -> str:
    """A tooltip that shows ``text`` as typed: Qt takes a tooltip that looks like markup for
    rich text, so any ``<`` or ``&`` goes escaped inside ``<qt>`` (line breaks kept)."""
    if not text or not any(c in text for c in "<>&"):
        return text
    return "<qt>" + esc(text).replace("\n", "<br>") + "</qt>"


def error_colour() -> str:
    """The theme's red (the colour of a breached clock), for messages under fields."""
    return current_theme().state_color("breached").name()


def error_label(parent: QWidget | None = None) -> QLabel:
    """A hidden, word-wrapped red label for one field's (or a form's) message."""
    label = plain_label(parent=parent)
    label.setObjectName(ERROR_OBJECT_NAME)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {error_colour()};")
    label.hide()
    return label


def reserve_line(label: QLabel, lines: int = 1) -> QLabel:
    """Keep ``lines`` lines of room for ``label`` while it is hidden, so showing a message
    (or hiding it once fixed) does not move the fields under the pointer."""
    label.setMinimumHeight(lines * label.fontMetrics().lineSpacing())
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    policy = label.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    label.setSizePolicy(policy)
    return label


def with_error(field: QWidget, hint: QWidget | None = None) -> tuple[QWidget, QLabel]:
    """``field`` with its error label under it (then an optional hint), as one form row.

    The error's line is reserved, so a message appearing or going does not push the fields
    below it; a longer message takes the lines it needs and the row grows to hold them.
    """
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(field)
    label = reserve_line(error_label())
    layout.addWidget(label)
    if hint is not None:
        layout.addWidget(hint)
    return box, label


def set_read_only(editor: QLineEdit | QAbstractSpinBox, read_only: bool) -> None:
    """Make ``editor`` read-only and look it: no frame, no input background, no arrows, so
    a value that cannot be changed reads as text and not as a box waiting for typing."""
    editor.setReadOnly(read_only)
    editor.setFrame(not read_only)
    editor.setStyleSheet("background: transparent;" if read_only else "")
    if isinstance(editor, QAbstractSpinBox):
        editor.setButtonSymbols(
            QAbstractSpinBox.ButtonSymbols.NoButtons
            if read_only
            else QAbstractSpinBox.ButtonSymbols.UpDownArrows
        )


def page_title(text: str) -> QLabel:
    """The bold heading at the top of a page in the main window."""
    title = plain_label(text)
    font = QFont(title.font())
    font.setPointSizeF(font.pointSizeF() * 1.4)
    font.setBold(True)
    title.setFont(font)
    return title


def if_alive(owner: QWidget, fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """A job's callback that is dropped if ``owner`` was deleted while the job ran."""

    def call(value: Any) -> None:
        if shiboken6.isValid(owner):
            fn(value)

    return call


def hint_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A word-wrapped secondary line under a field, in the theme's muted text colour."""
    label = plain_label(text, parent)
    label.setObjectName("hint")
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # follows theme changes
    return label


def text_label() -> QLabel:
    """A word-wrapped plain-text label whose text can be selected and copied (numbers,
    names, times); :func:`set_markup` for our own markup."""
    label = plain_label()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def phone_text(number: str) -> str:
    """A stored phone number as every screen shows it: the international format
    (``+442079460040`` → ``+44 20 7946 0040``); anything that does not parse, as typed."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 customer``, ``3 customers``, ``0 customers``."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def error_text(error: object) -> str:
    """What went wrong, in words for the agent; never a traceback."""
    if isinstance(error, ValidationError):
        return "\n".join(error.errors.values()) or str(error)
    if isinstance(error, NotAllowed):
        return str(error)
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    if isinstance(error, BaseException):
        log.error("unexpected error in a background job", exc_info=error)
    detail = str(error) or type(error).__name__
    return f"Something went wrong that the console did not expect ({detail}). Please report this."


def _base(key: str) -> str:
    """``attachments[2]`` → ``attachments``; ``contact.emails[0]`` → ``contact``."""
    return key.split("[", 1)[0].split(".", 1)[0]


_EDITORS = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox, QAbstractButton)


def _editors(widget: QWidget) -> list[QWidget]:
    """``widget`` if it is an input, else the inputs inside it (a field may be a row)."""
    if isinstance(widget, _EDITORS):
        return [widget]
    return [child for child in widget.findChildren(QWidget) if isinstance(child, _EDITORS)]


def _on_user_edit(editor: QWidget, slot: Callable[..., None]) -> None:
    """Call ``slot`` when the person edits ``editor`` (not when the form fills it)."""
    if isinstance(editor, QLineEdit):
        editor.textEdited.connect(slot)
    elif isinstance(editor, QPlainTextEdit | QTextEdit):
        editor.textChanged.connect(slot)
    elif isinstance(editor, QComboBox):
        editor.activated.connect(slot)
        line = editor.lineEdit() if editor.isEditable() else None
        if line is not None:
            line.textEdited.connect(slot)
    elif isinstance(editor, QAbstractSpinBox):
        editor.editingFinished.connect(slot)
    elif isinstance(editor, QAbstractButton):
        editor.clicked.connect(slot)


class FieldErrors:
    """The error labels of one form, keyed by the service's field names.

    Register fields in the order they appear, so the first invalid one gets the focus.
    """

    def __init__(self, general: QLabel, scroll: QScrollArea | None = None) -> None:
        self._general = general
        self._scroll = scroll
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}

    def add(self, key: str, widget: QWidget, label: QLabel) -> None:
        self._fields[key] = (widget, label)
        for editor in _editors(widget):
            _on_user_edit(editor, lambda *_args, key=key: self.resolve(key))

    def resolve(self, key: str) -> None:
        """The person changed ``key``'s field: its message no longer applies."""
        _, label = self._fields[key]
        if not label.isHidden():
            label.clear()
            label.hide()

    def clear(self) -> None:
        for _, label in self._fields.values():
            label.clear()
            label.hide()
        self._general.clear()
        self._general.hide()

    def message(self, key: str) -> str:
        """The message shown under ``key``'s field ("" when none); the general one for ""."""
        if not key:
            return self._general.text() if not self._general.isHidden() else ""
        _, label = self._fields[key]
        return label.text() if not label.isHidden() else ""

    def invalid_keys(self) -> list[str]:
        return [key for key, (_, label) in self._fields.items() if not label.isHidden()]

    def show(self, errors: Mapping[str, str]) -> None:
        """Show every message under its field (or in the general label); focus the first."""
        self.clear()
        placed: dict[str, list[str]] = {}
        general: list[str] = []
        for key, message in errors.items():
            target = key if key in self._fields else _base(key)
            if target in self._fields:
                placed.setdefault(target, []).append(message)
            else:
                general.append(message)
        for key, messages in placed.items():
            label = self._fields[key][1]
            label.setText("\n".join(messages))
            label.show()
        if general:
            self.show_general("\n".join(general))
        first = next((key for key in self._fields if key in placed), None)
        if first is not None:
            widget = self._fields[first][0]
            widget.setFocus()
            if self._scroll is not None:
                self._scroll.ensureWidgetVisible(widget)

    def show_general(self, message: str) -> None:
        self._general.setText(message)
        self._general.show()

    def show_exception(self, error: BaseException) -> None:
        """A ValidationError goes to its fields; anything else is said in the general label."""
        if isinstance(error, ValidationError):
            self.show(error.errors)
        else:
            self.clear()
            self.show_general(error_text(error))


def show_full_screen(window: QWidget) -> None:
    """Show ``window`` full screen, also on a bare X server with no window manager.

    ``showFullScreen`` only asks the window manager; with none (a wallboard kiosk) the
    window stays at its tiny default size in a corner. Giving it the screen's geometry
    first makes it fill the screen either way.
    """
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        window.setGeometry(screen.geometry())
    window.showFullScreen()


SUBMIT_KEYS = ("Ctrl+Return", "Ctrl+Enter")  # Enter alone starts a new line in a text box


def submit_on_ctrl_enter(dialog: QWidget, button: QAbstractButton) -> None:
    """Ctrl+Enter presses ``button`` from anywhere in ``dialog``, a text box included."""
    for keys in SUBMIT_KEYS:
        shortcut = QShortcut(QKeySequence(keys), dialog)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(button.click)
    tip = button.toolTip()
    button.setToolTip(f"{tip} (Ctrl+Enter)" if tip else "Ctrl+Enter")


def choose_ca_file(parent: QWidget, field: QLineEdit, title: str) -> bool:
    """Let the person pick a certificate authority's file into ``field``, starting beside the
    one it names (else in the home folder); True when one was chosen."""
    current = field.text().strip()
    start = str(Path(current).expanduser().parent) if current else str(Path.home())
    chosen, _ = QFileDialog.getOpenFileName(
        parent, title, start, "Certificates (*.pem *.crt *.cer);;All files (*)"
    )
    if chosen:
        field.setText(chosen)
    return bool(chosen)
