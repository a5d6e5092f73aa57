"""Loading and validating datasets: every broken case names file, row, column and value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.data import dataset_from_frames, load_dataset
from engine.data.write import write_dataset
from engine.demo import load_demo
from engine.errors import DataError, SalesnetError


def _edit_csv(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _problems(folder: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    return caught.value


def test_demo_is_valid() -> None:
    dataset = load_demo()
    assert dataset.warnings == ()
    assert len(dataset.territories) == 282
    assert len(dataset.accounts) == 20_000
    assert dataset.territories["id"].str.len().eq(5).all()  # FIPS keep leading zeros as text


def test_missing_column_names_file_and_column(demo_copy: Path) -> None:
    path = demo_copy / "partners.csv"
    frame = pd.read_csv(path, dtype=str).drop(columns=["capacity"])
    frame.to_csv(path, index=False)
    error = _problems(demo_copy)
    (issue,) = error.issues
    assert issue.file == str(path) and issue.row == 1
    assert "'capacity'" in issue.expected


def test_bad_type_names_row_column_and_value(demo_copy: Path) -> None:
    path = demo_copy / "territories.csv"
    _edit_csv(path, ",523600.0,", ",lots,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.file, issue.row, issue.column, issue.value) == (str(path), 2, "potential", "lots")
    assert "a number" in issue.expected


def test_dangling_territory_reference(demo_copy: Path) -> None:
    path = demo_copy / "accounts.csv"
    _edit_csv(path, "AC0000001,17089,", "AC0000001,99999,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (2, "territory", "99999")
    assert "territories" in issue.expected


def test_duplicate_id_points_at_first_occurrence(demo_copy: Path) -> None:
    path = demo_copy / "reps.csv"
    _edit_csv(path, "R0002,", "R0001,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (3, "id", "R0001")
    assert "first seen at row 2" in issue.expected


def test_rows_after_blank_lines_are_the_rows_a_spreadsheet_shows(demo_copy: Path) -> None:
    path = demo_copy / "reps.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    # a blank line after the header and another after the first rep; then R0002 → R0001
    lines[1:2] = ["", lines[1], ""]
    path.write_text("\n".join(lines).replace("R0002,", "R0001,", 1) + "\n\n", encoding="utf-8")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (5, "id", "R0001")
    assert "first seen at row 3" in issue.expected


def test_a_line_of_spaces_counts_as_a_row_too(demo_copy: Path) -> None:
    path = demo_copy / "reps.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2:2] = ["   "]  # after the first rep
    path.write_text("\n".join(lines).replace("R0002,", "R0001,", 1), encoding="utf-8")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.value) == (4, "R0001") and "first seen at row 2" in issue.expected


def test_rows_of_empty_cells_are_skipped_and_still_counted(demo_copy: Path) -> None:
    # spreadsheets export ",,,," rows: skipped, not one error per cell
    path = demo_copy / "reps.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    blank = "," * (lines[0].count(","))
    lines[2:2] = [blank]  # after the first rep
    lines.append(blank)
    path.write_text("\n".join(lines).replace("R0002,", "R0001,", 1), encoding="utf-8")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.value) == (4, "R0001")


def test_a_semicolon_separated_file_says_so(demo_copy: Path) -> None:
    path = demo_copy / "budgets.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    (issue,) = _problems(demo_copy).issues
    assert issue.row == 1 and "separated by ';'" in issue.expected


def test_actuals_dates_are_iso_dates(demo_copy: Path) -> None:
    path = demo_copy / "actuals.csv"
    text = path.read_text(encoding="utf-8")
    first = text.split("\n")[1].split(",")[-1]  # the first deal's date, ISO
    year, month, day = first.split("-")
    _edit_csv(path, f",{first}\n", f",{day}/{month}/{year}\n")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column) == (2, "date") and "YYYY-MM-DD" in issue.expected
    _edit_csv(path, f",{day}/{month}/{year}\n", f",{first} 09:30:00\n")  # a time is fine
    load_dataset(demo_copy)


def test_an_empty_budget_table_is_a_warning(demo_copy: Path) -> None:
    path = demo_copy / "budgets.csv"
    path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
    (warning,) = load_dataset(demo_copy).warnings
    assert "no spend is limited" in str(warning)


def test_ids_are_read_without_surrounding_spaces(demo_copy: Path) -> None:
    # "AC0000002 " was a second account, not a repeat of AC0000002
    _edit_csv(demo_copy / "accounts.csv", "AC0000001,", "AC0000002 ,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (3, "id", "AC0000002")


def test_a_repeated_header_is_named_as_written(demo_copy: Path) -> None:
    # pandas renames the second revenue_12m to revenue_12m.1, an extra column kept silently
    _edit_csv(demo_copy / "accounts.csv", ",employees\n", ",revenue_12m\n")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column) == (1, "revenue_12m") and "each column once" in issue.expected


def test_a_count_too_big_for_a_whole_number_is_an_error(demo_copy: Path) -> None:
    _edit_csv(demo_copy / "accounts.csv", "Energy,703.0,3,", "Energy,703.0,1e20,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (2, "orders_12m", "1e20")


def test_true_is_not_a_number_in_parquet_either() -> None:
    dataset = load_demo()
    frames = {name: dataset.table(name) for name in dataset.frames}
    channels = frames["channels"]
    frames["channels"] = channels.assign(margin=[True] + [False] * (len(channels) - 1))
    with pytest.raises(DataError) as caught:
        dataset_from_frames(frames, dataset.manifest)
    assert {issue.column for issue in caught.value.issues} == {"margin"}


def test_an_extra_column_of_lists_is_an_error_not_a_crash(tmp_path: Path) -> None:
    dataset = load_demo()
    frames = {name: dataset.table(name) for name in dataset.frames}
    frames["accounts"] = frames["accounts"].assign(tags=[["x", "y"]] * len(frames["accounts"]))
    with pytest.raises(DataError) as caught:
        dataset_from_frames(frames, dataset.manifest)
    issue = caught.value.issues[0]
    assert issue.column == "tags" and "plain values" in issue.expected


def test_negative_capacity(demo_copy: Path) -> None:
    path = demo_copy / "partners.csv"
    _edit_csv(path, ",5432000.0,", ",-5432000.0,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (2, "capacity", "-5432000.0")
    assert ">= 0" in issue.expected


def test_non_utf8_file_names_its_row(demo_copy: Path) -> None:
    path = demo_copy / "reps.csv"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"FIELD", b"F\xe9ELD", 1)
    path.write_bytes(b"\n".join(lines))
    (issue,) = _problems(demo_copy).issues
    assert issue.file == str(path) and issue.row == 4
    assert "UTF-8" in issue.expected


def test_empty_file(demo_copy: Path) -> None:
    path = demo_copy / "budgets.csv"
    path.write_bytes(b"")
    (issue,) = _problems(demo_copy).issues
    assert issue.file == str(path) and "empty" in issue.expected


def test_adjacency_to_unknown_territory(demo_copy: Path) -> None:
    path = demo_copy / "adjacency.csv"
    _edit_csv(path, "17001,17009,", "17001,00000,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.file, issue.row, issue.column, issue.value) == (str(path), 2, "b", "00000")


def test_all_errors_of_a_file_reported_together(demo_copy: Path) -> None:
    path = demo_copy / "accounts.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[[0, 5, 9], "revenue_12m"] = "n/a"
    frame.loc[7, "satisfaction"] = "11"
    frame.to_csv(path, index=False)
    issues = _problems(demo_copy).issues
    assert [(i.row, i.column) for i in issues] == [
        (2, "revenue_12m"),
        (7, "revenue_12m"),
        (11, "revenue_12m"),
        (9, "satisfaction"),
    ]


def test_issue_list_is_capped_with_a_count(demo_copy: Path) -> None:
    path = demo_copy / "accounts.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["revenue_12m"] = "?"
    frame.to_csv(path, index=False)
    error = _problems(demo_copy)
    assert len(error.issues) == 25 and error.omitted == 20_000 - 25
    assert "19975 more" in str(error)


def test_unknown_column_suggests_the_close_one(demo_copy: Path) -> None:
    _edit_csv(demo_copy / "territories.csv", "potential", "potental")
    messages = [str(issue) for issue in _problems(demo_copy).issues]
    assert any("did you mean 'potential'" in text for text in messages)


def test_bom_and_unicode_names_round_trip(demo_copy: Path, tmp_path: Path) -> None:
    path = demo_copy / "reps.csv"
    text = path.read_text(encoding="utf-8").replace("Emily Novak", "张伟 (Zhāng Wěi) — Ñandú", 1)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    dataset = load_dataset(demo_copy)
    assert dataset.reps.loc[1, "name"] == "张伟 (Zhāng Wěi) — Ñandú"
    assert dataset.reps.columns[0] == "id"  # the BOM is not part of the first header
    out = write_dataset(dataset, tmp_path / "again")
    again = load_dataset(out.parent)
    assert again.reps.loc[1, "name"] == "张伟 (Zhāng Wěi) — Ñandú"


def test_parquet_and_csv_load_the_same(tmp_path: Path) -> None:
    dataset = load_demo()
    write_dataset(dataset, tmp_path / "pq", fmt="parquet")
    again = load_dataset(tmp_path / "pq")
    assert again.content_hash == dataset.content_hash
    for name, frame in dataset.frames.items():
        pd.testing.assert_frame_equal(again.frames[name], frame, check_dtype=True)


def test_frames_are_validated_and_not_mutated() -> None:
    dataset = load_demo()
    frames = {name: frame.astype("object") for name, frame in dataset.frames.items()}
    before = {name: frame.copy() for name, frame in frames.items()}
    rebuilt = dataset_from_frames(frames, dataset.manifest)
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[name])
    assert rebuilt.content_hash == dataset.content_hash
    frames["partners"].loc[0, "capacity"] = -1
    with pytest.raises(DataError, match=r"<partners>, row 2, column 'capacity'"):
        dataset_from_frames(frames, dataset.manifest)


def test_tables_handed_out_are_copies() -> None:
    dataset = load_demo()
    territories = dataset.territories
    territories.loc[0, "potential"] = -5.0
    assert dataset.territories.loc[0, "potential"] >= 0


def test_graph_warnings_do_not_fail(demo_copy: Path) -> None:
    path = demo_copy / "adjacency.csv"
    frame = pd.read_csv(path, dtype=str)
    isolated = {"39001"}  # Adams County, OH: cut it off from every neighbour
    keep = ~(frame["a"].isin(isolated) | frame["b"].isin(isolated))
    extra = pd.DataFrame({"a": ["17001"], "b": ["17001"], "travel_time": ["0.1"]})
    pd.concat([frame[keep], extra]).to_csv(path, index=False)
    dataset = load_dataset(demo_copy)
    text = " ".join(str(w) for w in dataset.warnings)
    assert "2 components" in text and "39001" in text
    assert "itself" in text


def test_conflicting_duplicate_border_is_an_error(demo_copy: Path) -> None:
    path = demo_copy / "adjacency.csv"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("17009,17001,9.99\n")
    (issue,) = _problems(demo_copy).issues
    assert issue.column == "travel_time" and "17001–17009" in issue.expected


def test_rep_on_a_partner_channel(demo_copy: Path) -> None:
    _edit_csv(demo_copy / "reps.csv", "R0001,李娜,FIELD,", "R0001,李娜,DIST,")
    (issue,) = _problems(demo_copy).issues
    assert (issue.row, issue.column, issue.value) == (2, "channel", "DIST")


def test_errors_are_one_family() -> None:
    assert issubclass(DataError, SalesnetError)


@pytest.mark.parametrize(
    ("table", "old", "new"),
    [
        ("partners.csv", ",5432000.0,", ",-5432000.0,"),
        ("territories.csv", ",523600.0,", ",lots,"),
        ("adjacency.csv", "17001,17009,", "17001,00000,"),
    ],
)
def test_cli_validate_exits_1_without_traceback(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], table: str, old: str, new: str
) -> None:
    _edit_csv(demo_copy / table, old, new)
    assert main(["data", "validate", str(demo_copy)]) == 1
    err = capsys.readouterr().err
    assert table in err and "row 2" in err and "Traceback" not in err


def test_cli_validate_and_describe_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "validate", "demo"]) == 0
    assert main(["data", "describe", "demo", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"territories": 282' in out and '"components": 1' in out


def test_cli_usage_error_exits_2() -> None:
    assert main(["data", "validate"]) == 2
    assert main(["data", "frobnicate"]) == 2


def test_corrupt_gzip_table_is_a_data_error(demo_copy: Path) -> None:
    (demo_copy / "budgets.csv").unlink()
    (demo_copy / "budgets.csv.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    text = (demo_copy / "dataset.yaml").read_text().replace("budgets.csv", "budgets.csv.gz")
    (demo_copy / "dataset.yaml").write_text(text)
    (issue,) = _problems(demo_copy).issues
    assert issue.file.endswith("budgets.csv.gz") and "readable" in issue.expected


def test_references_to_a_table_the_dataset_lacks_are_errors() -> None:
    # without a partners table, coverage rows and actuals naming partners point at nothing
    frames = dict(load_demo().frames)
    frames.pop("partners")
    with pytest.raises(DataError) as caught:
        dataset_from_frames(frames, load_demo().manifest)
    expected = {issue.expected for issue in caught.value.issues}
    assert "an id listed in partners (the dataset has no partners table)" in expected
    columns = {issue.column for issue in caught.value.issues}
    assert "partner" in columns


def test_generator_settings_are_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = ["data", "generate", "--states", "RI", "--accounts", "10"]
    assert main([*base, "--seed", "-1", str(tmp_path / "a")]) == 2
    for period in ("", "2027-Q5", "foo"):
        assert main([*base, "--period", period, str(tmp_path / "b")]) == 1
        assert "expected a quarter such as 2027-Q1" in capsys.readouterr().err
