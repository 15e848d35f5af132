"""Benchmark: vectorised activity scoring (NP + Banister TRIMP + mean-maximal power curve) on a synthetic
cohort, against a straightforward per-sample pure-Python loop in the same run.

    uv run python benchmarks/analytics_kernels.py [--activities 200] [--workers 2] [--baseline-activities 4]

The cohort is generated here (realistic 1 Hz power and HR: 1-3 h rides with intervals, coasting, noise,
HR lagging power with cardiac drift). Generation is not timed. The vectorised path is timed wall-clock
over a process pool (one process per core, started and warmed before timing); the pure-Python baseline
runs on a subset of activities and its rate (samples/s) is extrapolated to the cohort. Both paths are
checked to give the same numbers before any rate is reported. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

# This file is itself named analytics.py: drop its folder from the import path so `import analytics`
# finds the package at the repository root, not this script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import analytics  # noqa: E402

DURATIONS = (1, 5, 10, 15, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
HR_REST, HR_MAX = 50.0, 190.0


def synthetic_activity(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One ride: 1-3 h of 1 Hz power (W) and HR (bpm)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3600, 3 * 3600 + 1))
    ftp = rng.uniform(180, 320)
    # Endurance base with slow terrain changes, a block of 4-8 threshold/VO2 intervals, coasting, noise.
    terrain = lfilter([0.02], [1, -0.98], rng.normal(0, 1, n)) * 60
    power = 0.65 * ftp + terrain + rng.normal(0, 15, n)
    n_int = int(rng.integers(4, 9))
    for k in range(n_int):
        start = int(n * 0.2 + k * rng.uniform(400, 700))
        length = int(rng.choice([60, 180, 300, 480]))
        power[start : start + length] += ftp * rng.uniform(0.3, 0.6)
    coasting = lfilter([1], [1, -0.9], rng.random(n) < 0.01) > 0.5
    power[coasting] = 0.0
    power = np.clip(power, 0, None)
    # HR follows power with a ~40 s lag, plus drift of ~5 bpm/h and noise.
    target = HR_REST + 25 + (HR_MAX - HR_REST - 25) * np.clip(power / (1.2 * ftp), 0, 1.1)
    hr = lfilter([1 / 40], [1, -(1 - 1 / 40)], target, zi=[(1 - 1 / 40) * (HR_REST + 30)])[0]
    hr = hr + np.arange(n) / 3600 * 5 + rng.normal(0, 1.5, n)
    return power, np.clip(hr, HR_REST, HR_MAX + 5)


def score_vectorised(power: np.ndarray, hr: np.ndarray) -> tuple[float, float, np.ndarray]:
    np_w = analytics.normalized_power(power).value
    trimp = analytics.trimp_banister(hr, HR_REST, HR_MAX, "male").value
    curve = analytics.mean_max(power, DURATIONS).values
    return np_w, trimp, curve


def score_batch(batch: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[float, float, np.ndarray]]:
    return [score_vectorised(p, h) for p, h in batch]


def score_python(power: list[float], hr: list[float]) -> tuple[float, float, list[float]]:
    """The straightforward per-sample loops a first implementation would write."""
    n = len(power)
    # NP: 30-s rolling sum, valid windows only.
    total4, count, window = 0.0, 0, 0.0
    for i in range(n):
        window += power[i]
        if i >= 30:
            window -= power[i - 30]
        if i >= 29:
            r = window / 30
            total4 += r**4
            count += 1
    np_w = (total4 / count) ** 0.25
    # Banister TRIMP per sample.
    trimp = 0.0
    for h in hr:
        x = max((h - HR_REST) / (HR_MAX - HR_REST), 0.0)
        trimp += x * 0.64 * math.exp(1.92 * x) / 60
    # Mean-max curve: a sliding window sum per duration.
    curve = []
    for d in DURATIONS:
        if d > n:
            curve.append(math.nan)
            continue
        s = sum(power[:d])
        best = s
        for i in range(d, n):
            s += power[i] - power[i - d]
            if s > best:
                best = s
        curve.append(best / d)
    return np_w, trimp, curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--baseline-activities", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5, help="vectorised runs; the best is reported")
    args = parser.parse_args()

    t0 = time.perf_counter()
    cohort = [synthetic_activity(seed) for seed in range(args.activities)]
    samples = sum(p.size for p, _ in cohort)
    gen_s = time.perf_counter() - t0

    # Single process.
    single = math.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        results = score_batch(cohort)
        single = min(single, time.perf_counter() - t0)

    # Process pool, one process per core; contiguous halves balanced by sample count.
    order = np.argsort([-p.size for p, _ in cohort])
    shards: list[list[int]] = [[] for _ in range(args.workers)]
    loads = [0] * args.workers
    for i in order:
        k = loads.index(min(loads))
        shards[k].append(int(i))
        loads[k] += cohort[i][0].size
    batches = [[cohort[i] for i in shard] for shard in shards]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(score_batch, [b[:1] for b in batches]))  # warm the workers (imports)
        parallel = math.inf
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            pooled = list(pool.map(score_batch, batches))
            parallel = min(parallel, time.perf_counter() - t0)
    flat = {i: r for shard, rs in zip(shards, pooled, strict=True) for i, r in zip(shard, rs, strict=True)}

    # Baseline on a subset, checked against the vectorised numbers.
    subset = cohort[: args.baseline_activities]
    base_samples = sum(p.size for p, _ in subset)
    t0 = time.perf_counter()
    base = [score_python(p.tolist(), h.tolist()) for p, h in subset]
    base_s = time.perf_counter() - t0
    for i, (np_b, trimp_b, curve_b) in enumerate(base):
        np_v, trimp_v, curve_v = flat[i]
        assert math.isclose(np_b, np_v, rel_tol=1e-9), (np_b, np_v)
        assert math.isclose(trimp_b, trimp_v, rel_tol=1e-9), (trimp_b, trimp_v)
        np.testing.assert_allclose(curve_v, curve_b, rtol=1e-9)
        assert math.isclose(results[i][0], np_v, rel_tol=1e-12)

    # Resampling to the 1 Hz grid (not part of the target, reported for scale): drop 5 % of samples
    # (smart recording) so the gap-filling path runs.
    rng = np.random.default_rng(0)
    irregular = []
    for p, h in cohort[:50]:
        keep = rng.random(p.size) > 0.05
        irregular.append((np.arange(p.size, dtype=float)[keep], p[keep], h[keep]))
    t0 = time.perf_counter()
    for t, p, h in irregular:
        analytics.resample_1hz(t, {"power": p, "heart_rate": h})
    resample_rate = sum(t.size for t, _, _ in irregular) / (time.perf_counter() - t0)

    # A full score_activity row (NP, IF, TSS, VI, TRIMP, HRSS, load chain) on ready 1 Hz streams.
    thresholds = analytics.Thresholds(ftp_w=250, lthr_bpm=165, hr_max_bpm=HR_MAX, hr_rest_bpm=HR_REST)
    streams = [analytics.resample_1hz(np.arange(p.size, dtype=float), {"power": p, "heart_rate": h})
               for p, h in cohort[:50]]  # fmt: skip
    t0 = time.perf_counter()
    for stream in streams:
        analytics.score_activity(stream, thresholds, sport="ride")
    row_rate = sum(st.elapsed_s for st in streams) / (time.perf_counter() - t0)

    base_rate = base_samples / base_s
    # The pool pays for shipping arrays between processes; report whichever layout is faster.
    best_s, mode = (parallel, f"{args.workers} processes") if parallel < single else (single, "1 process")
    rate = samples / best_s
    rows = [
        ("synthetic cohort (generation, untimed)", f"{args.activities} activities", f"{samples:,} samples", f"{gen_s:.2f} s"),
        ("vectorised, 1 process", "", f"{samples / single / 1e6:.2f} M samples/s", f"{single:.3f} s"),
        (f"vectorised, {args.workers} processes", "", f"{samples / parallel / 1e6:.2f} M samples/s", f"{parallel:.3f} s"),
        (f"pure-Python loop ({len(subset)} activities, extrapolated)", "", f"{base_rate / 1e6:.3f} M samples/s",
         f"{samples / base_rate:.1f} s est."),
        ("speedup (best vs loop)", mode, f"{rate / base_rate:.0f}x", ""),
        ("resample_1hz, 50 activities (not in target)", "", f"{resample_rate / 1e6:.2f} M samples/s", ""),
        ("score_activity full row, 50 (not in target)", "", f"{row_rate / 1e6:.2f} M samples/s", ""),
        ("target", "", "5.00 M samples/s", "met" if rate >= 5e6 else f"missed by {(1 - rate / 5e6) * 100:.0f} %"),
    ]  # fmt: skip
    print(
        f"metrics: NP (valid windows) + Banister TRIMP (per sample) + mean-max power at {len(DURATIONS)} durations"
    )
    width = max(len(r[0]) for r in rows)
    for name, a, b, c in rows:
        print(f"{name:<{width}}  {a:>15}  {b:>22}  {c:>12}")
    print(
        json.dumps(
            {
                "benchmark": "analytics",
                "activities": args.activities,
                "samples": samples,
                "seconds": round(best_s, 4),
                "samples_per_s": round(rate),
                "baseline_samples_per_s": round(base_rate),
                "speedup": round(rate / base_rate, 1),
                "mode": mode,
                "single_process_samples_per_s": round(samples / single),
                "pool_samples_per_s": round(samples / parallel),
                "resample_samples_per_s": round(resample_rate),
                "score_activity_samples_per_s": round(row_rate),
            }
        )
    )


if __name__ == "__main__":
    main()
