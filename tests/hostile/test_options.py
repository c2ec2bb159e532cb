"""Every command-line option at and past its limits: exit 2 with one message for bad input (never 3,
never a traceback), exit 3 naming the rule for a request no plan can meet, 0 at the limit itself."""

from __future__ import annotations

from tests.hostile.conftest import GRID, Case, params, run_case

SOLVE = ["solve", "--areas", "2", *GRID, "--time-limit", "20"]


def solve_case(id_: str, extra: list, code: int, fragment: str = "", areas: str = "2") -> Case:
    args = ["solve", "--areas", areas, *GRID, "--time-limit", "20", *extra]
    return Case(id_, args, code, (fragment,) if fragment else ())


LIMITS = [
    # --areas
    solve_case("areas-zero", [], 2, "--areas must be at least 1, got 0", areas="0"),
    solve_case("areas-negative", [], 2, "--areas must be at least 1, got -3", areas="-3"),
    solve_case("areas-float", [], 2, "'1.5' is not a valid integer", areas="1.5"),
    solve_case("areas-exponent", [], 2, "'1e3' is not a valid integer", areas="1e3"),
    solve_case("areas-text", [], 2, "'two' is not a valid integer", areas="two"),
    solve_case("areas-one", [], 0, "1 areas over 12 LADs", areas="1"),
    solve_case("areas-all-units", ["--coterminous", "off"], 0, "12 areas over 12 LADs", areas="12"),
    solve_case("areas-more-than-units", ["--coterminous", "off"], 3, "13 areas asked for", areas="13"),
    solve_case("areas-more-than-pfas-strict", [], 3, "use --coterminous soft or off", areas="4"),
    solve_case("areas-beyond-64-bit", [], 3, "areas asked for", areas="99999999999999999999999"),
    # --time-limit
    solve_case("time-limit-zero", ["--time-limit", "0"], 2, "--time-limit must be a positive number, got 0"),
    solve_case("time-limit-negative", ["--time-limit", "-5"], 2, "--time-limit must be a positive number"),
    solve_case("time-limit-nan", ["--time-limit", "nan"], 2, "--time-limit must be a finite number, got nan"),
    solve_case("time-limit-inf", ["--time-limit", "inf"], 2, "--time-limit must be a finite number, got inf"),
    solve_case("time-limit-1e308", ["--time-limit", "1e308"], 0, "Proven optimal"),
    solve_case("time-limit-text", ["--time-limit", "ten"], 2, "'ten' is not a valid float"),
    # --gap
    solve_case("gap-negative", ["--gap", "-0.1"], 2, "--gap must be at least 0"),
    solve_case("gap-one", ["--gap", "1"], 2, "--gap is a fraction in [0, 1), got 1"),
    solve_case("gap-percent-by-mistake", ["--gap", "5"], 2, "--gap is a fraction in [0, 1), got 5"),
    solve_case("gap-nan", ["--gap", "nan"], 2, "--gap must be a finite number"),
    solve_case("gap-zero", ["--gap", "0"], 0, "Proven optimal"),
    solve_case("gap-almost-one", ["--gap", "0.999"], 0, "2 areas over 12 LADs"),
    # --threads
    solve_case("threads-zero", ["--threads", "0"], 2, "--threads must be at least 1, got 0"),
    solve_case("threads-negative", ["--threads", "-4"], 2, "--threads must be at least 1, got -4"),
    solve_case("threads-one", ["--threads", "1"], 0, "2 areas over 12 LADs"),  # (HiGHS keeps its first thread count per process)
    solve_case("threads-past-limit", ["--threads", "1025"], 2, "--threads must be at most 1024"),
    solve_case("threads-absurd", ["--threads", "100000"], 2, "--threads must be at most 1024"),
    # --seed
    solve_case("seed-negative", ["--seed", "-1"], 2, "--seed must be at least 0, got -1"),
    solve_case("seed-largest", ["--seed", str(2**31 - 2)], 0, "Proven optimal"),
    solve_case("seed-past-32-bit", ["--seed", str(2**32)], 2, "--seed must be at most 2147483646"),
    # weights
    solve_case("w-travel-inf", ["--w-travel", "inf"], 2, "--w-travel must be a finite number, got inf"),
    solve_case("w-balance-nan", ["--w-balance", "nan"], 2, "--w-balance must be a finite number, got nan"),
    solve_case("w-split-negative", ["--w-split", "-1"], 2, "--w-split must be at least 0, got -1"),
    solve_case("w-travel-1e308", ["--w-travel", "1e308"], 2, "--w-travel must be at most 1000000"),
    solve_case("weights-summing-to-inf", ["--w-travel", "1e308", "--w-balance", "1e308"], 2, "must be at most"),
    solve_case("w-travel-at-limit", ["--w-travel", "1e6"], 0, "Proven optimal"),
    solve_case("w-travel-subnormal", ["--w-travel", "1e-320"], 0, "Proven optimal"),
    solve_case("weights-all-zero", ["--w-travel", "0", "--w-balance", "0", "--w-split", "0"], 2,
               "every plan scores the same"),
    solve_case("weights-only-split-strict", ["--w-travel", "0", "--w-balance", "0"], 2, "every plan scores the same"),
    solve_case("weights-only-split-soft", ["--w-travel", "0", "--w-balance", "0", "--coterminous", "soft"], 0,
               "Proven optimal"),
    solve_case("w-travel-zero", ["--w-travel", "0"], 0, "Proven optimal"),
    # money and shares
    solve_case("min-value-zero", ["--min-value", "0"], 2, "--min-value must be a positive number, got 0"),
    solve_case("min-value-negative", ["--min-value", "-1"], 2, "--min-value must be a positive number"),
    solve_case("min-value-nan", ["--min-value", "nan"], 2, "--min-value must be a finite number"),
    solve_case("min-value-in-pounds", ["--min-value", "15000000"], 2, "did you mean --min-value 15?"),
    solve_case("min-value-above-total", ["--min-value", "70"], 3, "above the national total"),
    solve_case("min-value-above-max-value", ["--min-value", "30", "--max-value", "20"], 2,
               "--min-value 30 is above --max-value 20"),
    solve_case("max-value-tiny", ["--max-value", "0.001"], 3, "less than the national total"),
    solve_case("max-value-inf", ["--max-value", "inf"], 2, "--max-value must be a finite number"),
    solve_case("max-share-fraction", ["--max-share", "0.25"], 2, "did you mean --max-share 25?"),
    solve_case("max-share-zero", ["--max-share", "0"], 2, "--max-share must be a positive number"),
    solve_case("max-share-over-100", ["--max-share", "101"], 2, "--max-share must be at most 100"),
    solve_case("max-share-100", ["--max-share", "100"], 0, "Proven optimal"),
    solve_case("max-share-below-fair-share", ["--max-share", "10"], 3, "under the 10% cap"),
    solve_case("max-pfas-zero", ["--max-pfas", "0"], 2, "--max-pfas must be at least 1, got 0"),
    solve_case("max-pfas-negative", ["--max-pfas", "-2"], 2, "--max-pfas must be at least 1"),
    solve_case("max-pfas-huge", ["--max-pfas", "99999999999999999999"], 0, "Proven optimal"),
    solve_case("max-pfas-400-digits", ["--max-pfas", "9" * 400], 0, "Proven optimal"),
    solve_case("seed-400-digits", ["--seed", "9" * 400], 2, "--seed must be at most 2147483646, got 1.000e+400"),
    # choices, names, locks, starts
    solve_case("coterminous-unknown", ["--coterminous", "loose"], 2, "'loose' is not one of"),
    solve_case("solver-unknown", ["--solver", "gurobi"], 2, "'gurobi' is not one of"),
    solve_case("lock-not-pair", ["--lock", "U00"], 2, "--lock 'U00' is not LAD=AREA"),
    solve_case("lock-empty-lad", ["--lock", "=north"], 2, "is not LAD=AREA"),
    solve_case("lock-empty-area", ["--lock", "U00="], 2, "is not LAD=AREA"),
    solve_case("lock-unknown-unit", ["--lock", "U99=north"], 2, "U99"),
    solve_case("lock-two-labels-three-areas", ["--lock", "U00=x", "--lock", "U03=y", "--lock", "U20=z"], 3,
               "3 different locked area labels but only 2 areas",
               areas="2"),
    solve_case("lock-one-lad-two-areas", ["--lock", "U00=x", "--lock", "U00=y"], 2, "--lock puts U00 in two areas"),
    solve_case("lock-pfa-and-its-lad", ["--lock", "PB=x", "--lock", "U02=y"], 2, "--lock puts U02 in two areas"),
    solve_case("lock-same-pair-twice", ["--lock", "U00=x", "--lock", "U00=x"], 0, "2 areas over 12 LADs"),
    solve_case("keep-whole-unknown", ["--keep-whole", "Atlantis"], 2, "Atlantis"),
    solve_case("start-missing-file", ["--start", "nope.csv"], 2, "plan file not found: nope.csv"),
    solve_case("start-unknown-reference", ["--start", "trusts36"], 2, "reference plans exist only"),
    # sweep
    Case("sweep-k-zero", ["sweep", "--areas", "0-2", *GRID], 2, "is not a range of K >= 1"),
    Case("sweep-k-backwards", ["sweep", "--areas", "3-1", *GRID], 2, "is not a range of K >= 1"),
    Case("sweep-k-text", ["sweep", "--areas", "a-b", *GRID], 2, "is not K or a range A-B"),
    Case("sweep-k-million", ["sweep", "--areas", "1-1000000", *GRID], 2, "1,000,000 values of K"),
    Case("sweep-k-many-lists", ["sweep", *sum((["--areas", f"{i}-{i + 499}"] for i in range(1, 3000, 500)), []),
                                *GRID], 2, "more than 1,000 values of K"),
    Case("sweep-jobs-zero", ["sweep", "--areas", "1-2", "--jobs", "0", *GRID], 2, "--jobs must be at least 1, got 0"),
    Case("sweep-jobs-negative", ["sweep", "--areas", "1-2", "--jobs", "-1", *GRID], 2, "--jobs must be at least 1"),
    Case("sweep-jobs-absurd", ["sweep", "--areas", "1-2", "--jobs", "5000", *GRID], 2, "--jobs must be at most"),
    Case("sweep-bad-weight", ["sweep", "--areas", "1-2", "--w-travel", "-1", *GRID], 2, "--w-travel must be at least 0"),
    # evaluate flags
    Case("evaluate-max-share-fraction", ["evaluate", "plan.csv", *GRID, "--max-share", "0.25"], 2,
         "did you mean --max-share 25?"),
    Case("evaluate-min-value-negative", ["evaluate", "plan.csv", *GRID, "--min-value", "-1"], 2,
         "--min-value must be a positive number"),
    Case("evaluate-format-unknown", ["evaluate", "plan.csv", *GRID, "--format", "xlsx"], 2, "'xlsx' is not one of"),
    Case("evaluate-total-zero", ["evaluate", "plan.csv", *GRID, "--total", "0"], 2, "got 0 (£m a year)"),
    Case("evaluate-total-inf", ["evaluate", "plan.csv", *GRID, "--total", "inf"], 2, "--total must be a finite number"),
    Case("evaluate-total-in-pounds", ["evaluate", "plan.csv", *GRID, "--total", "450000000"], 2,
         "did you mean --total 450?"),
    Case("evaluate-value-model-unknown", ["evaluate", "crc21", "--value-model", "vibes"], 2,
         "unknown value model 'vibes'"),
    # boundary repair
    Case("snap-negative", ["evaluate", "plan.csv", *GRID, "--snap", "-1"], 2, "--snap must be 0 or more metres"),
    Case("snap-inf", ["evaluate", "plan.csv", *GRID, "--snap", "inf"], 2, "--snap must be 0 or more metres, got inf"),
    Case("snap-nan", ["evaluate", "plan.csv", *GRID, "--snap", "nan"], 2, "--snap must be 0 or more metres, got nan"),
    Case("snap-zero", ["evaluate", "plan.csv", *GRID, "--snap", "0"], 0, "3 areas over 12 LADs"),
    Case("snap-1e308", ["evaluate", "plan.csv", *GRID, "--snap", "1e308"], 0, "3 areas over 12 LADs"),
    Case("sliver-negative", ["evaluate", "plan.csv", *GRID, "--sliver", "-5"], 2, "--sliver must be 0 or more"),
    Case("sliver-inf", ["evaluate", "plan.csv", *GRID, "--sliver", "inf"], 2, "--sliver must be 0 or more"),
    Case("sliver-1e308", ["evaluate", "plan.csv", *GRID, "--sliver", "1e308"], 0, "3 areas over 12 LADs"),
    # the editor
    Case("edit-max-share-fraction", ["edit", "plan.csv", *GRID, "--max-share", "0.25"], 2,
         "did you mean --max-share 25?"),
    Case("edit-weight-inf", ["edit", "plan.csv", *GRID, "--w-travel", "inf"], 2, "--w-travel must be a finite number"),
    Case("edit-weights-all-zero", ["edit", "plan.csv", *GRID, "--w-travel", "0", "--w-balance", "0", "--w-split",
                                   "0"], 2, "every plan scores the same"),
    Case("edit-ok", ["edit", "plan.csv", *GRID, "-o", "e.html"], 0, "wrote e.html"),
    # units and references
    Case("units-no-match", ["units", "zzzzqqq"], 0, "0 found"),
    Case("units-markup-query", ["units", "<img src=x>", "--format", "json"], 0, '"units": []'),
    Case("references-json", ["references", "--format", "json"], 0, "crc21"),
    # map flags
    Case("map-color-by-unknown", ["map", "plan.csv", *GRID, "--color-by", "mood"], 2, "'mood' is not one of"),
    Case("map-no-plan", ["map", *GRID], 2, "Missing argument 'PLANS...'"),
    Case("unknown-option", ["solve", "--areas", "2", "--areaz", "3"], 2, "No such option '--areaz'"),
    Case("unknown-command", ["slove"], 2, "No such command 'slove'"),
]


@params(LIMITS)
def test_option_limits(case, work):
    run_case(case, work)
