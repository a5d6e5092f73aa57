"""Resolving a scenario: sweep variants, the dataset with overrides applied, and a content hash.

Resolving is pure: the same files give the same resolved scenarios and the same hashes. The hash
covers what the result depends on — the data after overrides, the rule files' bytes, the as-of
date, the objective, the solver settings and the salesnet version — and not names or paths, so a
renamed copy of a finished scenario is recognised as done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.data.dataset import Dataset, load_dataset
from engine.demo import demo_path
from engine.errors import ScenarioError
from engine.scenario.load import DEMO_DATASET, ScenarioSpec, load_scenario
from engine.scenario.model import Override
from engine.scenario.overrides import apply_overrides

__all__ = ["ResolvedScenario", "expand_sweep", "resolve", "resolve_file"]


@dataclass(frozen=True)
class ResolvedScenario:
    """A scenario ready to solve: its spec, the dataset after overrides, and its hash."""

    spec: ScenarioSpec
    dataset: Dataset
    rule_hashes: tuple[tuple[str, str], ...]
    content_hash: str

    @property
    def name(self) -> str:
        return self.spec.name


def _value_label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("/", "_").replace(" ", "_")


def expand_sweep(spec: ScenarioSpec) -> list[ScenarioSpec]:
    """One spec per point of the sweep grid (the spec itself when it has no sweep).

    Variant ``i`` is named ``<name>--<parameter>-<value>[--...]`` and carries its values as an
    extra override at the end of the list.
    """
    if not spec.sweep:
        return [spec]
    variants = []
    for point in itertools.product(*(axis.values for axis in spec.sweep)):
        overrides = list(spec.overrides)
        labels = []
        for index, (axis, value) in enumerate(zip(spec.sweep, point, strict=True)):
            change = {axis.column: value}
            override = Override(table=axis.table, where=axis.where, **{axis.action: change})
            overrides.append((spec.file, index, override))
            labels.append(f"{axis.parameter}-{_value_label(value)}")
        variants.append(
            replace(
                spec,
                name="--".join([spec.name, *labels]),
                overrides=tuple(overrides),
                sweep=(),
                parameters=tuple(
                    (axis.parameter, value) for axis, value in zip(spec.sweep, point, strict=True)
                ),
            )
        )
    return variants


def _rule_hashes(spec: ScenarioSpec) -> tuple[tuple[str, str], ...]:
    hashes = []
    for kind, path in sorted(spec.rules.model_dump().items()):
        if path is None:
            continue
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError as error:
            raise ScenarioError(
                f"cannot read rule file {path}: {error.strerror}",
                file=spec.file,
                key=f"rules.{kind}",
            ) from None
        hashes.append((kind, digest))
    return tuple(hashes)


def _load_base(spec: ScenarioSpec, cache: dict[str, Dataset]) -> Dataset:
    path = str(demo_path()) if spec.dataset == DEMO_DATASET else spec.dataset
    if path not in cache:
        cache[path] = load_dataset(path)
    return cache[path]


def _content_hash(spec: ScenarioSpec, dataset: Dataset, rules: tuple[tuple[str, str], ...]) -> str:
    from engine import __version__

    def default(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    document = {
        "salesnet": __version__,
        "dataset": dataset.content_hash,
        "rules": rules,
        "as_of": spec.as_of,
        "objective": spec.objective,
        "solver": spec.solver.model_dump(mode="json", exclude={"verbose"}),
    }
    text = json.dumps(document, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resolve(
    spec: ScenarioSpec, *, cache: dict[str, Dataset] | None = None
) -> list[ResolvedScenario]:
    """Every variant of ``spec``, resolved. ``cache`` shares loaded datasets between calls."""
    cache = {} if cache is None else cache
    resolved = []
    rules = _rule_hashes(spec)
    for variant in expand_sweep(spec):
        dataset = apply_overrides(
            _load_base(variant, cache), variant.overrides, scenario=variant.file
        )
        resolved.append(
            ResolvedScenario(variant, dataset, rules, _content_hash(variant, dataset, rules))
        )
    return resolved


def resolve_file(
    path: str | Path, *, cache: dict[str, Dataset] | None = None
) -> list[ResolvedScenario]:
    """Load and resolve scenario file ``path``."""
    return resolve(load_scenario(path), cache=cache)
