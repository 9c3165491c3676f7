"""Figures in the UI read well: floats rounded to 4 significant digits, tuples as text, every asset's
description naming its key and group (factors/dmom and eval/dmom apart)."""

from dagster import AssetKey, MetadataValue

from momentum_dag.assets.common import as_metadata
from momentum_dag.runtime.definitions import build_definitions


def test_figures_are_rounded_and_typed_for_reading():
    meta = as_metadata({"coverage": 0.9917864476386037, "windows": (0,), "rows": 3, "ic": float("nan"), "t": 1e-7})
    assert meta["coverage"] == MetadataValue.float(0.9918)
    assert meta["windows"] == MetadataValue.text("0")
    assert meta["rows"] == MetadataValue.int(3)
    assert meta["ic"] == MetadataValue.text("nan")
    assert meta["t"] == MetadataValue.float(1e-7)  # significant digits: a small figure is not rounded away


def test_descriptions_name_the_key_and_group():
    graph = build_definitions().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description.startswith(f"**{key.to_user_string()}** (group `{node.group_name}`)"), key
    factor, evaluation = (graph.get(AssetKey([g, "dmom"])).description for g in ("factors", "eval"))
    assert factor.split(":")[0] != evaluation.split(":")[0]
