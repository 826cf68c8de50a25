"""Every Python example in the README and docs/ runs (each file's blocks in order, in one namespace)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [p for p in FILES if _blocks(p)], ids=lambda p: p.name)
def test_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the templates page reads "template.yaml": give it the SAM template of the tests
    shutil.copy(Path(__file__).parent / "data" / "templates" / "sam-orders.yaml", tmp_path / "template.yaml")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    for i, block in enumerate(_blocks(path)):
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(block, f"{path.name}[block {i + 1}]", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the failure message is the point
                raise AssertionError(f"{path.name}, block {i + 1} failed: {exc!r}\n{block}") from exc
