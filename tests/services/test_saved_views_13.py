"""Saved views on a real SQLite store: what each agent sees, the name rules, who may change
or delete whose view, and rows a hostile peer synced in that must not break the list."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.ids import HybridLogicalClock
from console.domain.records import Agent
from console.domain.views import PRIORITIES_MAX, TEXT_MAX, SavedView, ViewFilter
from console.services.validation import NotAllowed, ValidationError
from console.services.views import SavedViewService
from db.store import SqliteStore
from tests.services.conftest import Team

AT_RISK = ViewFilter(unassigned=True, priorities=("P2", "P1"), states=("breached", "at_risk"))


def views_of(store: SqliteStore, hlc: HybridLogicalClock, agent: Agent) -> SavedViewService:
    return SavedViewService(store, hlc, agent)


def names(service: SavedViewService) -> list[str]:
    return [view.name for view in service.views()]


# --- the filter ---------------------------------------------------------------------------


def test_a_filter_travels_as_compact_sorted_json_and_comes_back_equal() -> None:
    text = AT_RISK.to_json()
    assert " " not in text
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert AT_RISK.priorities == ("P1", "P2")  # kept sorted, so equal filters are equal
    assert ViewFilter.from_json(text) == AT_RISK
    full = ViewFilter(
        mine=True,
        status="all",
        window_id="w-1",
        text="checkout 502",
        sort_column="customer",
        sort_descending=True,
    )
    assert ViewFilter.from_json(full.to_json()) == full


def test_the_description_reads_as_one_line_of_words() -> None:
    assert AT_RISK.describe() == "Unassigned · P1, P2 · at risk or breached · open"
    assert ViewFilter().describe() == "Every open incident"
    both = ViewFilter(mine=True, unassigned=True, status="all", window_id="w1", text="vpn")
    assert both.describe({"w1": "Pacific"}) == (
        "Mine or unassigned · open and resolved · Pacific window · matching “vpn”"
    )
    assert (
        "by customer, descending"
        in ViewFilter(sort_column="customer", sort_descending=True).describe()
    )


def test_a_foreign_filter_keeps_what_makes_sense_and_drops_the_rest() -> None:
    text = json.dumps(
        {
            "mine": "yes",  # not a boolean
            "unassigned": True,
            "priorities": [
                "P3",
                1,
                "P1",
                "P1",
                "P1\n",
                "x" * 500,
                None,
                *[f"Q{n}" for n in range(40)],
            ],
            "status": "deleted",
            "window_id": ["w"],
            "states": ["breached", "on_fire", 7, "at_risk"],
            "text": "a\x00b" + "c" * 1000,
            "sort_column": "password",
            "sort_descending": 1,
            "future_option": {"nested": [1, 2, 3]},
        }
    )
    flt = ViewFilter.from_json(text)
    assert flt.mine is False and flt.unassigned is True
    assert len(flt.priorities) == PRIORITIES_MAX and flt.priorities[:2] == ("P1", "P3")
    assert flt.status == "" and flt.window_id == "" and flt.sort_column == ""
    assert flt.states == ("at_risk", "breached")
    assert flt.text.startswith("abc") and len(flt.text) == TEXT_MAX
    assert flt.sort_descending is False
    for junk in ("", "null", "[1, 2]", '"text"', "{", "[" * 100_000, "1" * 10_000, "{}" * 10**5):
        assert ViewFilter.from_json(junk) == ViewFilter()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=15), inner),
    max_leaves=20,
)
_KEYS = st.sampled_from(
    ["mine", "unassigned", "priorities", "status", "window_id", "states", "text", "sort_column"]
)


@settings(max_examples=300, deadline=None)
@given(st.text() | st.dictionaries(_KEYS | st.text(max_size=10), _JSON).map(json.dumps))
def test_reading_any_text_as_a_filter_never_raises(text: str) -> None:
    flt = ViewFilter.from_json(text)
    assert isinstance(flt, ViewFilter)
    assert ViewFilter.from_json(flt.to_json()) == flt  # and what it gives saves and reads back
    assert len(flt.text) <= TEXT_MAX and len(flt.priorities) <= PRIORITIES_MAX
    assert isinstance(flt.describe(), str)


# --- the service --------------------------------------------------------------------------


def test_an_agent_sees_shared_views_and_their_own_private_ones_sorted_by_name(
    store: SqliteStore, hlc: HybridLogicalClock, team: Team
) -> None:
    sofia = views_of(store, hlc, team.agent)
    tom = views_of(store, hlc, team.other)
    sofia.save("zebra (mine)", ViewFilter(mine=True), shared=False)
    sofia.save("Unassigned P1–P2 at risk", AT_RISK, shared=True)
    tom.save("alpha", ViewFilter(text="vpn"), shared=False)
    assert names(sofia) == ["Unassigned P1–P2 at risk", "zebra (mine)"]
    assert names(tom) == ["alpha", "Unassigned P1–P2 at risk"]  # casefold order
    shared = next(v for v in tom.views() if v.shared)
    assert (shared.owner_id, shared.filter) == (team.agent.id, AT_RISK)


def test_a_name_is_required_one_line_short_and_unique_among_what_the_agent_sees(
    store: SqliteStore, hlc: HybridLogicalClock, team: Team
) -> None:
    sofia = views_of(store, hlc, team.agent)
    tom = views_of(store, hlc, team.other)
    kept = sofia.save("  My   queue  ", ViewFilter(mine=True), shared=False)
    assert kept.name == "My queue"
    for bad in ("", "   ", "x" * 61, "bell\x07", "half \ud800"):
        with pytest.raises(ValidationError) as caught:
            sofia.save(bad, ViewFilter(), shared=False)
        assert list(caught.value.errors) == ["name"]
    with pytest.raises(ValidationError) as caught:
        sofia.save("MY QUEUE", ViewFilter(), shared=True)
    assert caught.value.errors == {"name": "a view called “MY QUEUE” already exists"}
    assert sofia.save("x" * 60, ViewFilter(), shared=False).name == "x" * 60
    # Tom cannot see Sofia's private view, so its name is free for him.
    assert tom.save("my queue", ViewFilter(), shared=False).name == "my queue"
    # Renaming a view to its own name (in another case) is no clash.
    renamed = sofia.save("My Queue", ViewFilter(unassigned=True), shared=False, view_id=kept.id)
    assert (renamed.id, renamed.name, renamed.filter) == (
        kept.id,
        "My Queue",
        ViewFilter(unassigned=True),
    )
    assert len(sofia.views()) == 2  # nothing half-saved by the refused attempts


def test_the_owner_updates_shares_unshares_and_deletes_their_view(
    store: SqliteStore, hlc: HybridLogicalClock, team: Team
) -> None:
    sofia = views_of(store, hlc, team.agent)
    tom = views_of(store, hlc, team.other)
    view = sofia.save("Breached", ViewFilter(states=("breached",)), shared=False)
    assert names(tom) == []
    sofia.save("Breached", view.filter, shared=True, view_id=view.id)
    assert names(tom) == ["Breached"]
    sofia.save("Breached now", view.filter, shared=False, view_id=view.id)
    assert names(tom) == [] and names(sofia) == ["Breached now"]
    sofia.delete(view.id)
    assert names(sofia) == []
    with pytest.raises(ValidationError, match="no longer exists"):
        sofia.delete(view.id)
    with pytest.raises(ValidationError, match="no longer exists"):
        sofia.save("Back", ViewFilter(), shared=False, view_id=view.id)
    # Its name is free again once it is deleted.
    assert sofia.save("Breached now", ViewFilter(), shared=False).name == "Breached now"


def test_only_a_lead_or_admin_changes_a_view_another_agent_shared(
    store: SqliteStore, hlc: HybridLogicalClock, team: Team
) -> None:
    sofia = views_of(store, hlc, team.agent)
    tom = views_of(store, hlc, team.other)
    marcus = views_of(store, hlc, team.lead)
    priya = views_of(store, hlc, team.admin)
    shared = sofia.save("Team P1", ViewFilter(priorities=("P1",)), shared=True)
    with pytest.raises(NotAllowed, match="only a team lead or an admin may change it"):
        tom.save("Tom's now", ViewFilter(), shared=True, view_id=shared.id)
    with pytest.raises(NotAllowed, match="only a team lead or an admin may delete it"):
        tom.delete(shared.id)
    assert [(v.name, v.filter) for v in sofia.views()] == [("Team P1", shared.filter)]
    edited = marcus.save(
        "Team P1 and P2", ViewFilter(priorities=("P1", "P2")), shared=True, view_id=shared.id
    )
    assert edited.owner_id == team.agent.id  # still Sofia's view
    assert names(tom) == ["Team P1 and P2"]
    priya.delete(shared.id)
    assert names(sofia) == names(tom) == names(marcus) == []


def test_another_agents_private_view_is_never_visible_not_even_to_an_admin(
    store: SqliteStore, hlc: HybridLogicalClock, team: Team
) -> None:
    sofia = views_of(store, hlc, team.agent)
    priya = views_of(store, hlc, team.admin)
    private = sofia.save("Just mine", ViewFilter(mine=True), shared=False)
    assert names(priya) == []
    for attempt in (
        lambda: priya.save("Taken over", ViewFilter(), shared=True, view_id=private.id),
        lambda: priya.delete(private.id),
    ):
        with pytest.raises(ValidationError, match="no longer exists"):
            attempt()
    assert [(v.name, v.shared) for v in sofia.views()] == [("Just mine", False)]
    # A name only Sofia sees does not stop Priya using it.
    assert priya.save("Just mine", ViewFilter(), shared=False).owner_id == team.admin.id


def test_a_hostile_synced_row_reads_as_a_plain_view_and_never_breaks_the_list(
    store: SqliteStore, hlc: HybridLogicalClock, team: Team
) -> None:
    rows = [
        ("v1", "x" * 5000, team.lead.id, 1, "not json at all"),
        ("v2", 12345, team.lead.id, 1, 42),
        ("v3", "Bell\x07 and\nnewline", team.lead.id, 1, '{"states": "breached"}'),
        ("v4", "", team.lead.id, 1, '{"priorities": ["P1"], "sort_column": "rowid; --"}'),
        ("v5", "Someone else's", "someone-else", 0, "{}"),
        ("v6", "Weird flag", team.lead.id, "yes", "[" * 5000),
    ]
    with store.database.transaction() as session:
        for row in rows:
            session.connection().exec_driver_sql(
                "INSERT INTO saved_views (id, name, owner_id, shared, filter, hlc, deleted)"
                " VALUES (?, ?, ?, ?, ?, '', 0)",
                row,
            )
    sofia = views_of(store, hlc, team.agent)
    listed = {view.id: view for view in sofia.views()}
    assert set(listed) == {"v1", "v2", "v3", "v4", "v6"}  # v5 is someone's private view
    assert len(listed["v1"].name) == 60 and listed["v1"].name.endswith("…")
    assert listed["v2"].name == "12345"
    assert listed["v3"].name == "Bell and newline"
    assert listed["v4"].name == "Unnamed view"
    assert listed["v4"].filter == ViewFilter(priorities=("P1",))
    for view_id in ("v1", "v2", "v3", "v6"):
        assert listed[view_id].filter == ViewFilter()
    assert all(
        isinstance(view, SavedView) and isinstance(view.name, str) for view in listed.values()
    )
    # Sofia can still save her own views beside them.
    assert sofia.save("Mine", ViewFilter(mine=True), shared=False).name == "Mine"
