"""``python -m codemods``: list the codemods, or run one as ``python -m codemods NAME ...``.

``python -m codemods all ...`` runs every codemod in one pass (``codemods.chain``).
"""

import sys

from codemods import chain, runner


def describe() -> list[str]:
    """One line per registered codemod, in the order of the codes it fixes.

    A broken module is shown (first), not fatal to the listing.
    """
    entries: list[tuple[str, str, str]] = []
    for name, import_path in runner.CODEMODS.items():
        try:
            codemod = runner.load_codemod(import_path)
        except Exception as error:  # any import-time bug must still leave the listing usable
            entries.append(("", name, f"(unavailable: {type(error).__name__}: {error})"))
        else:
            fixes = ", ".join(codemod.fixes) or "-"
            entries.append((min(codemod.fixes, default="~"), name,
                            f"{codemod.summary} [fixes: {fixes}]"))
    width = max((len(name) for _, name, _ in entries), default=0)
    return [f"{name:<{width}}  {text}" for _, name, text in sorted(entries)]


def main(argv: list[str]) -> int:
    if argv and argv[0] == "all":
        return chain.main(argv[1:])
    if argv and not argv[0].startswith("-"):
        return runner.main(argv[0], argv[1:])
    if argv:
        sys.stderr.write("usage: python -m codemods [NAME|all [ARGS...]]\n")
        return 2
    print("\n".join(describe()))
    print("\nrun one with: python -m codemods.NAME --help")
    print("run them all in one pass (one read and one write per file): "
          "python -m codemods all PATH...")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
