"""The results tables of README.md (a headline) and docs/RESULTS.md (all of them), from the committed result files.

    python benchmarks/results_tables.py            # print every table (Markdown)
    python benchmarks/results_tables.py --write    # rewrite the generated blocks of README.md and docs/RESULTS.md
    python benchmarks/results_tables.py --check    # exit 1 if a generated block is not what the files give

Every number in those tables comes from this script, which only reads benchmarks/results/. The blocks lie
between `<!-- results_tables.py: headline -->` (or `all`) and `<!-- results_tables.py: end -->`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import partial
from pathlib import Path
from typing import Callable

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
REPO = RESULTS.parents[1]


def markdown(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def mean_std(values: pd.Series, digits: int = 2) -> str:
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def csv_table(name: str, format_row: Callable[[tuple], dict]) -> str | None:
    """A Markdown table with one row per row of results/<name>, formatted by `format_row` (a named tuple in,
    {column: text} out); None when the file is absent."""
    path = RESULTS / name
    if not path.is_file():
        return None
    return markdown(pd.DataFrame([format_row(r) for r in pd.read_csv(path).itertuples(index=False)]))


def percent_ci(rate: float, low: float, high: float) -> str:
    """'27.3 % [22.6, 32.5]': a success rate with its 95 % interval, in percent."""
    return f"{100 * rate:.1f} % [{100 * low:.1f}, {100 * high:.1f}]"


def docking_table() -> str | None:
    return csv_table("posebusters_v2_summary.csv", lambda r: {
        "method": r.method, "mode": r.mode, "n": int(r.n),
        "top-1 < 2 Å": percent_ci(r.top1_success, r.top1_ci_low, r.top1_ci_high),
        "oracle < 2 Å": f"{100 * r.oracle_success:.1f} %",
        "top-1 < 2 Å & PB-valid": "" if pd.isna(r.pb_valid_success) else f"{100 * r.pb_valid_success:.1f} %",
        "median s / complex": f"{r.median_seconds:.1f}",
    })


def p_value(p: float) -> str:
    """Two significant digits; the CSV keeps four decimals, so smaller values show as a bound."""
    return "< 1e-4" if p < 1e-4 else f"{p:.2g}"


def p_clause(p: float) -> str:
    """'p = 0.011' or 'p < 1e-4', for running text."""
    text = p_value(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def paired_table(name: str = "posebusters_v2_paired.csv") -> str | None:
    """Paired tests (`benchmark.paired_comparison` rows): McNemar at 2 Å (top-1 and best of N) and Wilcoxon
    of top-1 RMSD."""
    return csv_table(name, lambda r: {
        "a vs b": f"{r.a} vs {r.b}", "mode": r.mode, "complexes": int(r.n),
        "top-1 < 2 Å a / b": f"{100 * r.success_a:.1f} % / {100 * r.success_b:.1f} %",
        "only a / only b": f"{int(r.only_a)} / {int(r.only_b)}", "McNemar p": p_value(r.p_value),
        "median top-1 RMSD a / b": f"{r.median_top1_rmsd_a:.1f} / {r.median_top1_rmsd_b:.1f} Å",
        "Wilcoxon p": p_value(r.wilcoxon_p),
        "best of N < 2 Å a / b": f"{100 * r.oracle_success_a:.1f} % / {100 * r.oracle_success_b:.1f} %",
        "only a / only b (best of N)": f"{int(r.oracle_only_a)} / {int(r.oracle_only_b)}",
        "McNemar p (best of N)": p_value(r.oracle_p_value),
    })


def seed_study_table(name: str = "seed_study", label: str = "oracle", what: str = "best of 40") -> str | None:
    """DisCo vs twin per training seed and pooled over seeds (`benchmarks/seed_study.py`): `label` names
    the compared RMSD in its files ('oracle': best of 40 of plain sampling; 'top1': after refinement)."""
    by_seed, pooled = RESULTS / f"{name}_by_seed.csv", RESULTS / f"{name}_pooled.csv"
    if not (by_seed.is_file() and pooled.is_file()):
        return None
    table = pd.read_csv(by_seed)
    rows = []
    for seed, group in table.groupby("seed"):
        disco, twin = (group[group["model"] == m].iloc[0] for m in ("disco", "twin"))
        rows.append({
            "seed": seed, "complexes": int(disco.n),
            f"{what} < 2 Å DisCo / twin": f"{100 * disco[f'{label}_success']:.1f} % / "
                                         f"{100 * twin[f'{label}_success']:.1f} %",
            "only DisCo / only twin": f"{int(disco.only_disco)} / {int(disco.only_twin)}",
            "McNemar p": p_value(disco.mcnemar_p),
            f"median {what.replace(' ', '-')} RMSD DisCo / twin": f"{disco[f'median_{label}_rmsd']:.2f} / "
                                               f"{twin[f'median_{label}_rmsd']:.2f} Å",
            "Wilcoxon p": p_value(disco.wilcoxon_p),
        })
    return markdown(pd.DataFrame(rows)) + "\n\n" + pooled_line(pooled, label, what)


def pooled_line(pooled: Path, label: str, what: str) -> str:
    """DisCo vs twin pooled over training seeds (`<name>_pooled.csv` of seed_study.py), as one sentence."""
    p = pd.read_csv(pooled, dtype={"seeds": str}).iloc[0]
    return (f"Pooled over seeds {p.seeds} ({int(p.n)} complexes; per complex, success averaged over seeds): "
            f"DisCo {100 * p.disco_success:.1f} % vs twin {100 * p.twin_success:.1f} %, difference "
            f"{100 * p.mean_difference:+.1f} points [{100 * p.ci_low:+.1f}, {100 * p.ci_high:+.1f}] (bootstrap over "
            f"complexes), DisCo better on {int(p.complexes_disco_better)} complexes and the twin on "
            f"{int(p.complexes_twin_better)} (Wilcoxon signed-rank {p_clause(p.wilcoxon_p)}); median {what.replace(' ', '-')} "
            f"RMSD over seeds {p[f'median_{label}_rmsd_disco']:.2f} vs {p[f'median_{label}_rmsd_twin']:.2f} Å "
            f"({p_clause(p.rmsd_wilcoxon_p)}).")


def cost_lines() -> str | None:
    """Peak memory and seconds on the largest protein, and the AR prior's share of sampling time."""
    lines = []
    memory = RESULTS / "peak_memory.json"
    if memory.is_file():
        m = json.loads(memory.read_text())
        parts = [f"{mode} {r['peak_rss_mib'] / 1024:.2f} GiB peak RSS, {r['seconds']:.0f} s"
                 for mode, r in m["results"].items()]
        lines.append(f"- Largest protein of {m['set']} ({m['id']}, {m['residues']} residues, ligand "
                     f"{m['ligand_heavy_atoms']} heavy atoms), `predict` with {m['samples']} x {m['steps']} on "
                     f"{m['threads']} threads, a fresh process each (load average {m['load_average_1min_at_start']}): "
                     + "; ".join(parts) + f". Blind weights: {m['blind_weights']}.")
    prior = RESULTS / "prior_overhead_summary.json"
    if prior.is_file():
        p = json.loads(prior.read_text())
        lines.append(f"- AR prior ({p['weights']}): {100 * p['median_prior_share_of_sampling']:.1f} % of sampling time "
                     f"(median over {p['complexes']} {p['set']} complexes, {p['samples']} x {p['steps']}; "
                     f"{p['median_prior_seconds']:.2f} of {p['median_sampling_seconds']:.1f} s).")
    return "\n".join(lines) if lines else None


def ranking_study_table() -> str | None:
    """Top-1 success of each ranking rule of Vina-minimised samples, off the test set."""
    path = RESULTS / "ranking_study_summary.csv"
    if not path.is_file():
        return None
    table = pd.read_csv(path)
    wide = table.pivot(index="rule", columns="model", values="top1_success").loc[table["rule"].unique()]
    n = table.groupby("model")["n"].max()
    wide.columns = [f"{model} (n={n[model]})" for model in wide.columns]
    wide = wide.map(lambda v: f"{100 * v:.1f} %").reset_index()
    return markdown(wide)


def sampling_study_table() -> str | None:
    """Low-temperature presets and Vina boxes, paired per model, off the test set."""
    return csv_table("sampling_study_summary.csv", lambda r: {
        "model": r.model, "preset": r.preset, "Vina box": r.vina_box, "n": r.n,
        "top-1 (confidence)": f"{100 * r.top1_success:.1f} %", "best of 40": f"{100 * r.oracle_success:.1f} %",
        "top-1 minimised (Vina score)": percent_ci(r.top1_opt_success, r.top1_opt_ci_low, r.top1_opt_ci_high),
        "best of 40 minimised": f"{100 * r.oracle_opt_success:.1f} %",
    })


def refine_study_table(name: str = "refine_study_summary.csv") -> str | None:
    """Vina Monte-Carlo refinement against plain minimisation, paired per complex, off the test set."""
    return csv_table(name, lambda r: {
        "model": r.model, "ranking": r.ranking, "n": r.n,
        "top-1 < 2 Å": percent_ci(r.top1_success, r.ci_low, r.ci_high),
        "best of 40 < 2 Å": f"{100 * r.oracle_success:.1f} %",
        "only this / only vina-opt (McNemar p)": "" if pd.isna(r.p_value) else
        f"{int(r.only_refine)} / {int(r.only_opt)} ({p_value(r.p_value)})",
        "median s / complex": f"{r.median_seconds:.1f}",
    })


def refine_pairs_table(name: str = "refine_study_pairs.csv") -> str | None:
    """Pairs of models under --vina-rank refine (DisCo vs twin per training seed; retrained vs replaced), paired
    per complex, off the test set."""
    return csv_table(name, lambda r: {
        "pair": r.pair, "a / b": f"{r.a} / {r.b}", "complexes": int(r.n),
        "top-1 < 2 Å a / b": f"{100 * r.a_success:.1f} % / {100 * r.b_success:.1f} %",
        "only a / only b": f"{int(r.only_a)} / {int(r.only_b)}", "McNemar p": p_value(r.p_value),
    })


def refine_settings_table() -> str | None:
    """Longer or more refinement chains than the default, same sampled and minimised poses, off the test set."""
    return csv_table("refine_settings_study_summary.csv", lambda r: {
        "model": r.model, "chains x steps": r.setting, "n": r.n,
        "top-1 < 2 Å": percent_ci(r.top1_success, r.ci_low, r.ci_high),
        "best of 40 < 2 Å": f"{100 * r.oracle_success:.1f} %",
        "gained / lost vs default (McNemar p)": f"{int(r.gained_vs_default)} / {int(r.lost_vs_default)} "
                                                f"({p_value(r.p_value)})",
        "median Vina score": f"{r.median_vina_score:.2f}",
        "Vina minimisations": f"{r.mean_minimisations:.0f}",
        "median s (minimise + refine)": f"{r.median_seconds:.1f}",
    })


def vina_pool_table(name: str) -> str | None:
    """Our refined top pose and Vina's own, pooled by Vina score (benchmarks/vina_pool.py)."""
    return csv_table(name, lambda r: {
        "ours": r.method, "Vina rows": r.vina_rows, "n": int(r.n),
        "top-1 < 2 Å ours / Vina / pooled": f"{100 * r.ours_success:.1f} / {100 * r.vina_success:.1f} / "
                                             f"{100 * r.pooled_success:.1f} %",
        "pool takes ours (of them < 2 Å)": f"{int(r.picks_ours)} ({int(r.picks_ours_right)})",
        "pooled vs Vina: gained / lost (McNemar p)": f"{int(r.gained_vs_vina)} / {int(r.lost_vs_vina)} ({p_value(r.p_value)})",
        "median s pooled / Vina": f"{r.median_seconds_pooled:.1f} / {r.median_seconds_vina:.1f}",
    })


def pocket_finding_table() -> str | None:
    """`find_pockets` against the crystal ligand's centroid (benchmarks/pocket_finding.py)."""
    return csv_table("pocket_finding_summary.csv", lambda r: {
        "set": r.set, "n (unreadable)": f"{int(r.n)} ({int(r.failed)})",
        **{f"first {k} within {c} Å": f"{100 * getattr(r, f'top{k}_within_{c}A'):.1f} %" for c in (4, 6) for k in (1, 3, 5)},
        "median s": f"{r.median_seconds:.2f}",
    })


def blind_pockets_table(name: str = "blind_pockets_study_summary.csv") -> str | None:
    """Blind docking through found pockets vs the blind model vs the pocket given (benchmarks/blind_pockets_study.py)."""
    def tested(r, label: str) -> str:
        only = getattr(r, f"only_this_vs_{label}")
        return "" if pd.isna(only) else f"{int(only)} / {int(getattr(r, f'only_{label}'))} ({p_value(getattr(r, f'p_vs_{label}'))})"

    return csv_table(name, lambda r: {
        "method": r.method, "n": int(r.n), "top-1 < 2 Å": percent_ci(r.top1_success, r.ci_low, r.ci_high),
        "best of N < 2 Å": f"{100 * r.oracle_success:.1f} %",
        "vs pocket given: only this / only it (p)": tested(r, "pocket_given"),
        "vs blind: only this / only it (p)": tested(r, "blind"),
        "median s": f"{r.median_seconds:.1f}",
    })


def vina_misses_table(methods: tuple[str, ...] = ("disco+vina-refine", "twin+vina-refine", "disco-f2+vina-refine",
                                                   "twin-f2+vina-refine")) -> str | None:
    """Against Vina's own search (pocket mode, PoseBusters V2), complex by complex at 2 Å: what each
    Vina-ranked method of ours misses that Vina docks, split into ranking misses (a pose of ours within
    2 Å, not ranked first) and search misses (none of our poses within 2 Å)."""
    rows_path, vina_path = RESULTS / "posebusters_v2.csv", RESULTS / "vina_posebusters_v2.csv"
    if not (rows_path.is_file() and vina_path.is_file()):
        return None
    ours = pd.read_csv(rows_path, dtype={"id": str})
    vina = pd.read_csv(vina_path, dtype={"id": str}).drop_duplicates("id", keep="last").set_index("id")
    rows = []
    for method in methods:
        group = ours[(ours["method"] == method) & (ours["mode"] == "pocket")].set_index("id")
        if group.empty:
            continue
        vina_hit = vina.loc[group.index, "top1_rmsd"] < 2
        hit, found = group["top1_rmsd"] < 2, group["oracle_rmsd"] < 2
        rows.append({"method": method, "n": len(group), "both": int((hit & vina_hit).sum()),
                     "only ours": int((hit & ~vina_hit).sum()), "only Vina": int((~hit & vina_hit).sum()),
                     "… of which ranking misses": int((~hit & vina_hit & found).sum()),
                     "… of which search misses": int((~hit & vina_hit & ~found).sum()),
                     "neither": int((~hit & ~vina_hit).sum())})
    return markdown(pd.DataFrame(rows)) if rows else None


def toy_table() -> str:
    toy = pd.read_csv(RESULTS / "toy.csv")
    rows = []
    for nfe, group in toy.groupby("nfe"):
        row = {"NFE": nfe}
        for model, g in group.groupby("model", sort=False):
            row[f"W2 {model}"] = mean_std(g["w2"])
        rows.append(row)
    table = markdown(pd.DataFrame(rows))
    per_seed = toy.dropna(subset=["nmi"]).drop_duplicates(["model", "seed"])  # one NMI per model and seed
    notes = ", ".join(f"{m}: {mean_std(v)}" for m, v in per_seed.groupby("model")["nmi"])
    return table + f"\n\nNMI(latent, mode) over seeds: {notes}" if notes else table


def images_table() -> str:
    images = pd.read_csv(RESULTS / "images.csv")
    rows = []
    for nfe, group in images.groupby("nfe"):
        row = {"NFE": nfe}
        for model, g in group.groupby("model", sort=False):
            row[f"FID-proxy {model}"] = mean_std(g["fid_proxy"])
            row[f"class acc. {model}"] = mean_std(g["class_acc"], 3)
        rows.append(row)
    seeds = images["seed"].nunique()
    return markdown(pd.DataFrame(rows)) + f"\n\n({seeds} seed{'s' if seeds > 1 else ''})"


def loss_by_time_table() -> str | None:
    """Score-matching loss per diffusion time t of each model (1 = zero prediction): total on training and
    validation complexes, and each part on validation."""
    frames = {p.stem.removeprefix("loss_by_time_"): pd.read_csv(p) for p in sorted(RESULTS.glob("loss_by_time_*.csv"))}
    shown = [("train", "loss"), ("val", "loss"), ("val", "tr_loss"), ("val", "rot_loss"), ("val", "tor_loss")]
    rows = []
    for name, table in frames.items():
        for split, part in shown:
            group = table[table["split"] == split]
            row = {"model": name, "loss": f"{split} {part.removesuffix('_loss') if part != 'loss' else 'total'}"}
            row.update({f"t={t:g}": f"{v:.2f}" for t, v in zip(group["t"], group[part])})
            rows.append(row)
    return markdown(pd.DataFrame(rows)) if rows else None


def vina_lines() -> str:
    """One line per Vina run on PoseBusters V2 (vina_posebusters_v2*_summary.json), highest exhaustiveness first."""
    summaries = [json.loads(path.read_text()) for path in RESULTS.glob("vina_posebusters_v2*_summary.json")]
    lines = []
    for summary in sorted(summaries, key=lambda s: -s["settings"]["exhaustiveness"]):
        low, high = summary["top1_success_ci95"]
        done = "all 308 complexes" if summary["n"] == 308 else f"{summary['n']} of 308 complexes run so far"
        lines.append(
            f"Vina, pocket given (exhaustiveness {summary['settings']['exhaustiveness']}), PoseBusters V2: {done} "
            f"({summary['n_timeout']} stopped at {summary['settings']['timeout_cpu_s']:.0f} CPU s, counted as misses); "
            f"top-1 < 2 Å {percent_ci(summary['top1_success'], low, high)}, "
            f"best of 9 {100 * summary['best_of_9_success']:.1f} %, median {summary['median_seconds']:.0f} s per complex.")
    return "\n\n".join(lines)


# PoseBusters V2 rows of the headline, in order: (setting, what the row is, method, mode)
HEADLINE_ROWS = [
    ("pocket given", "AutoDock Vina's own search (exhaustiveness 8)", "vina", "pocket"),
    ("pocket given", "AutoDock Vina's own search (exhaustiveness 1)", "vina-exh1", "pocket"),
    ("pocket given", "DisCo's 40 samples, Vina-minimised and refined (`--vina-rank refine`)",
     "disco-f2+vina-refine", "pocket"),
    ("pocket given", "the no-latent twin's, the same way", "twin-f2+vina-refine", "pocket"),
    ("pocket given", "40 random poses in the pocket, the same way (control)", "prior+vina-refine-pocket", "pocket"),
    ("pocket given", "DisCo alone, top pose by its confidence model", "disco-f2", "pocket"),
    ("pocket given", "the twin alone", "twin-f2", "pocket"),
    ("no pocket", "DisCo in the first 3 pockets found (`--pockets 3`), refined", "disco-f2-pockets3+vina-refine",
     "blind"),
    ("no pocket", "the twin in the first 3 pockets found, refined", "twin-f2-pockets3+vina-refine", "blind"),
    ("no pocket", "the blind DisCo model on the whole protein (sampled before the rotation-step fix)", "disco-oldrot",
     "blind"),
]


def headline_table() -> str | None:
    """The rows of PoseBusters V2 that say where the shipped pipeline stands (HEADLINE_ROWS), and DisCo against
    its twin over three training seeds."""
    path = RESULTS / "posebusters_v2_summary.csv"
    if not path.is_file():
        return None
    summary = pd.read_csv(path).set_index(["method", "mode"])
    vina_exh1 = RESULTS / "vina_posebusters_v2_exh1_summary.json"
    if vina_exh1.is_file():  # the Vina baseline's other run keeps its own summary
        v = json.loads(vina_exh1.read_text())
        summary.loc[("vina-exh1", "pocket"), :] = {
            "n": v["n"], "top1_success": v["top1_success"], "top1_ci_low": v["top1_success_ci95"][0],
            "top1_ci_high": v["top1_success_ci95"][1], "oracle_success": v["best_of_9_success"],
            "median_seconds": v["median_seconds"]}
    rows = []
    for setting, what, method, mode in HEADLINE_ROWS:
        if (method, mode) not in summary.index:
            continue
        r = summary.loc[(method, mode)]
        row = "`vina_posebusters_v2_exh1.csv`" if method == "vina-exh1" else f"`{method}`"  # its own file, no row
        rows.append({"setting": setting, "pipeline": what, "row": row, "n": int(r.n),
                     "top-1 < 2 Å": percent_ci(r.top1_success, r.top1_ci_low, r.top1_ci_high),
                     "best of N < 2 Å": f"{100 * r.oracle_success:.1f} %",
                     "median s / complex": f"{r.median_seconds:.1f}"})
    text = markdown(pd.DataFrame(rows))
    pooled = RESULTS / "seed_study_refine_pooled.csv"
    if pooled.is_file():
        text += ("\n\nDisCo against its twin over three training seeds (the pair shipped until 28 Nov 2026 and seeds 1 "
                 "and 2 trained the same way, on the earlier torsion rule; refined top-1). " + pooled_line(pooled, "top1", "top-1"))
    return text


# (heading, table): each section of docs/RESULTS.md, in order; a table that returns None (its
# results file absent) is left out with its heading
SECTIONS: list[tuple[str, Callable[[], str | None]]] = [
    ("### Docking: PoseBusters V2", docking_table),
    ("", vina_lines),
    ("Paired on the complexes both rows have run (exact McNemar; Wilcoxon signed-rank):", paired_table),
    ("The complexes that the fixes of 27 Nov changed, rerun: their new rows (a) against the rows they replaced (b):",
     partial(paired_table, "posebusters_v2_fix_effect.csv")),
    ("### Docking: DisCo vs twin over training seeds (PoseBusters V2, pocket, plain sampling)", seed_study_table),
    ("### Docking: DisCo vs twin over training seeds (PoseBusters V2, pocket, `--vina-rank refine`, top-1)",
     partial(seed_study_table, "seed_study_refine", "top1", "top-1")),
    ("### Docking: ranking rules for Vina-minimised samples (validation split + time-split complexes, top-1 < 2 Å)",
     ranking_study_table),
    ("### Docking: sampling temperature and Vina box (validation split + time-split complexes, top-1 < 2 Å)",
     sampling_study_table),
    ("### Docking: Vina Monte-Carlo refinement (validation split + time-split complexes)", refine_study_table),
    ("### Docking: DisCo vs twin under refinement, per training seed (validation split + time-split complexes)",
     refine_pairs_table),
    ("### Docking: the pocket bundles retrained on single-bond torsions (validation split + time-split complexes, "
     "code of 28 Nov 2026)", partial(refine_study_table, "refine_study_f2_summary.csv")),
    ("", partial(refine_pairs_table, "refine_study_f2_pairs.csv")),
    ("### Docking: how much refinement (DisCo; validation split + time-split complexes)", refine_settings_table),
    ("### Docking: what Vina docks and we miss (PoseBusters V2, pocket, top-1 < 2 Å)", vina_misses_table),
    ("### Docking: our refined top pose pooled with Vina's, by Vina score (validation split + time-split complexes)",
     partial(vina_pool_table, "vina_pool_study.csv")),
    ("### Pockets: the binding site from the protein alone (pocket centre to ligand centroid)", pocket_finding_table),
    ("### Docking: blind through found pockets (validation split + time-split complexes, Vina refinement; "
     "found pockets: best of N over their 3 × 40 poses)", blind_pockets_table),
    ("### Docking: blind through found pockets (PoseBusters V2, Vina refinement; found pockets: best of N over "
     "their 3 × 40 poses)",
     partial(blind_pockets_table, "blind_pockets_v2_summary.csv")),
    ("### Docking: memory and time", cost_lines),
    ("### Docking: score-matching loss by diffusion time (1.0 = predicting zero)", loss_by_time_table),
    ("### Toy: 8 Gaussians (W2 to held-out data, mean ± std over seeds)", toy_table),
    ("### Images: 8×8 digits (FID-proxy, lower is better)", images_table),
]


HEADLINE: list[tuple[str, Callable[[], str | None]]] = [("", headline_table)]
GENERATED = {"headline": (REPO / "README.md", HEADLINE), "all": (REPO / "docs" / "RESULTS.md", SECTIONS)}
END = "<!-- results_tables.py: end -->"


def render(sections: list[tuple[str, Callable[[], str | None]]]) -> str:
    """The sections as Markdown; a table that returns None is left out with its heading."""
    done = [(heading, table()) for heading, table in sections]
    return "\n\n".join("\n\n".join(filter(None, (heading, table))) for heading, table in done if table)


def with_block(text: str, name: str, block: str, path: Path) -> str:
    """`text` with its generated block `name` replaced by `block`; SystemExit naming `path` if it has no such block."""
    begin = f"<!-- results_tables.py: {name} -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(END), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise SystemExit(f"{path}: needs one block from {begin} to {END}")
    return pattern.sub(lambda _: f"{begin}\n\n{block}\n\n{END}", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true",
                        help="rewrite the generated blocks of README.md and docs/RESULTS.md")
    action.add_argument("--check", action="store_true", help="exit 1 if a generated block is out of date")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        print(render(SECTIONS))
        return 0
    stale = []
    for name, (path, sections) in GENERATED.items():
        text = path.read_text(encoding="utf-8")
        new = with_block(text, name, render(sections), path)
        if new != text:
            stale.append(path)
            if args.write:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'rewritten' if args.write else 'out of date: python benchmarks/results_tables.py --write'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
