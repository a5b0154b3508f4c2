"""``python -m codemods``: list the codemods, or run one as ``python -m codemods NAME ...``."""

import sys

from codemods import runner


def describe() -> list[str]:
    """One line per registered codemod; a broken module is shown, not fatal to the listing."""
    width = max(map(len, runner.CODEMODS), default=0)
    lines = []
    for name, import_path in sorted(runner.CODEMODS.items()):
        try:
            codemod = runner.load_codemod(import_path)
        except Exception as error:  # any import-time bug must still leave the listing usable
            lines.append(f"{name:<{width}}  (unavailable: {type(error).__name__}: {error})")
        else:
            fixes = ", ".join(codemod.fixes) or "-"
            lines.append(f"{name:<{width}}  {codemod.summary} [fixes: {fixes}]")
    return lines


def main(argv: list[str]) -> int:
    if argv and not argv[0].startswith("-"):
        return runner.main(argv[0], argv[1:])
    if argv:
        sys.stderr.write("usage: python -m codemods [NAME [ARGS...]]\n")
        return 2
    print("\n".join(describe()))
    print("\nrun one with: python -m codemods.NAME --help")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
