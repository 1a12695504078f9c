"""matplotlib is the `demo` extra, absent from the runtime image: a demo then skips its plot in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `None` in sys.modules makes every `import matplotlib` fail, as if it were not installed.
WITHOUT_MATPLOTLIB = """
import argparse, sys
from pathlib import Path
sys.modules["matplotlib"] = None
from rate_limiter.__main__ import algorithm_comparison
algorithm_comparison(argparse.Namespace(no_plot=False, plot=Path(sys.argv[1])))
"""


def test_without_matplotlib_the_demo_skips_the_plot_saying_how_to_install_it(
    tmp_path: Path,
) -> None:
    plot = tmp_path / "algorithms.png"

    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_MATPLOTLIB, str(plot)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )

    assert (result.returncode, result.stderr) == (0, "")
    assert (
        result.stdout.splitlines()[-1]
        == "   plot skipped: matplotlib is not installed (pip install '.[demo]')"
    )
    assert not plot.exists()
