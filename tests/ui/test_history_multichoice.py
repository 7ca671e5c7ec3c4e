"""The history filter bar's multi-choice drop-down, on its own: summary, ticking, search."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.ui.history.multichoice import SEARCH_FROM, MultiChoice

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing the keyboard",
)

PLANS = [
    ("standard", "Standard"),
    ("advanced", "Advanced"),
    ("premium", "Premium"),
    ("premium_plus", "Premium Plus"),
]


@pytest.fixture
def plans(qtbot) -> MultiChoice:
    box = MultiChoice("Plan", "Any plan", ("plan", "plans"))
    qtbot.addWidget(box)
    box.set_choices(PLANS)
    box.resize(box.sizeHint())
    box.show()
    return box


@pytest.fixture
def customers(qtbot) -> MultiChoice:
    box = MultiChoice("Customer", "Any customer", ("customer", "customers"))
    qtbot.addWidget(box)
    names = ["Koala Creek Wines", "Kestrel Foods", "Bondi Surf School"]
    names += [f"Customer {n:02}" for n in range(SEARCH_FROM)]
    box.set_choices([(f"c{i}", name) for i, name in enumerate(names)])
    box.resize(box.sizeHint())
    box.show()
    return box


def changes(box: MultiChoice) -> list[tuple[str, ...]]:
    seen: list[tuple[str, ...]] = []
    box.chosen_changed.connect(lambda: seen.append(box.chosen()))
    return seen


def test_the_closed_box_sums_up_the_choice(plans: MultiChoice) -> None:
    assert (plans.currentText(), plans.toolTip()) == ("Any plan", "Plan: any")
    assert plans.accessibleName() == "Plan"
    plans.set_chosen(["premium"])
    assert plans.currentText() == "Premium"
    plans.set_chosen(["premium_plus", "premium"])
    assert plans.chosen() == ("premium", "premium_plus")  # in the list's order
    assert plans.currentText() == "Premium, Premium Plus"  # the box is sized to fit two
    assert plans.toolTip() == "Plan: Premium, Premium Plus"
    assert "Premium, Premium Plus" in plans.accessibleDescription()
    plans.set_chosen(["standard", "advanced", "premium"])
    assert plans.summary(room=10) == "3 plans"
    assert plans.summary(room=10_000) == "Standard, Advanced, Premium"
    assert plans.describe() == "Plan: Standard, Advanced or Premium"
    plans.clear_choice()
    assert (plans.currentText(), plans.describe()) == ("Any plan", "")


def test_any_is_ticked_exactly_when_nothing_else_is(plans: MultiChoice) -> None:
    seen = changes(plans)
    anyone = plans.choices.item(0)
    assert anyone.checkState() == Qt.CheckState.Checked
    plans.toggle(2)
    plans.toggle(3)
    assert anyone.checkState() == Qt.CheckState.Unchecked
    plans.toggle(0)  # ticking "Any plan" clears the rest
    assert anyone.checkState() == Qt.CheckState.Checked
    plans.toggle(0)  # and cannot be unticked on its own
    assert seen == [("advanced",), ("advanced", "premium"), ()]


def test_space_ticks_the_current_row_and_escape_closes(qtbot, plans: MultiChoice) -> None:
    seen = changes(plans)
    qtbot.keyClick(plans, Qt.Key.Key_Space)
    popup = plans.popup
    assert popup.isVisible() and not popup.search.isVisible()  # a short list needs no search
    assert popup.list.currentIndex().row() == 0
    qtbot.keyClick(popup.list, Qt.Key.Key_Down)
    qtbot.keyClick(popup.list, Qt.Key.Key_Space)
    qtbot.keyClick(popup.list, Qt.Key.Key_Down)
    qtbot.keyClick(popup.list, Qt.Key.Key_Space)
    assert popup.isVisible()
    qtbot.keyClick(popup.list, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    assert seen == [("standard",), ("standard", "advanced")]
    qtbot.keyClick(plans, Qt.Key.Key_Space)
    assert popup.list.currentIndex().row() == 1  # reopens on the first one chosen
    qtbot.keyClick(popup.list, Qt.Key.Key_Return)
    assert not popup.isVisible()


def test_a_click_anywhere_on_a_row_ticks_it_once(qtbot, plans: MultiChoice) -> None:
    plans.showPopup()
    listing = plans.popup.list
    rect = listing.visualRect(plans.choices.index(4, 0))
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert plans.chosen() == ("premium_plus",)
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert plans.chosen() == ()


def test_a_long_list_offers_a_search_box(qtbot, customers: MultiChoice) -> None:
    seen = changes(customers)
    customers.showPopup()
    popup = customers.popup
    assert popup.search.isVisible()
    assert popup.search.accessibleName() == "Find a customer"
    qtbot.keyClicks(popup.search, "k")
    shown = [
        str(customers.choices.index(row, 0).data())
        for row in range(customers.choices.rowCount())
        if not popup.list.isRowHidden(row)
    ]
    assert shown == ["Any customer", "Koala Creek Wines", "Kestrel Foods"]
    assert popup.list.currentIndex().row() == 1  # the first match is highlighted
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)  # Enter ticks it, and the popup stays
    assert seen == [("c0",)] and popup.isVisible()
    assert popup.search.selectedText() == "k"  # typing again replaces the search
    qtbot.keyClicks(popup.search, "zzz")
    assert popup.none_found.isVisible()
    assert popup.none_found.text() == "No customer matches “zzz”"  # it replaced "k"
    popup.search.clear()
    assert not popup.none_found.isVisible()
    assert not any(popup.list.isRowHidden(r) for r in range(customers.choices.rowCount()))


def test_new_choices_keep_what_is_still_offered(plans: MultiChoice) -> None:
    seen = changes(plans)
    plans.set_chosen(["advanced", "premium"])
    plans.set_choices([("premium", "Premium"), ("enterprise", "Enterprise")])
    assert plans.chosen() == ("premium",)
    assert plans.currentText() == "Premium"
    assert seen == [("advanced", "premium")]  # refilling is not a change of mind
