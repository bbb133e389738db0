"""SQL text comes from string literals only: `SQL` takes a `StaticString`, so a statement built from a string —
concatenated, interpolated, read from a variable or from input — does not compile. Checked with the compiler itself:
small programs against the built `Postgres` module (the debug build `make test` makes first) are type-checked, and
only the literal one passes."""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

BUILT = [
    ('let table = "contracts"\n_ = SQL("SELECT * FROM " + table)', "concatenation"),
    ('let id = 5\n_ = SQL("SELECT * FROM contracts WHERE arr = \\(id)")', "interpolation"),
    ('let text = "SELECT 1"\n_ = SQL(text)', "a String variable"),
    ('_ = SQL(CommandLine.arguments[0])', "input"),
    ('let parts = ["SELECT", "1"]\n_ = SQL(parts.joined(separator: " "))', "a joined array"),
]


def typecheck(tmp_path, body):
    """(return code, compiler output) of type-checking `import Postgres` + `body` against the debug build."""
    swiftc = Path("/opt/swift/usr/bin/swiftc")
    swiftc = str(swiftc) if swiftc.exists() else "swiftc"
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "PATH": f"/opt/swift/usr/bin:{os.environ.get('PATH', '')}"},
                              timeout=120).stdout.strip()
    debug = Path(bin_path)
    assert (debug / "Modules" / "Postgres.swiftmodule").exists(), f"no debug build of Postgres in {debug}: run `swift build`"
    args = [swiftc, "-typecheck", "-I", str(debug / "Modules"), "-I", str(ROOT / ".deps" / "prefix" / "include")]
    for module in ("CWardenSystem", "CLibPQ", "CResolver"):
        args += ["-Xcc", f"-fmodule-map-file={debug / f'{module}.build' / 'module.modulemap'}",
                 "-I", str(ROOT / "Sources" / module / "include")]
    source = tmp_path / "main.swift"
    source.write_text(f"import Postgres\n{body}\n")
    out = subprocess.run([*args, str(source)], capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout + out.stderr


def test_a_literal_statement_compiles(tmp_path):
    code, out = typecheck(tmp_path, '_ = SQL("SELECT 1 WHERE $1::text IS NOT NULL")')
    assert code == 0, out


@pytest.mark.parametrize("body,how", BUILT, ids=[how for _, how in BUILT])
def test_a_statement_built_from_a_string_does_not_compile(tmp_path, body, how):
    code, out = typecheck(tmp_path, body)
    assert code != 0, f"SQL from {how} compiled"
    assert "StaticString" in out, out
