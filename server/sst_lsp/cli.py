"""Command line: ``sst-lsp serve`` (language server on stdio), ``check``, ``rules``, ``rule CODE``."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _codes(value: str) -> set[str]:
    return {c.strip().upper() for c in value.split(",") if c.strip()}


FAIL_ON = {"error": 3, "warning": 2, "info": 1}


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive
        return Path(path).as_posix()


def _use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _check(args) -> int:
    gc.disable()  # a short run: what the collector would find is freed at exit (see analysis.collector_paused)
    from . import fixer, output
    from .engine.model import Severity
    from .rules.registry import load_all

    paths = args.paths or ["."]
    for p in paths:
        if not Path(p).exists():
            print(f"sst-lsp: {p}: no such file or directory", file=sys.stderr)
            return EXIT_USAGE
    rules = load_all()
    for code in (args.select or set()) | (args.ignore or set()):
        if not any(c.startswith(code) for c in rules):
            print(f"sst-lsp: unknown rule code or prefix {code!r}", file=sys.stderr)
            return EXIT_USAGE
    targets = [Path(p) for p in paths]
    cwd = Path(os.getcwd())
    # one PATH: paths relative to it (its directory for a file); several: to the current directory
    base = fixer.workspace_of(targets[0]) if len(targets) == 1 else cwd
    rel = lambda p: _relative(p, base)  # noqa: E731
    cwd_rel = lambda p: _relative(p, cwd)  # noqa: E731
    where = ", ".join(paths)
    options = dict(select=args.select, ignore=args.ignore, era_override=args.sst_version)
    text_mode = args.format == "text"
    # messages about fixing go to stdout in text mode, to stderr when stdout is machine-readable
    note = sys.stdout if text_mode else sys.stderr

    def progress():
        return fixer.Progress.for_stream(sys.stderr)

    fixed_line = None
    if args.diff or args.fix:
        plan = fixer.plan_fixes(targets, unsafe=args.unsafe_fixes, session=fixer.Session(progress()), **options)
        if args.diff:
            for code, err in plan.failures:
                print(f"sst-lsp: internal error in rule {code}: {err}", file=sys.stderr)
            shown = set()
            for path in plan.changed:
                if path in plan.skipped:
                    print(f"sst-lsp: {rel(path)} {plan.skipped[path]}; not fixed", file=sys.stderr)
                    continue
                sys.stdout.write(fixer.unified_diff(plan.before[path], plan.after[path], rel(path)))
                shown.add(path)
            n = plan.fixed_count(shown)
            if not args.quiet:
                print(f"Would fix {n} problem{'s' if n != 1 else ''}." if n else "No problems would be fixed.", file=sys.stderr)
            if plan.failures:
                return EXIT_USAGE
            return EXIT_ERRORS if shown and not args.exit_zero else EXIT_OK
        written = fixer.write_fixes(plan, describe=rel)
        n = plan.fixed_count(written)
        fixed_line = f"Fixed {n} problem{'s' if n != 1 else ''}." if n else ("No fixes applied." if plan.changed else "Nothing to fix.")
        if plan.changed or not plan.results:  # the last pass saw the fixed texts: check the disk again
            results = fixer.analyse(targets, session=fixer.Session(progress()), **options)
        else:
            results = plan.results
        if not args.unsafe_fixes:
            more = sum(1 for res in results for v in res.violations if v.fix and v.fix.edits and not fixer.allowed(v.fix, False))
            if more:
                fixed_line = fixed_line[:-1] + f" ({more} more fixable with --unsafe-fixes)."
    else:
        results = fixer.analyse(targets, session=fixer.Session(progress()), **options)

    items = []
    for res in results:
        for v in res.violations:
            items.append(output.Item(rel(v.path), cwd_rel(v.path), v, res.project.fs.read_text(v.path) if text_mode and not args.quiet else None))
        for code, err in res.failures:
            print(f"sst-lsp: internal error in rule {code}: {err}", file=sys.stderr)
    failures = [f for res in results for f in res.failures]

    if args.format == "json":
        sys.stdout.write(output.format_json(items))
    elif args.format == "sarif":
        sys.stdout.write(output.format_sarif(items, rules, relpath=cwd_rel, failures=failures))
    elif args.format == "github":
        sys.stdout.write(output.format_github(items))
    else:
        color = _use_color(sys.stdout)
        if args.verbose:
            from .engine.handler_imports import verbose_lines

            for res in results:
                print(f"{res.project.rel(res.project.config)} in {os.path.relpath(res.project.root, base)}: {res.project.era_info.describe()}")
                unseen = res.project.unseen()
                if unseen:
                    print(f"  not resolved ({len(unseen)}; rules that depend on them report at most a warning):")
                for path, rng, what in unseen:
                    print(f"    {rel(path)}:{rng.start.line + 1}:{rng.start.character + 1}: {what}")
                for line in verbose_lines(res.project):
                    print(line)
        for it in items:
            for line in output.text_diagnostic(it, color=color, source=not args.quiet):
                print(line)
    if fixed_line and not args.quiet:
        print(fixed_line, file=note)
    if text_mode and not args.quiet:
        print(output.text_summary(items, len(results), where))

    if failures:
        return EXIT_USAGE
    if args.exit_zero:
        return EXIT_OK
    threshold = FAIL_ON[args.fail_on]
    failing = any((it.v.severity or Severity.ERROR).rank >= threshold for it in items)
    return EXIT_ERRORS if failing else EXIT_OK


def _rules(args) -> int:
    from .rules.registry import load_all

    rules = load_all()
    if args.format == "json":
        json.dump(
            [
                {"code": r.code, "name": r.name, "severity": r.severity.value, "eras": r.eras_label, "fix": r.fix.value if r.fix else None, "summary": r.summary}
                for r in rules.values()
            ],
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"{'code':<7} {'name':<34} {'severity':<15} {'eras':<6} fix")
    for r in rules.values():
        fix = r.fix.value if r.fix else "-"
        extra = "" if r.enabled_by_default else " (off unless selected)"
        print(f"{r.code:<7} {r.name:<34} {r.severity_text:<15} {r.eras_label:<6} {fix}{extra}")
    return EXIT_OK


def _rule(args) -> int:
    from .docs import render_page
    from .rules.registry import load_all

    rules = load_all()
    code = args.code.upper()
    if code not in rules:
        print(f"sst-lsp: unknown rule {args.code!r}", file=sys.stderr)
        return EXIT_USAGE
    print(render_page(rules[code]))
    return EXIT_OK


def _serve(args) -> int:
    from . import head_start

    start = head_start.begin(sys.stdin.buffer)  # before pygls is imported: see head_start
    from .server import build_server

    server = build_server()
    server.head_start = start
    server.start_io()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sst-lsp", description="Catch the mistakes that break Python Lambda functions built by SST with uv.")
    parser.add_argument("--version", action="version", version=f"sst-lsp {__version__}")
    parser.add_argument("--log-level", default="WARNING", help="log level for stderr (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check every SST app under each PATH and print diagnostics")
    p.add_argument("paths", nargs="*", metavar="PATH", help="directories (or files) to check (default .)")
    p.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text", help="output format (default text)")
    p.add_argument("--fix", action="store_true", help="apply every safe fix, then report what remains")
    p.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff: apply the unsafe fixes too")
    p.add_argument("--diff", action="store_true", help="print a unified diff of what --fix would change; write nothing")
    p.add_argument("--fail-on", choices=list(FAIL_ON), default="error", help="lowest severity that makes the exit status 1 (default error)")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when diagnostics are found (2 still means a usage or internal error)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the diagnostics lines: no source excerpt, no summary")
    p.add_argument("--select", type=_codes, help="only these codes or prefixes (comma-separated)")
    p.add_argument("--ignore", type=_codes, help="skip these codes or prefixes (comma-separated)")
    p.add_argument("--sst-version", help="assume this SST version instead of detecting it")
    p.add_argument("-v", "--verbose", action="store_true", help="also say which SST version and era each app uses, and why")
    p.set_defaults(func=_check)
    p = sub.add_parser("serve", help="run the language server on stdio")
    p.set_defaults(func=_serve)
    p = sub.add_parser("rules", help="list every rule")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=_rules)
    p = sub.add_parser("rule", help="print one rule's documentation")
    p.add_argument("code")
    p.set_defaults(func=_rule)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        logging.getLogger("sst_lsp").exception("internal error")
        return EXIT_USAGE
