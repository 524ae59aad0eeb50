"""Circle formation benchmark.

1. MDGPLIB (pure pairwise objective, each instance's own group bounds): per instance the
   objective, the ratio to best-known and the normalised gap (obj - E[random]) / (best - E[random]).
2. Synthetic rosters of 50, 500, 2,000 and 10,000 people with skewed departments, levels and time
   zones: time, peak memory (tracemalloc, a separate run), hard-rule check and score parts.

``python benchmarks/formation.py`` runs everything; ``--quick`` (under a minute on 2 cores) runs
the n ≤ 12 instances and two n = 120 instances per family on the same code, and all rosters.
``--threads 1`` searches on one core (the TPSDP reference figures are single-threaded);
``--only n120_ds`` keeps the MDGPLIB instances whose name contains that text.
The last line printed is one JSON object of named figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.formation.checks import hard_rule_violations  # noqa: E402
from core.formation.grouping import GroupingProblem, random_grouping, solve  # noqa: E402
from core.formation.roster import form_circles  # noqa: E402
from core.formation.rules import FormationRules  # noqa: E402
from core.formation.signups import SignUp  # noqa: E402


@dataclass(frozen=True)
class Instance:
    name: str
    problem: GroupingProblem

    @property
    def n(self) -> int:
        return self.problem.size


def load_instance(path: Path) -> Instance:
    with path.open() as handle:
        head = handle.readline().split()
        n, groups = int(head[0]), int(head[1])
        bounds = [int(x) for x in head[3 : 3 + 2 * groups]]
        data = np.loadtxt(handle, ndmin=2)
    weights = np.zeros((n, n))
    i, j = data[:, 0].astype(int), data[:, 1].astype(int)
    weights[i, j] = data[:, 2]
    weights[j, i] = data[:, 2]
    return Instance(path.stem, GroupingProblem.build(weights, bounds[0::2], bounds[1::2]))


def expected_random(problem: GroupingProblem, rng: np.random.Generator, samples: int = 2000) -> float:
    """E[objective] of `random_grouping`: by symmetry every pair shares a group with probability
    E[Σ s_g(s_g - 1)] / (n(n - 1)), so only the size vectors need sampling."""
    n = problem.size
    pair_share = np.mean(
        [
            float((np.bincount(random_grouping(problem, rng), minlength=problem.group_count) ** 2).sum() - n)
            for _ in range(samples if np.any(problem.lower != problem.upper) else 1)
        ]
    ) / (n * (n - 1))
    return float(np.triu(problem.weights, 1).sum() * pair_share)


def run_mdgplib(quick: bool, budget: float, seed: int, threads: int | None, only: str) -> dict[str, float]:
    root = REPO / "benchmarks" / "data" / "mdgplib"
    with (root / "best_known.csv").open() as handle:
        best = {row["instance"]: float(row["best_known"]) for row in csv.DictReader(handle)}
    paths = sorted(root.glob("*/*.txt"))
    chosen = [p for p in paths if _wanted(p.stem, quick) and only in p.stem]
    rng = np.random.default_rng(seed)
    print(f"{'instance':<22} {'n':>4} {'objective':>13} {'best-known':>13} {'ratio':>8} {'norm.gap':>8} {'s':>6}")
    small_exact: list[bool] = []
    by_kind: dict[str, list[float]] = {"ss": [], "ds": []}
    ratios: list[float] = []
    normalised: list[float] = []
    seconds: list[float] = []
    for path in chosen:
        instance = load_instance(path)
        n = instance.n
        time_budget = 0.05 if n <= 12 else 0.5 if n <= 30 else 1.0 if n <= 60 else budget
        result = solve(instance.problem, seed=seed, time_budget=time_budget, threads=threads)
        known = best.get(instance.name)
        line = f"{instance.name:<22} {n:>4} {result.objective:>13.3f} "
        if known is None:
            print(line + f"{'-':>13} {'-':>8} {'-':>8} {result.seconds:>6.2f}")
            continue
        ratio = result.objective / known
        gap = (result.objective - (e := expected_random(instance.problem, rng))) / (known - e)
        print(line + f"{known:>13.3f} {ratio:>8.5f} {gap:>8.5f} {result.seconds:>6.2f}", flush=True)
        if n <= 12:
            small_exact.append(result.objective >= known - max(1e-3, 1e-7 * abs(known)))
        elif n == 120:
            ratios.append(ratio)
            by_kind[instance.name.split("_")[2]].append(ratio)
            normalised.append(gap)
            seconds.append(result.seconds)
    return {
        "small_instances": len(small_exact),
        "small_exact_fraction": sum(small_exact) / len(small_exact) if small_exact else float("nan"),
        "n120_instances": len(ratios),
        "n120_min_ratio": round(min(ratios), 5) if ratios else float("nan"),
        "n120_median_ratio": round(statistics.median(ratios), 5) if ratios else float("nan"),
        "n120_max_ratio": round(max(ratios), 5) if ratios else float("nan"),
        "n120_min_normalised_gap": round(min(normalised), 5) if normalised else float("nan"),
        "n120_median_normalised_gap": round(statistics.median(normalised), 5) if normalised else float("nan"),
        "n120_max_s": round(max(seconds), 3) if seconds else float("nan"),
        # TPSDP's reference figures (0.997 worst, 0.999 median at 2.6 s) are for the ss instances
        **{
            f"n120_{kind}_{name}_ratio": round(pick(values), 5)
            for kind, values in by_kind.items()
            if values
            for name, pick in (("min", min), ("median", statistics.median))
        },
    }


def _wanted(name: str, quick: bool) -> bool:
    n = int(name.split("_n")[1][:3])
    if not quick:
        return True
    if n <= 12:
        return True
    return n == 120 and name.endswith(("_ss_01", "_ds_01"))


# Realistic skew: a few big departments, more juniors than seniors, most people in two regions.
DEPARTMENTS = [f"Dept{k:02d}" for k in range(15)]
DEPARTMENT_WEIGHTS = [1 / (k + 1) for k in range(15)]
LEVELS = [1, 2, 3, 4, 5, 6, 7, 8]
LEVEL_WEIGHTS = [10, 18, 22, 18, 13, 9, 6, 4]
ZONES = [
    ("America/Los_Angeles", 10),
    ("America/Denver", 3),
    ("America/Chicago", 6),
    ("America/New_York", 16),
    ("America/Sao_Paulo", 4),
    ("Europe/London", 14),
    ("Europe/Paris", 10),
    ("Europe/Berlin", 9),
    ("Europe/Warsaw", 4),
    ("Africa/Nairobi", 2),
    ("Asia/Kolkata", 8),
    ("Asia/Singapore", 5),
    ("Asia/Tokyo", 4),
    ("Australia/Sydney", 4),
    ("Pacific/Auckland", 1),
]
TOPICS = [
    "delegation",
    "feedback",
    "conflict",
    "hiring",
    "strategy",
    "coaching",
    "burnout",
    "influence",
    "prioritising",
    "remote",
    "careers",
    "change",
]


def synthetic_roster(n: int, seed: int) -> list[SignUp]:
    rnd = random.Random(seed)
    zones, zone_weights = zip(*ZONES, strict=True)
    topic_weights = [1 / (k + 1) for k in range(len(TOPICS))]
    people = []
    for i in range(n):
        chosen: set[str] = set()
        while len(chosen) < rnd.randint(1, 3):
            chosen.add(rnd.choices(TOPICS, topic_weights)[0])
        people.append(
            SignUp(
                id=f"p{i}",
                name=f"Person {i}",
                department=rnd.choices(DEPARTMENTS, DEPARTMENT_WEIGHTS)[0],
                level=rnd.choices(LEVELS, LEVEL_WEIGHTS)[0],
                timezone=rnd.choices(zones, zone_weights)[0],
                topics=frozenset(chosen),
                manager_id=f"p{rnd.randrange(n)}" if rnd.random() < 0.3 else None,
                avoid=frozenset({f"p{rnd.randrange(n)}"}) if rnd.random() < 0.03 else frozenset(),
                facilitator=rnd.random() < 0.15,
                past_circles=frozenset(
                    f"2025-c{rnd.randrange(max(1, n // 6))}" for _ in range(rnd.choice([0, 0, 1, 2]))
                ),
            )
        )
    return people


def run_rosters(sizes: list[int], seed: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    print(f"\n{'people':>7} {'circles':>7} {'s':>7} {'peak MB':>8} {'hard':>5} {'relax':>5}  score parts")
    for n in sizes:
        roster = synthetic_roster(n, seed)
        result = form_circles(roster, FormationRules(), seed=seed, time_budget=60.0)
        tracemalloc.start()
        form_circles(roster, FormationRules(), seed=seed, time_budget=60.0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        problems = hard_rule_violations(result, roster)
        parts = "  ".join(f"{k} {v:+.0f}" for k, v in result.parts().items())
        print(
            f"{n:>7} {len(result.circles):>7} {result.seconds:>7.2f} {peak / 2**20:>8.1f} "
            f"{'ok' if not problems else 'FAIL':>5} {len(result.relaxations):>5}  {parts}",
            flush=True,
        )
        for problem in problems[:5]:
            print(f"        ! {problem}")
        figures[f"n{n}_s"] = round(result.seconds, 3)
        figures[f"n{n}_peak_mb"] = round(peak / 2**20, 1)
        figures[f"n{n}_hard_ok"] = not problems
        figures[f"n{n}_relaxations"] = len(result.relaxations)
        for name, value in result.parts().items():
            figures[f"n{n}_{name}"] = round(value, 1)
    return figures


def warm_up() -> float:
    """Compile (or load from numba's cache) every kernel once, outside the timed runs."""
    started = time.perf_counter()
    problem = GroupingProblem.build(np.ones((6, 6)), [3, 3], [3, 3])
    solve(problem, seed=0, time_budget=0.01)
    form_circles(synthetic_roster(30, 0), seed=0)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a subset, same code path, under 60 s")
    parser.add_argument("--budget", type=float, default=2.8, help="seconds per n = 120 instance")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="MDGPLIB search threads (default: up to 2)")
    parser.add_argument("--only", default="", help="MDGPLIB instances whose name contains this, e.g. n120_ds")
    args = parser.parse_args()
    started = time.perf_counter()
    figures: dict[str, float] = {"quick": args.quick, "warmup_s": round(warm_up(), 2)}
    figures.update(run_mdgplib(args.quick, args.budget, args.seed, args.threads, args.only))
    figures.update(run_rosters([50, 500, 2000, 10_000], args.seed))
    figures["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
