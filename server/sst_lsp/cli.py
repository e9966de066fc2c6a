"""Command line: ``sst-lsp serve`` (language server on stdio), ``check``, ``rules``, ``rule CODE``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _codes(value: str) -> set[str]:
    return {c.strip().upper() for c in value.split(",") if c.strip()}


def _check(args) -> int:
    from .engine.analysis import analyse_path
    from .engine.model import Severity
    from .rules.registry import load_all

    target = Path(args.path)
    if not target.exists():
        print(f"sst-lsp: {args.path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    rules = load_all()
    for code in (args.select or set()) | (args.ignore or set()):
        if not any(c.startswith(code) for c in rules):
            print(f"sst-lsp: unknown rule code or prefix {code!r}", file=sys.stderr)
            return EXIT_USAGE
    results = analyse_path(target, select=args.select, ignore=args.ignore, era_override=args.sst_version)
    base = target if target.is_dir() else target.parent
    items = []
    for res in results:
        for v in res.violations:
            rel = Path(os.path.relpath(v.path, base)).as_posix()
            items.append((rel, v))
        for code, err in res.failures:
            print(f"sst-lsp: internal error in rule {code}: {err}", file=sys.stderr)
    if args.format == "json":
        out = {
            "diagnostics": [
                {
                    "path": rel,
                    "code": v.code,
                    "severity": v.severity.value,
                    "message": v.message,
                    "range": v.range.to_json(),
                    "fix": {"title": v.fix.title, "safety": v.fix.safety.value} if v.fix else None,
                }
                for rel, v in items
            ]
        }
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        if args.verbose:
            for res in results:
                print(f"{res.project.rel(res.project.config)} in {os.path.relpath(res.project.root, base)}: {res.project.era_info.describe()}")
        for rel, v in items:
            mark = " [*]" if v.fix else ""
            print(f"{rel}:{v.range.start.line + 1}:{v.range.start.character + 1}: {v.code}{mark} {v.message}")
        counts = {s: sum(1 for _, v in items if v.severity == s) for s in Severity}
        fixable = sum(1 for _, v in items if v.fix)
        if not results:
            print(f"No sst.config.ts found under {args.path}.")
        elif not items:
            print(f"All checks passed ({len(results)} app{'s' if len(results) != 1 else ''}).")
        else:
            parts = [f"{n} {s.value}{'s' if n != 1 and s.value != 'info' else ''}" for s, n in counts.items() if n]
            print(f"Found {len(items)} problem{'s' if len(items) != 1 else ''} ({', '.join(parts)}); {fixable} with a fix ([*]).")
    has_error = any(v.severity == Severity.ERROR for _, v in items)
    internal = any(res.failures for res in results)
    if internal:
        return EXIT_USAGE
    return EXIT_ERRORS if has_error else EXIT_OK


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
    print(f"{'code':<7} {'name':<34} {'severity':<8} {'eras':<6} fix")
    for r in rules.values():
        fix = r.fix.value if r.fix else "-"
        extra = "" if r.enabled_by_default else " (off unless selected)"
        print(f"{r.code:<7} {r.name:<34} {r.severity.value:<8} {r.eras_label:<6} {fix}{extra}")
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
    from .server import build_server

    build_server().start_io()
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sst-lsp", description="Catch the mistakes that break Python Lambda functions built by SST with uv.")
    parser.add_argument("--version", action="version", version=f"sst-lsp {__version__}")
    parser.add_argument("--log-level", default="WARNING", help="log level for stderr (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="check every SST app under PATH and print diagnostics")
    p.add_argument("path", nargs="?", default=".", metavar="PATH")
    p.add_argument("--format", choices=["text", "json"], default="text")
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
