"""matplotlib is the `demo` extra, which the runtime image does not install: every entry point must
still import without it (a demo then skips its plot in one line, see test_demo_without_matplotlib.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = (
    "app.main",
    "rate_limiter.__main__",
    "migrations_demo.__main__",
    "cap_theorem.__main__",
    "scaling.__main__",
    "microservices.__main__",
)


def test_every_entry_point_imports_without_matplotlib() -> None:
    # `None` in sys.modules makes every `import matplotlib` fail, as if it were not installed.
    script = "import importlib, sys\nsys.modules['matplotlib'] = None\n" + "".join(
        f"importlib.import_module({module!r})\n" for module in ENTRY_POINTS
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )

    assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
