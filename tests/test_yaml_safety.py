"""Rule, scenario and dataset YAML is data: alias bombs, unsafe tags, impossible dates and duplicate
keys are refused with the file and line, while ordinary anchors and merge keys keep working."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

import engine.yamlio
from engine.cli import main
from engine.data import load_dataset
from engine.errors import DataError, RuleError, ScenarioError
from engine.rules import load_rules, run_tests
from engine.rules.check import check_file
from engine.scenario.load import load_scenario
from engine.yamlio import load_yaml, load_yaml_file

ROOT = Path(__file__).resolve().parents[1]
TIERING = ROOT / "rules" / "tiering.yaml"


def _laughs(levels: int = 9, indent: str = "") -> str:
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, levels):
        lines.append(f"{indent}a{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# --- M3: alias bombs ---------------------------------------------------------------------------


def test_alias_bomb_is_refused_fast_with_line() -> None:
    started = time.perf_counter()
    with pytest.raises(RuleError) as caught:
        load_yaml(_laughs(), file="bomb.yaml")
    assert time.perf_counter() - started < 5
    error = caught.value
    assert error.file == "bomb.yaml" and error.line is not None
    assert "alias" in error.message and "too large" in error.message
    # a0 has 10 nodes; a_k copies 9 × size(a_{k-1}): the budget runs out at a5 (line 6)
    assert error.line == 6


def test_alias_bomb_through_merge_keys_is_refused() -> None:
    lines = ["m0: &m0 {x: 1, y: 2, z: 3, w: 4, v: 5, u: 6, t: 7, s: 8}"]
    for k in range(1, 9):
        items = ", ".join(f"k{j}: *m{k - 1}" for j in range(8))
        lines.append(f"m{k}: &m{k} {{<<: *m{k - 1}, {items}}}")
    with pytest.raises(RuleError, match="alias"):
        load_yaml("\n".join(lines) + "\n", file="merge.yaml")


def _bomb_in_tests(tmp_path: Path) -> tuple[Path, int]:
    text = TIERING.read_text()
    marker = "    tests:\n"
    assert marker in text
    bomb = (
        "    tests:\n"
        "      - name: bomb\n"
        "        input:\n" + _laughs(indent="          ") + "        expect: {tier: *a8}\n"
    )
    bad = tmp_path / "laughs_test.yaml"
    bad.write_text(text.replace(marker, bomb, 1))
    line = bad.read_text().splitlines().index("          a5: &a5 [" + ",".join(["*a4"] * 9) + "]")
    return bad, line + 1


def test_alias_bomb_in_rule_tests_check_and_test_both_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, line = _bomb_in_tests(tmp_path)
    findings = check_file(bad)
    assert [(f.severity, f.code, f.line) for f in findings] == [("error", "yaml", line)]
    started = time.perf_counter()
    assert main(["rules", "test", str(bad)]) == 1
    assert main(["rules", "check", str(bad)]) == 1
    assert time.perf_counter() - started < 10
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert f"{bad}:{line}" in text and "Traceback" not in text and "MemoryError" not in text


def test_alias_bomb_in_scenario_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("name: x\ndataset: demo\nnotes:\n" + _laughs(indent="  "))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.file == str(path) and caught.value.line == 9  # a5


def test_alias_budget_grows_with_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.yamlio, "MAX_ALIAS_NODES", 20)
    small = "base: &b [1, 2, 3, 4, 5, 6, 7, 8, 9]\nuse: [*b, *b]\n"  # copies 20 nodes
    assert load_yaml(small)["use"][1] == list(range(1, 10))
    with pytest.raises(RuleError, match="alias \\*b"):
        load_yaml(small.replace("[*b, *b]", "[*b, *b, *b]"))
    # a document that itself holds more nodes than the budget may copy as many
    padding = "pad: [" + ", ".join(str(i) for i in range(60)) + "]\n"
    assert len(load_yaml(padding + small.replace("[*b, *b]", "[*b, *b, *b]"))["use"]) == 3


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        "kind: decision_table\n"
        "id: t\n"
        "hit_policy: first\n"
        "x_num: &num {type: number, min: 0}\n"
        "inputs:\n"
        "  - {<<: *num, name: revenue_12m}\n"
        "  - {<<: *num, name: orders_12m}\n"
        "outputs: [{name: big, type: boolean}]\n"
        "default: {big: false}\n"
        "rules:\n"
        "  - {id: B, when: {revenue_12m: '>= 100', orders_12m: '>= 2'}, then: {big: true}}\n"
    )
    data = load_yaml_file(path)
    assert data["inputs"][1] == {"type": "number", "min": 0, "name": "orders_12m"}
    assert data["inputs"].lines == [6, 7]
    anchors = tmp_path / "anchors.yaml"
    anchors.write_text(
        "kind: decision_table\nid: t\nhit_policy: first\n"
        "inputs: [{name: segment, type: string, values: &segs [SMB, Enterprise]}]\n"
        "outputs: [{name: tier, type: string}]\n"
        "rules:\n"
        "  - {id: A, when: {segment: Enterprise}, then: {tier: A}}\n"
        "  - {id: B, when: {segment: SMB}, then: {tier: B}}\n"
        "tests:\n"
        "  - {input: {segment: SMB}, expect: {tier: B}}\n"
        "x_all: *segs\n"
    )
    raw = load_yaml_file(anchors)
    assert raw["x_all"] == ["SMB", "Enterprise"]


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "rules").glob("*.yaml"), *(ROOT / "scenarios").glob("*.yaml")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_shipped_yaml_files_still_load(path: Path) -> None:
    assert isinstance(load_yaml_file(path), dict)


def test_shipped_tiering_still_passes_its_tests() -> None:
    outcomes = run_tests(load_rules(TIERING))
    assert outcomes and all(o.passed for o in outcomes)


def test_recursive_alias_still_a_clean_error() -> None:
    for text in ("a: &a [*a]\n", "a: &a\n  b: *a\n"):
        with pytest.raises(RuleError) as caught:
            load_yaml(text, file="r.yaml")
        assert caught.value.line == 1


# --- L1: unsafe tags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("!!python/object/apply:os.system ['echo PWNED']\n", "!!python/object/apply:os.system"),
        ("a: 1\nb: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: 1\n\nb: !custom 1\n", "!custom"),
    ],
)
def test_unsafe_tag_message_names_the_tag_and_line(text: str, tag: str) -> None:
    with pytest.raises(RuleError) as caught:
        load_yaml(text, file="u.yaml")
    error = caught.value
    assert error.message == f"invalid YAML: unsafe or unsupported YAML tag '{tag}'"
    assert error.line == text.splitlines().index(next(t for t in text.splitlines() if "!" in t)) + 1
    assert str(error).startswith(f"u.yaml:{error.line}: ")


def test_unsafe_tag_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "unsafe.yaml"
    path.write_text("!!python/object/apply:os.system ['echo PWNED > /dev/null']\n")
    assert main(["rules", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:1 error[yaml]" in out
    assert "unsafe or unsupported YAML tag '!!python/object/apply:os.system'" in out


# --- L2: impossible dates ----------------------------------------------------------------------


def test_impossible_date_has_a_line() -> None:
    with pytest.raises(RuleError) as caught:
        load_yaml("kind: decision_table\nid: t\neffective_from: 2027-02-30\n", file="d.yaml")
    error = caught.value
    assert error.line == 3
    assert "'2027-02-30' is not a valid date" in error.message
    assert "day is out of range" in error.message


def test_impossible_date_in_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ndataset: demo\nas_of: 2027-02-30\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert (caught.value.file, caught.value.line) == (str(path), 3)


def test_valid_dates_still_parse() -> None:
    import datetime as dt

    data = load_yaml("a: 2027-02-28\nb: 2024-02-29\n")
    assert data == {"a": dt.date(2027, 2, 28), "b": dt.date(2024, 2, 29)}


# --- M12: dataset.yaml is read strictly ---------------------------------------------------------


def _manifest_error(folder: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    return str(caught.value)


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    """A small valid dataset folder: the demo's manifest and tables."""
    from engine.demo import demo_path

    target = tmp_path / "ds"
    shutil.copytree(demo_path(), target)
    return target


def test_manifest_duplicate_key_is_an_error_with_line(small_dataset: Path) -> None:
    manifest = small_dataset / "dataset.yaml"
    text = manifest.read_text()
    assert "currency: USD\n" in text
    manifest.write_text(text.replace("currency: USD\n", "currency: USD\ncurrency: EUR\n", 1))
    line = manifest.read_text().splitlines().index("currency: EUR") + 1
    message = _manifest_error(small_dataset)
    assert f"dataset.yaml:{line}" in message and "duplicate key 'currency'" in message


def test_manifest_unsafe_tag_and_alias_bomb(small_dataset: Path) -> None:
    manifest = small_dataset / "dataset.yaml"
    original = manifest.read_text()
    manifest.write_text(original + "x: !!python/object/apply:os.system ['true']\n")
    assert "unsafe or unsupported YAML tag" in _manifest_error(small_dataset)
    manifest.write_text(original + "x:\n" + _laughs(indent="  "))
    assert "alias" in _manifest_error(small_dataset)


def test_manifest_schema_errors_carry_lines(small_dataset: Path) -> None:
    manifest = small_dataset / "dataset.yaml"
    manifest.write_text(manifest.read_text() + "bogus: 1\n")
    line = len(manifest.read_text().splitlines())
    message = _manifest_error(small_dataset)
    assert f"dataset.yaml:{line}, column 'bogus'" in message


def test_manifest_with_bom_still_loads(small_dataset: Path) -> None:
    manifest = small_dataset / "dataset.yaml"
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes())
    dataset = load_dataset(small_dataset)
    assert dataset.manifest.currency == "USD"
