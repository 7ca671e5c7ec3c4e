"""The detail's Attachments tab: the incident's files, to open, save or add to.

Reading an attachment, checking it against its recorded checksum and writing it out all run
off the GUI thread (``Dispatcher``); the slots only start jobs and say how they ended. Opening
writes a read-only copy into a private folder for this session and hands it to the desktop;
Save as… writes the file whole or not at all. Every failure is said in words under the list.
A name is always shown in its safe form (``attachment_rules.shown_name``): a name synced from
elsewhere that hides characters never reaches the screen or the desktop as it is.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any

import qtawesome as qta
import shiboken6
from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.explain import when
from console.domain.records import Attachment, IncidentSummary
from console.qt.worker import Dispatcher
from console.services.attachment_rules import hidden_note, safe_file_name, shown_name
from console.services.incidents import IncidentService
from console.services.validation import ATTACHMENT_LIMIT, format_size
from console.ui.forms import error_colour, error_text, plain_tip
from console.ui.incident.files import (
    FileFolder,
    save_copy,
    session_folder,
    with_files,
    write_for_opening,
)

_ICONS = {
    "mdi6.file-document-outline": ("txt", "log", "out", "err", "md", "csv", "tsv"),
    "mdi6.code-json": ("json", "har", "xml", "yaml", "yml", "toml", "ini", "cfg", "conf"),
    "mdi6.file-image-outline": ("png", "jpg", "jpeg", "gif", "bmp", "webp", "svg", "heic"),
    "mdi6.file-pdf-box": ("pdf",),
    "mdi6.zip-box-outline": ("zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "tar", "zst"),
    "mdi6.file-video-outline": ("mp4", "mov", "webm", "mkv", "avi"),
}
_ICON_BY_EXTENSION = {ext: icon for icon, exts in _ICONS.items() for ext in exts}
_SAVE_LINK = "save"


def _file_icon(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return _ICON_BY_EXTENSION.get(ext.lower(), "mdi6.file-outline") if dot else "mdi6.file-outline"


class _FileTree(QTreeWidget):
    """The file list; says what to do when there is nothing in it yet."""

    placeholder = ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.topLevelItemCount() or not self.placeholder:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().placeholderText().color())
        area = self.viewport().rect().adjusted(16, 16, -16, -16)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        painter.drawText(area, int(flags) | int(Qt.TextFlag.TextWordWrap), self.placeholder)
        painter.end()


class AttachmentsTab(QWidget):
    """An incident's files: open one with the desktop's application, save a copy, add more."""

    opened = Signal(str)  # the path of the copy handed to the desktop
    saved = Signal(str)  # the path an attachment was saved as
    files_added = Signal(object)  # IncidentSummary, once Add files… has stored them
    failed = Signal(str)  # what went wrong, as said under the list

    FILE, SIZE, ADDED, BY = range(4)

    def __init__(
        self,
        incidents: IncidentService,
        dispatcher: Dispatcher,
        zone: tzinfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._incidents = incidents
        self._dispatcher = dispatcher
        self._zone = zone
        self._incident_id = ""
        self._by_id: dict[str, Attachment] = {}
        self._pending: set[tuple[str, str]] = set()  # (what, attachment id) jobs under way
        self._adding = False
        self._offer: Attachment | None = None  # the file the message offers to save
        downloads = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DownloadLocation
        )
        self._save_folder = Path(downloads) if downloads else Path.home()
        self._build()
        self.setAcceptDrops(True)
        self.clear()

    def _build(self) -> None:
        layout = QVBoxLayout(self)  # the list meets the tab's frame, as the timeline does
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.tree = _FileTree()
        self.tree.setHeaderLabels(["File", "Size", "Added", "By"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep the extension in view
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(64)
        header.setSectionResizeMode(self.FILE, QHeaderView.ResizeMode.Stretch)
        for column in (self.SIZE, self.ADDED, self.BY):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.tree, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.message.hide()
        below = QVBoxLayout()
        below.setContentsMargins(8, 6, 8, 8)
        below.setSpacing(6)
        below.addWidget(self.message)
        layout.addLayout(below)

        self.open_button = QPushButton(qta.icon("mdi6.open-in-app"), "&Open")
        self.open_button.setToolTip("Open a read-only copy with the application for its type")
        self.save_button = QPushButton(qta.icon("mdi6.content-save-outline"), "Save &as…")
        self.save_button.setToolTip("Save a copy of the file where you choose")
        self.add_button = QPushButton(qta.icon("mdi6.paperclip-plus"), "A&dd files…")
        self.add_button.setToolTip("Attach log files or data the customer sent")
        limit = QLabel(f"Up to {format_size(ATTACHMENT_LIMIT)} each")
        limit.setObjectName("hint")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(limit)
        buttons.addWidget(self.add_button)
        below.addLayout(buttons)

        self.open_action = QAction(qta.icon("mdi6.open-in-app"), "Open", self.tree)
        self.save_action = QAction(qta.icon("mdi6.content-save-outline"), "Save as…", self.tree)
        self.tree.addActions([self.open_action, self.save_action])
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.tree.itemActivated.connect(self._on_tree_item_activated)  # Enter, double-click
        self.tree.itemSelectionChanged.connect(self._on_tree_selection_changed)
        self.open_button.clicked.connect(self.open_selected)
        self.save_button.clicked.connect(self.save_selected)
        self.open_action.triggered.connect(self.open_selected)
        self.save_action.triggered.connect(self.save_selected)
        self.add_button.clicked.connect(self.add_files)
        self.message.linkActivated.connect(self._on_message_link_activated)

    # -- showing -----------------------------------------------------------------------------

    def show_attachments(self, incident_id: str, attachments: tuple[Attachment, ...]) -> None:
        """List ``incident_id``'s files; the selection and message stay if it is the same one."""
        same = incident_id == self._incident_id
        kept = self.selected()
        if not same:
            self._say("")
        self._incident_id = incident_id
        self._by_id = {a.id: a for a in attachments}
        self.tree.clear()
        for attachment in attachments:
            shown = shown_name(attachment.filename)  # hidden characters made visible
            item = QTreeWidgetItem(
                [
                    shown,
                    format_size(attachment.size),
                    when(attachment.added_at, self._zone),
                    attachment.author,
                ]
            )
            item.setData(self.FILE, Qt.ItemDataRole.UserRole, attachment.id)
            item.setIcon(self.FILE, qta.icon(_file_icon(shown)))
            facts = f"{attachment.size:,} bytes · SHA-256 {attachment.sha256}"
            note = hidden_note(attachment.filename)
            item.setToolTip(self.FILE, plain_tip("\n".join(filter(None, [shown, facts, note]))))
            item.setTextAlignment(
                self.SIZE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
            self.tree.addTopLevelItem(item)
            if same and kept is not None and kept.id == attachment.id:
                self.tree.setCurrentItem(item)
        self.tree.placeholder = (
            "No files are attached yet. Add the log files or data the customer sent with "
            "Add files…, or drop them here."
        )
        self.tree.viewport().update()
        self._update_buttons()

    def clear(self) -> None:
        """No incident: nothing listed, nothing to add to."""
        self._incident_id = ""
        self._by_id = {}
        self.tree.clear()
        self.tree.placeholder = ""
        self._say("")
        self._update_buttons()

    def selected(self) -> Attachment | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        return self._by_id.get(str(items[0].data(self.FILE, Qt.ItemDataRole.UserRole)))

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for widget in (self.open_button, self.save_button, self.open_action, self.save_action):
            widget.setEnabled(chosen)
        self.add_button.setEnabled(bool(self._incident_id) and not self._adding)

    def _say(self, text: str, *, error: bool = False, offer: Attachment | None = None) -> None:
        """Show ``text`` under the list ("" hides it); ``offer`` adds a Save as… link for it."""
        self._offer = offer
        if not text:
            self.message.clear()
            self.message.hide()
            return
        body = html.escape(text).replace("\n", "<br>")
        if offer is not None:
            body += f' <a href="{_SAVE_LINK}">Save it as…</a>'
        self.message.setStyleSheet(f"color: {error_colour()};" if error else "")
        self.message.setText(body)
        self.message.show()

    def _fail(self, error: object) -> None:
        text = error_text(error)
        self._say(text, error=True)
        self.failed.emit(text)

    # -- jobs --------------------------------------------------------------------------------

    def _run(
        self,
        key: tuple[str, str],
        job: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``job`` off the GUI thread once per key at a time; callbacks only if still here."""
        if key in self._pending:
            return
        self._pending.add(key)

        def finish(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                if shiboken6.isValid(self):
                    self._pending.discard(key)
                    callback(value)

            return call

        self._dispatcher.submit(job, finish(done), finish(failed or self._fail))

    @Slot()
    def open_selected(self) -> None:
        attachment = self.selected()
        if attachment is not None:
            self.open_attachment(attachment)

    def open_attachment(self, attachment: Attachment) -> None:
        """Check the file, write a read-only copy for this session, open it on the desktop."""
        incidents, shown = self._incidents, shown_name(attachment.filename)

        def job() -> Path:
            found, content = incidents.attachment(attachment.incident_id, attachment.id)
            return write_for_opening(session_folder(), found, content)

        def done(path: Path) -> None:
            if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                self._say(f'Opened a read-only copy of "{shown}".')
                self.opened.emit(str(path))
                return
            text = (
                f'No application on this computer is set up to open "{shown}". '
                "To open it with a program of your choice, save a copy first:"
            )
            self._say(text, error=True, offer=attachment)
            self.failed.emit(text)

        self._say(f'Opening "{shown}"…')
        self._run(("open", attachment.id), job, done)

    @Slot()
    def save_selected(self) -> None:
        attachment = self.selected()
        if attachment is not None:
            self.ask_where_to_save(attachment)

    def ask_where_to_save(self, attachment: Attachment) -> None:
        proposed = self._save_folder / safe_file_name(attachment.filename)
        path, _ = QFileDialog.getSaveFileName(
            self, f'Save "{shown_name(attachment.filename)}" as', str(proposed)
        )
        if path:
            self.save_as(attachment, Path(path))

    def save_as(self, attachment: Attachment, path: Path) -> None:
        """Check the file and write it to ``path``, whole or not at all."""
        incidents, shown = self._incidents, shown_name(attachment.filename)

        def job() -> Path:
            found, content = incidents.attachment(attachment.incident_id, attachment.id)
            return save_copy(path, found.filename, content)

        def done(written: Path) -> None:
            self._save_folder = written.parent  # the next Save as… proposes it
            self._say(f'Saved "{shown}" as {written}.')
            self.saved.emit(str(written))

        self._say(f'Saving "{shown}"…')
        self._run(("save", attachment.id), job, done)

    @Slot()
    def add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Attach log files or data", str(FileFolder.start())
        )
        chosen = [Path(p) for p in paths]
        FileFolder.remember(chosen)
        self.add_paths(chosen)

    def add_paths(self, paths: list[Path]) -> None:
        """Attach files to the incident shown; a refusal names each file and what is wrong."""
        if not paths or not self._incident_id or self._adding:
            return
        incident_id, incidents = self._incident_id, self._incidents

        def job() -> IncidentSummary:
            return with_files(
                paths, lambda files: incidents.update_report(incident_id, {"attachments": files})
            )

        def done(summary: IncidentSummary) -> None:
            self._adding = False
            self._update_buttons()
            self._say("Attached " + ", ".join(f'"{shown_name(p.name)}"' for p in paths) + ".")
            self.files_added.emit(summary)

        def failed(error: Exception) -> None:
            self._adding = False
            self._update_buttons()
            self._fail(error)

        self._adding = True
        self._update_buttons()
        count = f"{len(paths)} files" if len(paths) > 1 else f'"{shown_name(paths[0].name)}"'
        self._say(f"Attaching {count}…")
        self._run(("add", incident_id), job, done, failed)

    # -- reactions ---------------------------------------------------------------------------

    @Slot(QTreeWidgetItem, int)
    def _on_tree_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        attachment = self._by_id.get(str(item.data(self.FILE, Qt.ItemDataRole.UserRole)))
        if attachment is not None:
            self.open_attachment(attachment)

    @Slot()
    def _on_tree_selection_changed(self) -> None:
        self._update_buttons()

    @Slot(str)
    def _on_message_link_activated(self, link: str) -> None:
        if link == _SAVE_LINK and self._offer is not None:
            self.ask_where_to_save(self._offer)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if self._incident_id and urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths and self._incident_id:
            event.acceptProposedAction()
            self.add_paths(paths)
