"""Plots are a demo's extra, not its point: matplotlib lives in the `demo` extra, which the runtime
image does not install, so every demo imports its plotting module only after asking `can_plot()`.
"""

from __future__ import annotations

import importlib.util

SKIPPED = "plot skipped: matplotlib is not installed (pip install '.[demo]')"


def can_plot() -> bool:
    """Whether matplotlib can be imported, without importing it (it is slow to import)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # a module in sys.modules without a spec: treat as absent
        return False
