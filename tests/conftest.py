"""Shared fixtures: the shipped demo, copied where a test may break it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.demo import demo_path


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped demo dataset."""
    target = tmp_path / "demo"
    shutil.copytree(demo_path(), target)
    return target
