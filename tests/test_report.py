"""HTML and Excel reports: they open, carry their charts, KPIs and tables."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from engine.demo import load_demo
from engine.report import Report, bar_chart, point_map, write_excel, write_html


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _report() -> Report:
    demo = load_demo()
    territories = demo.territories
    revenue = pd.DataFrame(
        {
            "region": ["IL", "IL", "IN", "OH", "OH"],
            "channel": ["FIELD", "WEB", "FIELD", "FIELD", "DIST"],
            "revenue": [10.0, 2.0, 7.0, 9.0, 4.5],
        }
    )
    headcount = territories.assign(reps=(territories.index % 7 == 0).astype(int))
    bars = bar_chart(revenue, category="region", series="channel", value="revenue", title="Rev")
    points = point_map(headcount, lat="lat", lon="lon", size="reps", label="name", title="Reps")
    charts = [("Revenue by region and channel", bars), ("Reps by territory", points)]
    tables = {"revenue": revenue, "territories": territories.head(300)}
    kpis = {"contribution": 1234567.891, "reps": 60, "status": "optimal"}
    return Report("Plan: baseline <demo>", kpis, tables, charts, ["solved to a 0.1 % gap"])


def test_html_report_opens_with_charts(tmp_path: Path) -> None:
    path = write_html(_report(), tmp_path / "report.html", rows_per_table=50)
    text = path.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(text)
    assert parser.tags["svg"] == 2
    assert parser.tags["rect"] > 5 and parser.tags["circle"] == 282
    assert "Plan: baseline &lt;demo&gt;" in text  # escaped
    assert "1,234,568" in text and "232 more rows" in text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_excel_workbook_has_summary_first_and_frozen_headers(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = write_excel(_report(), tmp_path / "plan.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "revenue", "territories"]
    summary = book["Summary"]
    assert summary["A4"].value == "contribution" and summary["B4"].value == pytest.approx(
        1234567.891
    )
    sheet = book["territories"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "id" and sheet["A1"].font.bold
    assert sheet["A2"].value == "17001"  # ids stay text
    potential_col = [c.value for c in sheet[1]].index("potential") + 1
    cell = sheet.cell(row=2, column=potential_col)
    assert cell.value == 523600 and cell.number_format == "#,##0.00"


def test_excel_keeps_odd_text_as_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    table = pd.DataFrame({"rep": ["R00\x0b01", '=HYPERLINK("x")'], "hours": [1.0, 2.0]})
    path = write_excel(Report("odd", {"n": 2}, {"reps": table}), tmp_path / "odd.xlsx")
    sheet = openpyxl.load_workbook(path)["reps"]
    assert sheet["A2"].value == "R0001"
    assert sheet["A3"].value == '=HYPERLINK("x")' and sheet["A3"].data_type == "s"
