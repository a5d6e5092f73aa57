"""The real-county generator: shape, realism and byte-identical determinism."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.data import load_dataset
from engine.demo import DEMO_SETTINGS, demo_path
from engine.demo.counties import load_counties, load_county_adjacency
from engine.demo.generate import GeneratorSettings, generate_dataset
from engine.errors import DataError
from engine.network import Network


def _same_files(first: Path, second: Path) -> None:
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert mismatch == [] and errors == []


def test_shipped_demo_is_exactly_what_the_generator_writes(tmp_path: Path) -> None:
    args = ["data", "generate", str(tmp_path / "demo"), "--states", "IL,IN,OH"]
    args += ["--accounts", str(DEMO_SETTINGS["accounts"]), "--seed", str(DEMO_SETTINGS["seed"])]
    args += ["--name", str(DEMO_SETTINGS["name"])]
    assert main(args) == 0
    _same_files(tmp_path / "demo", demo_path())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path, fmt: str) -> None:
    for run in ("one", "two"):
        args = ["data", "generate", str(tmp_path / run), "--states", "RI,CT"]
        assert main([*args, "--accounts", "500", "--seed", "3", "--format", fmt]) == 0
    _same_files(tmp_path / "one", tmp_path / "two")
    assert (
        main(["data", "generate", str(tmp_path / "other"), "--states", "RI,CT", "--seed", "4"]) == 0
    )
    one = load_dataset(tmp_path / "one").accounts
    other = load_dataset(tmp_path / "other").accounts
    assert not one["revenue_12m"].head(500).equals(other["revenue_12m"].head(500))


def test_generated_network_is_realistic() -> None:
    dataset = generate_dataset(GeneratorSettings(states=("IA",), accounts=5000, seed=11))
    network = Network.from_dataset(dataset)
    assert len(network.territory_ids) == 99 and network.describe()["components"] == 1
    revenue = dataset.accounts["revenue_12m"].to_numpy()
    top_share = np.sort(revenue)[-len(revenue) // 10 :].sum() / revenue.sum()
    assert top_share > 0.45  # the top decile carries about half the revenue
    # potential follows population
    counties = load_counties(["IA"]).set_index("fips")
    correlation = np.corrcoef(
        counties.loc[dataset.territories["id"], "population"], dataset.territories["potential"]
    )[0, 1]
    assert correlation > 0.9  # up to the ±25 % lognormal noise
    assert set(dataset.channels["kind"]) == {
        "direct_field",
        "inside",
        "distributor",
        "agent",
        "online",
    }
    assert dataset.coverage.groupby("partner").size().min() >= 4


def test_lower_48_is_one_connected_graph() -> None:
    counties = load_counties(["L48"])
    borders = load_county_adjacency(counties["fips"])
    assert len(counties) == 3109
    assert counties["population"].gt(0).all()
    assert len(borders) > 9000


def test_unknown_state_is_a_data_error() -> None:
    with pytest.raises(DataError, match="state codes"):
        generate_dataset(GeneratorSettings(states=("XX",)))
