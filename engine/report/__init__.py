"""Reports: self-contained HTML with SVG charts, and Excel workbooks."""

from engine.report.svg import bar_chart, point_map
from engine.report.writers import Report, write_excel, write_html

__all__ = ["Report", "bar_chart", "point_map", "write_excel", "write_html"]
