"""The `discodock` command: predict, screen, pockets, benchmark, train, toy.

Every option can also come from a YAML file (`--config run.yaml`, keys = option names with
underscores); options given on the command line win. Errors in the input print one line naming
the input and the reason, and exit with status 2 (`--debug` shows the traceback instead).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from discodock.errors import one_line


EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130


def _add_common(parser: argparse.ArgumentParser,
                config_help: str = "YAML file of option values (command line wins)") -> None:
    parser.add_argument("--config", type=Path, help=config_help)
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:1 … (default cpu)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _add_docking_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", default="auto",
                        help="auto (default): disco-pocket for pocket docking (a pocket given or found, --pockets; "
                             "benchmark: --mode pocket), else the blind disco; or twin-pocket, twin, or a bundle .pt path")
    parser.add_argument("--samples", type=int, default=40, help="poses sampled per complex (default 40)")
    parser.add_argument("--steps", type=int, default=20,
                        help="reverse-diffusion steps (default 20; 0: no denoising, the diffusion prior's random "
                             "poses, a control for what the model adds)")
    parser.add_argument("--temperature", choices=["plain", "diffdock-v1.1", "mild"], default=None,
                        help="low-temperature sampling preset as in DiffDock (default: the model's own setting)")


def _add_vina_box(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vina-box", choices=["poses", "pocket"], default="poses",
                        help="Vina's box for --vina-rank: the poses' joint extent (default), or the pocket "
                             "(pocket mode: its centre, ligand diameter + 10 Å; poses outside rank last); "
                             "through found pockets, each pocket's box")


def _add_vina_ranking(parser: argparse.ArgumentParser) -> None:
    """--vina-rank and --vina-box of the docking commands (predict, screen)."""
    parser.add_argument("--vina-rank", nargs="?", const="score", choices=["score", "optimize", "refine"], default=None,
                        help="rank poses by Vina score instead of confidence; 'optimize': minimise each pose "
                             "locally with Vina first and write the minimised poses; 'refine': then search on "
                             "from the best distinct ones with short Vina Monte-Carlo chains (~5-10 s more)")
    _add_vina_box(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="discodock", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    predict = sub.add_parser("predict", help="dock one ligand into one protein")
    predict.add_argument("--protein", type=Path, help="receptor .pdb or .cif")
    predict.add_argument("--ligand", help="ligand .sdf / .mol2 file, or a SMILES string")
    predict.add_argument("--example", action="store_true", help="dock the example complex shipped with posebusters (1ia1)")
    predict.add_argument("--pocket-center", help="pocket mode: centre x,y,z in Å")
    predict.add_argument("--pocket-ligand", type=Path, help="pocket mode: centre = centroid of this reference ligand")
    predict.add_argument("--pockets", type=int, default=None, metavar="K",
                         help="no pocket known: dock with the pocket model in each of the first K pockets that "
                              "`discodock pockets` finds (--samples each), one ranking over all (Vina: each "
                              "pocket's poses in its own box); default 3 without a pocket (0 with blind weights); "
                              "0: the blind model on the whole protein")
    predict.add_argument("--out", type=Path, default=Path("discodock_out"), help="output folder")
    predict.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    _add_vina_ranking(predict)
    predict.add_argument("--pb-checks", action="store_true", help="add PoseBusters checks of every pose to poses.csv")
    _add_docking_options(predict)
    _add_common(predict)

    screen = sub.add_parser("screen", help="dock every row of a CSV (complex_name,protein_path,ligand_description)")
    screen.add_argument("--csv", type=Path, required=False)
    screen.add_argument("--out", type=Path, default=Path("discodock_screen"))
    screen.add_argument("--pocket-center", help="pocket mode for every row: centre x,y,z in Å")
    screen.add_argument("--pockets", type=int, default=None, metavar="K",
                        help="rows without a pocket: dock through the first K pockets found, as predict --pockets "
                             "(default 3, 0 with blind weights; 0: the blind model on the whole protein)")
    _add_vina_ranking(screen)
    _add_docking_options(screen)
    _add_common(screen)

    pockets = sub.add_parser("pockets", help="candidate binding pockets of a protein (centres for --pocket-center)")
    pockets.add_argument("--protein", type=Path, help="receptor .pdb or .cif")
    pockets.add_argument("--top", type=int, default=5, help="how many pockets, most buried first (default 5)")
    pockets.add_argument("--out", type=Path, default=None, help="also write them to this CSV")
    _add_common(pockets)

    bench = sub.add_parser("benchmark", help="evaluate on PoseBusters V2 or a PDBBind-layout set")
    bench.add_argument("--set", default="posebusters_v2",
                       help="posebusters_v2, posebusters_428, posebusters_v1_only, timesplit_subset, train_pool")
    bench.add_argument("--data", type=Path, default=None,
                       help="data root (default $DISCODOCK_DATA if set, else ../shared/data)")
    bench.add_argument("--layout", choices=["shared", "pdbbind"], default="shared")
    bench.add_argument("--ids", type=Path, default=None,
                       help="file of complex ids (one per line): the complexes of --data, or a shard of --set")
    bench.add_argument("--mode", choices=["blind", "pocket"], default="blind")
    bench.add_argument("--pockets", type=int, default=0, metavar="K",
                       help="blind mode: dock with the pocket model in each of the first K pockets that "
                            "`discodock pockets` finds (--samples each), one ranking over all (default 0: off)")
    bench.add_argument("--limit", type=int, default=None, help="only the first N complexes")
    bench.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    bench.add_argument("--method", default=None, help="name for the rows (default: from the weights name)")
    bench.add_argument("--pb-valid", action="store_true", help="run PoseBusters checks on each top-1 pose (slow)")
    bench.add_argument("--retry-failed", action="store_true",
                       help="dock again the complexes whose rows failed (e.g. after installing a missing tool); "
                            "the new rows replace them in the reports")
    bench.add_argument("--report-only", action="store_true",
                       help="dock nothing: rewrite the summary, paired tests and plot from the rows CSV")
    bench.add_argument("--vina-rank", nargs="?", const="score", choices=["score", "optimize", "both", "refine", "all"],
                       default=None,
                       help="also rank the same poses by Vina score (rows '<method>+vina'), after a local Vina "
                            "minimisation ('optimize': rows '<method>+vina-opt'), or both; 'refine': minimised, "
                            "then Vina Monte-Carlo chains from the best distinct poses (rows '<method>+vina-refine'); "
                            "'all': the three (one minimisation shared)")
    _add_vina_box(bench)
    _add_docking_options(bench)
    _add_common(bench)

    train = sub.add_parser("train", help="train the score model, prior and confidence model")
    train.add_argument("--max-minutes", type=float, default=None,
                       help="wall-clock budget of the whole run (split 70/10/20 %% over score/prior/confidence)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a config entry, e.g. --set score.lr=3e-4 (repeatable)")
    _add_common(train, config_help="the training config, e.g. configs/train_disco_pocket.yaml (its keys set the "
                                   "run; --set overrides them)")
    train.set_defaults(seed=None)  # None: the config's seed

    toy = sub.add_parser("toy", help="the 2-D toy: DisCo vs EDM on 8 Gaussians")
    _add_common(toy)
    return parser


# Options whose value may start with '-' (a negative coordinate): argparse would read it as an option.
_VALUE_MAY_START_WITH_DASH = ("--pocket-center",)


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """`--pocket-center -1.5,2,3` -> `--pocket-center=-1.5,2,3`, so negative coordinates parse."""
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        if args[i] in _VALUE_MAY_START_WITH_DASH and i + 1 < len(args):
            out.append(f"{args[i]}={args[i + 1]}")
            i += 2
            continue
        out.append(args[i])
        i += 1
    return out


def _read_config(path: Path) -> dict:
    """The YAML mapping of a `--config` file; InputError naming the file if it is missing or malformed."""
    from discodock.yaml_io import read_yaml_mapping

    return read_yaml_mapping(path, "config file")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse, letting `--config file.yaml` supply defaults for any option of the sub-command."""
    from discodock.errors import InputError

    argv = _join_dash_values(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.config is not None:
        values = _read_config(args.config)
        known = vars(args)
        unknown = sorted(str(k) for k in values if str(k).replace("-", "_") not in known)
        if unknown and args.command != "train":
            raise InputError(args.config, f"unknown options: {', '.join(unknown)}")
        subparser = parser._subparsers._group_actions[0].choices[args.command]  # noqa: SLF001
        actions = {a.dest: a for a in subparser._actions}  # noqa: SLF001
        # A typed option's YAML value goes through its type like a command-line string would
        # (argparse converts string defaults only), so `samples: [1]` fails as cleanly as `--samples x`.
        defaults = {}
        for key, value in values.items():
            dest = str(key).replace("-", "_")
            if dest not in known:
                continue
            action = actions.get(dest)
            if action is not None and action.const is not None and isinstance(value, bool):
                value = action.const if value else None  # `vina-rank: true` means the bare flag
            if action is not None and action.choices and value is not None and value not in action.choices:
                parser.error(f"{args.config}: {key}: {value!r} is not one of {', '.join(map(str, action.choices))}")
            defaults[dest] = str(value) if action is not None and action.type is not None and value is not None else value
        subparser.set_defaults(**defaults)
        args = parser.parse_args(argv)
    return args


def _check_common(args: argparse.Namespace) -> None:
    """Reject impossible option values before any work starts."""
    import torch

    from discodock.errors import InputError

    for option in ("samples", "threads", "top"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            raise InputError(f"--{option} {value}", "must be a positive whole number")
    if (getattr(args, "pockets", 0) or 0) < 0:
        raise InputError(f"--pockets {args.pockets}", "must be a whole number of pockets, or 0 (off) to dock in the given pocket or blind")
    if getattr(args, "steps", 0) < 0:
        raise InputError(f"--steps {args.steps}", "must be a positive whole number, or 0 for the prior's random poses")
    try:
        device = torch.device(args.device)
    except RuntimeError as error:
        raise InputError(f"--device {args.device}", "not a torch device name (cpu, cuda, cuda:0 …)") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device {args.device}", "CUDA is not available on this machine; use --device cpu")
    torch.set_num_threads(args.threads or os.cpu_count() or 1)


def main(argv: Sequence[str] | None = None) -> int:
    from discodock.errors import InputError, SetupError

    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = parse_args(argv)
        _check_common(args)
        # Commands live in discodock.commands, imported only now so `--help` stays fast.
        from discodock import commands

        command: Callable[[argparse.Namespace], int] = getattr(commands, args.command)
        return command(args)
    except (InputError, SetupError) as error:
        if debug:
            raise
        print(f"discodock: error: {one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # unwritable / unreadable paths met while working: the user's to fix
        if debug:
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(f"discodock: error: {where}{one_line(error.strerror or error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("discodock: interrupted; finished outputs are kept, rerun to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug, not bad input: one line here, the traceback with --debug
        if debug:
            raise
        print(f"discodock: internal error: {type(error).__name__}: {one_line(error)} (rerun with --debug for the "
              "traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
