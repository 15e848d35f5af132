"""Helpers for the dashboard tests (importable by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from openfit.settings import get_settings

APP = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"


def use_home(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    get_settings.cache_clear()


def figures(at) -> list[dict]:
    """The Plotly figures on the page, as dicts (data + layout)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def figure_titles(at) -> list[str]:
    return [(f["layout"].get("title") or {}).get("text", "") for f in figures(at)]


def no_exception(at) -> None:
    assert not at.exception, "\n".join(str(e.value) for e in at.exception)


def figure(at, title_fragment: str) -> dict:
    """The one figure whose title contains `title_fragment`."""
    found = [f for f in figures(at) if title_fragment in ((f["layout"].get("title") or {}).get("text") or "")]
    assert len(found) == 1, f"{len(found)} figures titled {title_fragment!r} among {figure_titles(at)}"
    return found[0]


def table_with(at, column: str):
    """The value (a DataFrame) of the one st.dataframe on the page that has `column`."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, f"{len(found)} tables with a {column!r} column"
    return found[0]


def values(trace: dict, axis: str) -> list:
    """A trace's x/y/z values as a list; Plotly 6 ships numeric arrays as base64 typed arrays."""
    raw = trace.get(axis)
    if raw is None:
        return []
    if isinstance(raw, dict) and "bdata" in raw:
        array = np.frombuffer(base64.b64decode(raw["bdata"]), dtype=np.dtype(raw["dtype"]))
        if "shape" in raw:
            array = array.reshape([int(n) for n in str(raw["shape"]).split(",")])
        return array.tolist()
    return list(raw)
