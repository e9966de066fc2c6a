"""Starts the sst-lsp language server bundled with the VS Code extension.

Run as ``<python> -I <extension>/bundled/tool/serve.py``: ``-I`` keeps the user's site-packages,
PYTHON* variables and the working directory out of ``sys.path``; this script then puts
``bundled/libs`` (sst_lsp, its pure dependencies and the native modules for each supported
CPython) first. ``--probe`` imports everything the server needs and prints one JSON line about
the interpreter instead of serving, so the extension can say what is wrong before it starts.

Written for any Python 3 (no f-strings) so that an unsupported interpreter gets a sentence, not
a SyntaxError.
"""

import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = os.path.join(os.path.dirname(HERE), "libs")


def bundled_pythons():
    """The CPython versions the bundle has native modules for, from the files themselves."""
    versions = set()
    for path in glob.glob(os.path.join(LIBS, "tree_sitter", "_binding.*")):
        parts = os.path.basename(path).split(".")
        for tag in parts[1:-1]:
            for prefix in ("cpython-", "cp"):
                if tag.startswith(prefix):
                    digits = tag[len(prefix):].split("-")[0].split("_")[0]
                    if digits.isdigit() and len(digits) >= 3:
                        versions.add((int(digits[0]), int(digits[1:])))
    return sorted(versions)


def describe(versions):
    names = ["%d.%d" % v for v in versions]
    if not names:
        return "no Python version"
    return names[0] if len(names) == 1 else "%s–%s" % (names[0], names[-1])


def main(argv):
    probe = "--probe" in argv
    here = sys.version_info[:2]
    info = {"python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable}
    versions = bundled_pythons()
    error = None
    if tuple(here) not in versions:
        error = "the bundled server has native modules for CPython %s; this is %s %s (%s)" % (
            describe(versions),
            getattr(sys, "implementation", None) and sys.implementation.name or "python",
            info["python"],
            sys.executable,
        )
    else:
        sys.path.insert(0, LIBS)
        try:
            import sst_lsp
            import tree_sitter  # noqa: F401  (the native modules: fail here, not mid-session)
            import tree_sitter_toml  # noqa: F401
            import tree_sitter_typescript  # noqa: F401

            info["sst_lsp"] = sst_lsp.__version__
            info["location"] = os.path.dirname(sst_lsp.__file__)
        except Exception as exc:  # an incomplete or foreign bundle
            error = "the bundled server cannot be imported: %s: %s" % (type(exc).__name__, exc)
    if error is not None:
        info["error"] = error
    if probe:
        sys.stdout.write(json.dumps(info) + "\n")
        return 1 if error else 0
    if error is not None:
        sys.stderr.write("sst-lsp: %s\n" % error)
        return 3
    from sst_lsp.cli import main as cli_main

    return cli_main(["serve"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
