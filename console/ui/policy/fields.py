"""The editable parts of the policy text: targets per plan × priority, update cadences,
the at-risk threshold and the stale-list threshold.

``policy()`` builds a new :class:`Policy` from the fields, or raises one ValidationError with
a message per field; the service then checks the whole text again when it saves.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from functools import partial

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.domain.countdown import format_span
from console.domain.policy import SPAN_BOUNDS, Cadence, CadenceClock, ClockKind, Policy, Span
from console.services.policy import at_risk_from_arrival
from console.services.validation import Errors, ValidationError
from console.ui.customers.common import warning_colour
from console.ui.forms import (
    FieldErrors,
    error_label,
    esc,
    hint_label,
    set_markup,
    set_read_only,
)

_CLOCKS = ((ClockKind.WALL, "24×7"), (ClockKind.BUSINESS, "Business hours"))
_CADENCE_CLOCKS = (
    (CadenceClock.TARGET, "Same clock as the target"),
    (CadenceClock.WALL, "24×7"),
    (CadenceClock.BUSINESS, "Business hours"),
)
DURATION_HELP = (
    "Durations: 15m, 2h, 1h30m, or business days like 1bd (one business day is the window's "
    "open time in a day, 8.5 h for 09:00–17:30). Business days need the business-hours clock. "
    f"Each is {SPAN_BOUNDS}."
)


def _span(text: str, what: str) -> Span:
    try:
        span = Span.parse(text)
    except ValueError:
        raise ValueError(
            f'"{text.strip()}" is not a duration: write it like 15m, 2h, 1h30m or 1bd.'
        ) from None
    if span.is_zero:
        raise ValueError(f"The {what} must be longer than zero.")
    if not span.within_bounds:
        raise ValueError(f'"{text.strip()}" is too long: {what}s are {SPAN_BOUNDS}.')
    return span


def field_key_for(message: str) -> tuple[str, str]:
    """The field a policy loader message is about, and the message without its key path.

    ``plans.standard.targets.P1.target: "2bd" counts …`` → (``target.standard.P1``, ``"2bd" …``)
    """
    path, _, rest = message.partition(": ")
    if not rest:
        return "", message
    patterns = (
        (r"^plans\.([^.]+)\.targets\.([^.]+)", "target.{0}.{1}"),
        (r"^status_updates\.([^.]+)", "cadence.{0}"),
        (r"^at_risk\.percent", "at_risk_percent"),
        (r"^at_risk\.minimum", "at_risk_minimum"),
        (r"^support_list\.", "stale_days"),
        (r"^mail\.reopen_days", "reopen_days"),
        (r"^mail\.sender_limit", "sender_limit"),
        (r"^mail\.sender_window", "sender_window"),
    )
    for pattern, key in patterns:
        match = re.match(pattern, path)
        if match:
            text = rest[:1].upper() + rest[1:]
            return key.format(*match.groups()), text if text.endswith(".") else text + "."
    return "", message


def markup_label(markup: str) -> QLabel:
    """A label of our own markup (what it embeds is escaped with ``esc``)."""
    label = QLabel()
    set_markup(label, markup)
    return label


class _TargetCell(QWidget):
    """One plan × priority target: a duration and its clock; says when a value is assumed."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.span = QLineEdit()
        self.span.setMaximumWidth(84)
        self.span.setPlaceholderText("e.g. 4h")
        self.clock = QComboBox()
        for kind, label in _CLOCKS:
            self.clock.addItem(label, kind.value)
        row.addWidget(self.span)
        row.addWidget(self.clock, 1)
        layout.addLayout(row)
        self.error = error_label()
        layout.addWidget(self.error)
        self.assumed = hint_label("assumed value")
        self.assumed.setToolTip(
            "Not published by the vendor: a placeholder the team is expected to set. "
            "Editing the value makes it the team's own."
        )
        layout.addWidget(self.assumed)


class PolicyFields(QWidget):
    """Owns the editing widgets; the dialog lays them out in tabs."""

    changed = Signal()

    def __init__(self, general: QLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._general = general
        self._threshold_fields: list[tuple[str, QWidget, QLabel]] = []
        self.errors = FieldErrors(general)
        self._policy: Policy | None = None
        self._loading = False
        self.targets: dict[tuple[str, str], _TargetCell] = {}
        self.cadence_spans: dict[str, QLineEdit] = {}
        self.cadence_none: dict[str, QCheckBox] = {}
        self.cadence_clocks: dict[str, QComboBox] = {}
        self.targets_page = QWidget()
        self.cadences_page = QWidget()
        self.thresholds_page = QWidget()
        self.at_risk_percent = QSpinBox()
        self.at_risk_minimum = QLineEdit()
        self.stale_days = QSpinBox()
        self.reopen_days = QSpinBox()
        self.sender_limit = QSpinBox()
        self.sender_window = QLineEdit()
        self._build_thresholds()

    # -- building ----------------------------------------------------------------------------

    def _show_at_risk_note(self, policy: Policy) -> None:
        """Name the targets these thresholds make at risk from an incident's arrival (the
        queue shows them amber at once; this says why)."""
        early = at_risk_from_arrival(policy)
        minimum = policy.at_risk_minimum
        self.at_risk_note.setText(
            f"At risk from arrival: {', '.join(early)}. These targets are no longer than their "
            f"at-risk threshold (at least {format_span(minimum)}), so their clocks turn at risk "
            "the moment an incident arrives. Lower the minimum to give them on-track time."
            if early
            else ""
        )
        self.at_risk_note.setVisible(bool(early))

    def load(self, policy: Policy) -> None:
        """Fill every field from ``policy`` (rebuilding the grids if plans or priorities differ)."""
        self._loading = True
        shape = (policy.priority_ids, tuple(p.id for p in policy.plans))
        old = self._policy
        if old is None or shape != (old.priority_ids, tuple(p.id for p in old.plans)):
            self.errors = FieldErrors(self._general)  # the old grid's widgets are gone
            self._build_targets(policy)
            self._build_cadences(policy)
            for key, widget, label in self._threshold_fields:
                self.errors.add(key, widget, label)
        self._policy = policy
        self._show_at_risk_note(policy)
        for plan in policy.plans:
            for target in plan.targets:
                cell = self.targets[(plan.id, target.priority)]
                cell.span.setText(str(target.span))
                cell.clock.setCurrentIndex(cell.clock.findData(target.clock.value))
                cell.assumed.setVisible(target.assumed)
        for cadence in policy.cadences:
            none = cadence.every is None
            self.cadence_none[cadence.priority].setChecked(none)
            self.cadence_spans[cadence.priority].setText("" if none else str(cadence.every))
            combo = self.cadence_clocks[cadence.priority]
            combo.setCurrentIndex(combo.findData(cadence.clock.value))
        self.at_risk_percent.setValue(round(policy.at_risk_percent))
        self.at_risk_minimum.setText(
            str(Span(minutes=int(policy.at_risk_minimum.total_seconds() // 60)))
        )
        self.stale_days.setValue(policy.support_list_stale_days)
        self.reopen_days.setValue(policy.reopen_days)
        self.sender_limit.setValue(policy.sender_limit)
        window = int(policy.sender_limit_window.total_seconds() // 60)
        self.sender_window.setText(str(Span(minutes=window)))
        self._loading = False
        self._sync_cadence_states()

    def _build_targets(self, policy: Policy) -> None:
        old_layout = self.targets_page.layout()
        if old_layout is not None:
            QWidget().setLayout(old_layout)  # re-parent the old layout away to drop it
        self.targets.clear()
        outer = QVBoxLayout(self.targets_page)
        outer.addWidget(
            hint_label(
                "How soon the first response is owed after an incident is received, by plan and "
                "priority. 24×7 targets run on the wall clock; business-hours targets run only "
                "while the customer's support window is open."
            )
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        for column, info in enumerate(policy.priorities, start=1):
            head = markup_label(f"<b>{esc(info.id)}</b> · {esc(info.label)}")
            head.setToolTip(info.definition)
            grid.addWidget(head, 0, column)
            grid.setColumnStretch(column, 1)
        for row, plan in enumerate(policy.plans, start=1):
            name = markup_label(f"<b>{esc(plan.name)}</b>")
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            for column, info in enumerate(policy.priorities, start=1):
                cell = _TargetCell()
                cell.span.setAccessibleName(f"{plan.name} {info.id} target")
                self.targets[(plan.id, info.id)] = cell
                grid.addWidget(cell, row, column, Qt.AlignmentFlag.AlignTop)
                self.errors.add(f"target.{plan.id}.{info.id}", cell.span, cell.error)
                cell.span.textEdited.connect(lambda _t, c=cell: self._on_target_edited(c))
                cell.clock.activated.connect(lambda _i, c=cell: self._on_target_edited(c))
        outer.addLayout(grid)
        outer.addWidget(hint_label(DURATION_HELP))
        outer.addStretch(1)

    def _build_cadences(self, policy: Policy) -> None:
        old_layout = self.cadences_page.layout()
        if old_layout is not None:
            QWidget().setLayout(old_layout)
        self.cadence_spans.clear()
        self.cadence_none.clear()
        self.cadence_clocks.clear()
        outer = QVBoxLayout(self.cadences_page)
        outer.addWidget(
            hint_label(
                "After the first response, a status update is owed one cadence after the last "
                "response or update, until the incident is resolved."
            )
        )
        form = QFormLayout()
        for info in policy.priorities:
            span = QLineEdit()
            span.setMaximumWidth(100)
            span.setPlaceholderText("e.g. 4h")
            none = QCheckBox("No updates owed")
            clock = QComboBox()
            for kind, label in _CADENCE_CLOCKS:
                clock.addItem(label, kind.value)
            row = QHBoxLayout()
            row.addWidget(QLabel("Every"))
            row.addWidget(span)
            row.addWidget(QLabel("on"))
            row.addWidget(clock)
            row.addSpacing(12)
            row.addWidget(none)
            row.addStretch(1)
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.setSpacing(2)
            box_layout.addLayout(row)
            error = error_label()
            box_layout.addWidget(error)
            heading = markup_label(f"<b>{esc(info.id)}</b> · {esc(info.label)}")
            heading.setToolTip(info.definition)
            form.addRow(heading, box)
            self.cadence_spans[info.id] = span
            self.cadence_none[info.id] = none
            self.cadence_clocks[info.id] = clock
            self.errors.add(f"cadence.{info.id}", span, error)
            span.textEdited.connect(self._on_any_changed)
            clock.activated.connect(self._on_any_changed)
            none.toggled.connect(self._on_cadence_none_toggled)
        outer.addLayout(form)
        outer.addWidget(hint_label(DURATION_HELP))
        outer.addStretch(1)

    def _build_thresholds(self) -> None:
        outer = QVBoxLayout(self.thresholds_page)
        form = QFormLayout()
        self.at_risk_percent.setRange(0, 100)
        self.at_risk_percent.setSuffix(" %")
        self.at_risk_minimum.setMaximumWidth(100)
        self.at_risk_minimum.setPlaceholderText("e.g. 15m")
        self.stale_days.setRange(1, 3650)
        self.stale_days.setSuffix(" days")
        self.reopen_days.setRange(1, 3650)
        self.reopen_days.setSuffix(" days")
        self.sender_limit.setRange(1, 10_000)
        self.sender_limit.setSuffix(" messages")
        self.sender_window.setMaximumWidth(100)
        self.sender_window.setPlaceholderText("e.g. 10m")
        for key, label, widget, hint in (
            (
                "at_risk_percent",
                "At risk at",
                self.at_risk_percent,
                "A running clock turns at risk when the time left is at most this share of "
                "its target…",
            ),
            (
                "at_risk_minimum",
                "…and at least",
                self.at_risk_minimum,
                "…and never less than this much before the deadline (hours and minutes, "
                "e.g. 15m), so short targets still warn in time.",
            ),
            (
                "stale_days",
                "Support list stale after",
                self.stale_days,
                "A customer's support list not confirmed for this long is flagged in the "
                "customer list and on its incidents.",
            ),
            (
                "reopen_days",
                "A reply reopens within",
                self.reopen_days,
                "A customer's email reply this soon after the incident was resolved reopens "
                "it; a later reply opens a new incident linked to the old one.",
            ),
            (
                "sender_limit",
                "One sender may send",
                self.sender_limit,
                "…this many messages or reports…",
            ),
            (
                "sender_window",
                "…in",
                self.sender_window,
                "…in this long (hours and minutes, e.g. 10m); the rest wait in the Inbox for "
                "review, so a mail loop cannot flood the queue.",
            ),
        ):
            box = QWidget()
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.setSpacing(2)
            row = QHBoxLayout()
            row.addWidget(widget)
            row.addStretch(1)
            box_layout.addLayout(row)
            error = error_label()
            box_layout.addWidget(error)
            box_layout.addWidget(hint_label(hint))
            form.addRow(label, box)
            self._threshold_fields.append((key, widget, error))
        outer.addLayout(form)
        self.at_risk_note = hint_label()  # which targets these thresholds make at risk at once
        self.at_risk_note.setStyleSheet(f"color: {warning_colour().name()};")
        self.at_risk_note.hide()
        outer.addWidget(self.at_risk_note)
        outer.addStretch(1)
        self.at_risk_percent.valueChanged.connect(self._on_any_changed)
        for spin in (self.stale_days, self.reopen_days, self.sender_limit):
            spin.valueChanged.connect(self._on_any_changed)
        for line in (self.at_risk_minimum, self.sender_window):
            line.textEdited.connect(self._on_any_changed)

    # -- editing -----------------------------------------------------------------------------

    def set_editable(self, editable: bool) -> None:
        lines = [
            *(c.span for c in self.targets.values()),
            *self.cadence_spans.values(),
            self.at_risk_minimum,
            self.sender_window,
        ]
        for line in lines:
            set_read_only(line, not editable)
        spins = (self.at_risk_percent, self.stale_days, self.reopen_days, self.sender_limit)
        for spin in spins:
            set_read_only(spin, not editable)
        for combo in (*(c.clock for c in self.targets.values()), *self.cadence_clocks.values()):
            combo.setEnabled(editable)
        for box in self.cadence_none.values():
            box.setEnabled(editable)
        self._editable = editable
        self._sync_cadence_states()

    def _on_target_edited(self, cell: _TargetCell) -> None:
        cell.assumed.hide()  # edited by the team: no longer a placeholder
        self._on_any_changed()

    @Slot()
    def _on_any_changed(self) -> None:
        if not self._loading:
            self.changed.emit()

    @Slot()
    def _on_cadence_none_toggled(self) -> None:
        self._sync_cadence_states()
        self._on_any_changed()

    def _sync_cadence_states(self) -> None:
        editable = getattr(self, "_editable", True)
        for pid, none in self.cadence_none.items():
            self.cadence_spans[pid].setEnabled(not none.isChecked())
            self.cadence_clocks[pid].setEnabled(editable and not none.isChecked())

    # -- reading -----------------------------------------------------------------------------

    def policy(self) -> Policy:
        """The loaded policy with these fields; ValidationError names each bad field."""
        base = self._policy
        assert base is not None
        errors = Errors()
        plans = []
        for plan in base.plans:
            targets = []
            for old in plan.targets:
                cell = self.targets[(plan.id, old.priority)]
                key = f"target.{plan.id}.{old.priority}"
                span = errors.check(key, partial(_span, cell.span.text(), "target"))
                clock = ClockKind(cell.clock.currentData())
                if span is None:
                    continue
                if span.business_days and clock is ClockKind.WALL:
                    errors.add(key, "Business days need the business-hours clock.")
                    continue
                assumed = old.assumed and span == old.span and clock is old.clock
                assumed = assumed and cell.assumed.isVisibleTo(cell)
                targets.append(replace(old, span=span, clock=clock, assumed=assumed))
            plans.append(replace(plan, targets=tuple(targets)))
        cadences = []
        for old_cadence in base.cadences:
            pid = old_cadence.priority
            key = f"cadence.{pid}"
            cadence_clock = CadenceClock(self.cadence_clocks[pid].currentData())
            if self.cadence_none[pid].isChecked():
                every = None
            else:
                every = errors.check(
                    key, partial(_span, self.cadence_spans[pid].text(), "update cadence")
                )
                if every is None:
                    continue
                if every.business_days and cadence_clock is CadenceClock.WALL:
                    errors.add(key, "Business days need the business-hours clock.")
                    continue
            unchanged = every == old_cadence.every and (
                every is None or cadence_clock is old_cadence.clock
            )
            cadences.append(
                Cadence(
                    pid,
                    every,
                    CadenceClock.TARGET if every is None else cadence_clock,
                    old_cadence.assumed and unchanged,
                )
            )
        minimum = errors.check("at_risk_minimum", self._minimum)
        if minimum is not None and minimum.business_days:
            errors.add("at_risk_minimum", "Give the minimum in hours and minutes, e.g. 15m.")
        window = errors.check("sender_window", self._sender_window)
        errors.raise_if_any()
        assert minimum is not None and window is not None
        return replace(
            base,
            plans=tuple(plans),
            cadences=tuple(cadences),
            at_risk_percent=float(self.at_risk_percent.value()),
            at_risk_minimum=timedelta(minutes=minimum.minutes),
            support_list_stale_days=self.stale_days.value(),
            reopen_days=self.reopen_days.value(),
            sender_limit=self.sender_limit.value(),
            sender_limit_window=window,
        )

    def first_invalid(self) -> QWidget | None:
        """The widget of the first field showing a message (in tab order)."""
        keys = self.errors.invalid_keys()
        if not keys:
            return None
        for key, widget, _ in self._threshold_fields:
            if key == keys[0]:
                return widget
        for (plan, priority), cell in self.targets.items():
            if keys[0] == f"target.{plan}.{priority}":
                return cell
        for priority, span in self.cadence_spans.items():
            if keys[0] == f"cadence.{priority}":
                return span
        return None

    def _minimum(self) -> Span:
        text = self.at_risk_minimum.text().strip() or "0m"
        try:
            return Span.parse(text)
        except ValueError:
            raise ValueError(f'"{text}" is not a duration: write it like 15m or 1h30m.') from None

    def _sender_window(self) -> timedelta:
        text = self.sender_window.text().strip()
        try:
            span = Span.parse(text)
        except ValueError:
            raise ValueError(f'"{text}" is not a duration: write it like 10m or 1h.') from None
        if span.business_days or not 0 < span.minutes <= 24 * 60:
            raise ValueError("Give a length in hours and minutes, from 1m to 24h.")
        return timedelta(minutes=span.minutes)

    @staticmethod
    def service_errors(error: ValidationError) -> dict[str, str]:
        """The service's one policy message, moved to the field it is about."""
        out: dict[str, str] = {}
        for key, message in error.errors.items():
            if key == "policy":
                field, text = field_key_for(message)
                out[field or "policy"] = text
            else:
                out[key] = message
        return out
