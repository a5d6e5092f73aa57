"""Resolving a scenario: sweep variants, the dataset with overrides applied, and a content hash.

Resolving is pure: the same files give the same resolved scenarios and the same hashes. The hash
covers what the result depends on — the base data and the overrides, the rule files' bytes, the as-
of date, the optimizer's settings (objective, solver) and the salesnet version — and not names or
paths, so a renamed copy of a finished scenario is recognised as done.
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
from engine.data.schema import REP_CHANNEL_KINDS
from engine.demo import demo_path
from engine.errors import ScenarioError
from engine.scenario.load import DEMO_DATASET, ScenarioSpec, load_scenario
from engine.scenario.model import Override, value_label
from engine.scenario.overrides import apply_overrides

__all__ = [
    "RULE_FILE_KINDS",
    "ResolvedScenario",
    "content_hash",
    "expand_sweep",
    "load_base",
    "resolve",
    "resolve_file",
    "resolve_variant",
    "rule_hashes",
]

RULE_FILE_KINDS = ("incentives", "risk", "tiering")


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
            overrides.append((spec.file, f"sweep[{index}]", override))
            labels.append(f"{axis.parameter}-{value_label(value)}")
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


def rule_hashes(spec: ScenarioSpec) -> tuple[tuple[str, str], ...]:
    hashes = []
    for kind in RULE_FILE_KINDS:
        path = getattr(spec.rules, kind)
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


def load_base(spec: ScenarioSpec, cache: dict[str, Dataset]) -> Dataset:
    """The scenario's dataset before overrides (loaded once per path into ``cache``)."""
    path = str(demo_path()) if spec.dataset == DEMO_DATASET else spec.dataset
    if path not in cache:
        cache[path] = load_dataset(path)
    return cache[path]


def content_hash(spec: ScenarioSpec, base: Dataset, rules: tuple[tuple[str, str], ...]) -> str:
    """The key of a scenario variant's result: its base data, overrides, rules and settings.

    Computed without applying the overrides (they are hashed as written), so a batch can tell
    what is done before doing any work.
    """
    from engine import __version__

    def default(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    document = {
        "salesnet": __version__,
        "dataset": base.content_hash,
        "overrides": [item.model_dump(mode="json") for _, _, item in spec.overrides],
        "rules": rules,
        "incentive_plans": spec.rules.incentive_plans,
        "incentive_treatment": spec.rules.incentive_treatment,
        "as_of": spec.as_of,
        "optimize": spec.optimize.model_dump(mode="json", exclude={"solver": {"verbose"}}),
    }
    text = json.dumps(document, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def resolve(
    spec: ScenarioSpec, *, cache: dict[str, Dataset] | None = None
) -> list[ResolvedScenario]:
    """Every variant of ``spec``, resolved. ``cache`` shares loaded datasets between calls."""
    cache = {} if cache is None else cache
    resolved = []
    rules = rule_hashes(spec)
    for variant in expand_sweep(spec):
        base = load_base(variant, cache)
        key = content_hash(variant, base, rules)
        resolved.append(resolve_variant(variant, base, rules, key))
    return resolved


def resolve_variant(
    variant: ScenarioSpec, base: Dataset, rules: tuple[tuple[str, str], ...], key: str
) -> ResolvedScenario:
    """Apply one variant's overrides to its base dataset."""
    dataset = apply_overrides(base, variant.overrides, scenario=variant.file)
    _check_hire_caps(variant, dataset)
    return ResolvedScenario(variant, dataset, rules, key)


def _check_hire_caps(variant: ScenarioSpec, dataset: Dataset) -> None:
    """``optimize.max_hires`` names rep channels of the dataset (a typo would lift a freeze)."""
    kinds = dataset.channels.set_index("id")["kind"].astype(str)
    rep_kinds = {kind.value for kind in REP_CHANNEL_KINDS}
    reps = sorted(str(channel) for channel, kind in kinds.items() if kind in rep_kinds)
    for channel in sorted(variant.optimize.max_hires):
        if channel not in reps:
            what = (
                "a partner or online channel, which hires no reps"
                if channel in kinds.index
                else "not a channel of the dataset"
            )
            raise ScenarioError(
                f"{channel!r} is {what}; max_hires caps rep channels: {', '.join(reps)}",
                file=variant.file,
                key=f"optimize.max_hires.{channel}",
            )


def resolve_file(
    path: str | Path, *, cache: dict[str, Dataset] | None = None
) -> list[ResolvedScenario]:
    """Load and resolve scenario file ``path``."""
    return resolve(load_scenario(path), cache=cache)
