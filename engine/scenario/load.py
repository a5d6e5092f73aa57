"""Reading scenario files and following ``extends`` chains into one merged :class:`ScenarioSpec`.

Merging: a child's scalar fields replace its parent's; ``rules`` and ``optimize`` merge key by key,
nested settings too (the child's keys win); ``overrides`` are the parent's followed by the child's;
``sweep`` and ``name`` are not inherited. Paths are relative to the file that writes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from engine.errors import ScenarioError
from engine.optimize.settings import OptimizeSettings
from engine.scenario.model import Override, RuleFiles, ScenarioFile, SweepParameter
from engine.yamlio import line_at, load_yaml_file

__all__ = ["DEMO_DATASET", "ScenarioSpec", "load_scenario"]

DEMO_DATASET = "demo"


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario with its ``extends`` chain merged and every path made absolute."""

    name: str
    file: str
    chain: tuple[str, ...]
    description: str
    dataset: str
    rules: RuleFiles
    as_of: dt.date | None
    optimize: OptimizeSettings
    #: (file, index in that file or a label such as ``sweep[0]``, override)
    overrides: tuple[tuple[str, int | str, Override], ...]
    sweep: tuple[SweepParameter, ...]
    parameters: tuple[tuple[str, Any], ...] = ()


def _parse(path: Path) -> ScenarioFile:
    raw = load_yaml_file(path, error=ScenarioError)
    file = str(path)
    if not isinstance(raw, dict):
        raise ScenarioError("expected a mapping of scenario keys", file=file, line=1)
    try:
        return ScenarioFile.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        loc = [part for part in problem["loc"] if not isinstance(part, str) or part[:1] != "_"]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or None
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            allowed = _allowed_keys(ScenarioFile, loc[:-1])
            message = (
                f"unknown key (allowed: {', '.join(allowed)})"
                if allowed
                else "unknown key (allowed: see `salesnet schema scenario`)"
            )
        raise ScenarioError(message, file=file, key=key, line=line_at(raw, loc)) from None


def _allowed_keys(model: Any, path: list[Any]) -> list[str]:
    """The keys the model at ``path`` (a validation error's location) takes; [] if unknown."""
    for part in path:
        if isinstance(part, int):
            continue  # a list item: the model is the list's item type, found below
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    fields = getattr(model, "model_fields", None)
    if not fields:
        return []
    return [info.alias or name for name, info in fields.items()]


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation (``X``, ``X | None``, ``list[X]``, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _relative(base: Path, value: str | None) -> str | None:
    if value is None or (value == DEMO_DATASET and not (base.parent / value).exists()):
        return value
    return str((base.parent / value).resolve())


def _deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _merge_model(parent: Any, child: Any) -> Any:
    """``child``'s explicitly set fields over ``parent``'s, nested models key by key."""
    data = _deep_merge(parent.model_dump(exclude_unset=True), child.model_dump(exclude_unset=True))
    return type(child).model_validate(data)


def _load(
    path: Path, seen: tuple[str, ...]
) -> tuple[ScenarioFile, list[tuple[str, int, Override]], tuple[str, ...]]:
    key = str(path.resolve())
    if key in seen:
        cycle = " → ".join([*seen[seen.index(key) :], key])
        raise ScenarioError(f"extends forms a cycle: {cycle}", file=str(path), key="extends")
    own = _parse(path)
    rules = own.rules.model_dump(exclude_unset=True)
    for kind in ("tiering", "incentives", "risk"):
        if kind in rules:
            rules[kind] = _relative(path, rules[kind])
    paths: dict[str, Any] = {"rules": RuleFiles(**rules)}
    if "dataset" in own.model_fields_set:
        paths["dataset"] = _relative(path, own.dataset)
    own = own.model_copy(update=paths)
    overrides = [(str(path), index, item) for index, item in enumerate(own.overrides)]
    if own.extends is None:
        return own, overrides, (key,)
    parent_path = path.parent / own.extends
    if not parent_path.is_file():
        raise ScenarioError(
            f"extends a file that does not exist: {parent_path}", file=str(path), key="extends"
        )
    parent, parent_overrides, chain = _load(parent_path, (*seen, key))
    merged = parent.model_copy(
        update={
            field: getattr(own, field)
            for field in own.model_fields_set
            if field not in ("rules", "optimize", "overrides", "extends")
        }
        | {
            "rules": _merge_model(parent.rules, own.rules)
            if "rules" in own.model_fields_set
            else parent.rules,
            "optimize": _merge_model(parent.optimize, own.optimize),
            "sweep": own.sweep,
            "name": own.name,
        }
    )
    return merged, parent_overrides + overrides, (*chain, key)


def load_scenario(path: str | Path) -> ScenarioSpec:
    """Read scenario ``path`` and the files it extends; errors name file, key and line."""
    file = Path(path)
    if not file.is_file():
        raise ScenarioError("no such scenario file", file=str(path))
    merged, overrides, chain = _load(file, ())
    if merged.dataset is None:
        raise ScenarioError(
            "no dataset: give `dataset:` here or in a scenario it extends",
            file=str(path),
            key="dataset",
        )
    return ScenarioSpec(
        name=merged.name or file.stem,
        file=str(file.resolve()),
        chain=chain,
        description=merged.description,
        dataset=merged.dataset,
        rules=merged.rules,
        as_of=merged.as_of,
        optimize=merged.optimize,
        overrides=tuple(overrides),
        sweep=tuple(merged.sweep),
    )
