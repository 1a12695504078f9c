"""The Universal Scalability Law fit, on throughputs whose σ and κ we know."""

import math
from pathlib import Path

import pytest

from scaling.usl import Fit, fit, main


def throughputs(known: Fit, counts: range) -> list[tuple[int, float]]:
    return [(n, 100.0 * known.speedup(n)) for n in counts]


def test_the_fit_recovers_the_contention_and_coherency_that_made_the_data() -> None:
    # Data made by the law itself must give back its own parameters.
    known = Fit(contention=0.1, coherency=0.02)

    found = fit(throughputs(known, range(1, 9)))

    assert found.contention == pytest.approx(0.1)
    assert found.coherency == pytest.approx(0.02)


def test_perfectly_linear_scaling_has_no_contention_and_no_peak() -> None:
    # N processes giving N times the throughput: nothing shared, nothing to keep in step.
    found = fit([(n, 50.0 * n) for n in (1, 2, 4, 8)])

    assert found.contention == pytest.approx(0.0, abs=1e-12)
    assert found.coherency == pytest.approx(0.0, abs=1e-12)
    assert found.peak_processes == math.inf


def test_coherency_makes_throughput_fall_after_its_peak() -> None:
    # With κ > 0 there is a process count beyond which adding processes loses throughput.
    law = Fit(contention=0.05, coherency=0.01)
    peak = law.peak_processes

    assert peak == pytest.approx(math.sqrt(0.95 / 0.01))
    assert law.speedup(math.floor(peak)) > law.speedup(4 * math.ceil(peak))


def test_contention_alone_is_amdahls_law() -> None:
    # κ = 0 leaves N / (1 + σ(N − 1)), Amdahl's speed-up with serial share σ.
    law = Fit(contention=0.25, coherency=0.0)

    assert law.speedup(4) == pytest.approx(1 / (0.25 + 0.75 / 4))


def test_a_fit_without_the_one_process_baseline_is_refused() -> None:
    with pytest.raises(ValueError, match="the throughput at one process"):
        fit([(2, 10.0), (4, 12.0)])


def test_a_fit_with_only_one_other_process_count_is_refused() -> None:
    with pytest.raises(ValueError, match="two or more process counts"):
        fit([(1, 10.0), (2, 18.0)])


def test_the_command_names_a_missing_results_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([f"{tmp_path}/missing.json"]) == 2

    error = capsys.readouterr().err
    assert error.startswith("scaling.usl: cannot read throughput rows from ")
    assert error.count("\n") == 1
