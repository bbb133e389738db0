"""docs/SECURITY.md stays true: every test it cites exists (the file, and the test function in it), every path it names
exists, every control row names a test or says "no test yet", and every row or risk it refers to is there. Pure
Python over the repository's files: no build, no database. Also the code rule its row W-08 cites: the C modules are
imported by their one wrapper file only."""
import ast
import re

from conftest import ROOT

DOC = ROOT / "docs" / "SECURITY.md"
ROW_ID = re.compile(r"^(?:S0|S2|S3|W|P)-\d{2}$")
# A test reference: `Tests/<path>.py::<test>[::<test>]` (a pytest node id; a parametrized id's `[…]` is allowed) or
# `Tests/<Target>/<File>.swift::<name>` (a swift-testing function in that file).
TEST_REF = re.compile(r"`(Tests/[^`\s:<>]+\.(?:py|swift))::([^`\s<>]+)`")
PATH_REF = re.compile(r"`((?:Tests|Sources|scripts|docs|functions|fuzz|template|events|bench)/[^`\s:<>]*)`")
ID_MENTION = re.compile(r"\b((?:S0|S2|S3|W|P)-\d{2})\b")
RISK_MENTION = re.compile(r"\bR(\d+)\b")
LINK = re.compile(r"\]\(([^)#\s:]+)(?:#[^)]*)?\)")
NO_TEST = "no test yet"


def python_tests(path):
    """The node-id suffixes pytest can collect from a file: `test_x` and `TestClass::test_x`."""
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            found.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                    found.add(f"{node.name}::{item.name}")
    return found


def swift_has_test(text, name):
    """`func name(` declared under an `@Test` attribute (with or without arguments), no other function between."""
    for match in re.finditer(rf"\bfunc\s+{re.escape(name)}\s*\(", text):
        before = text[:match.start()]
        attribute = before.rfind("@Test")
        if attribute != -1 and "func " not in before[attribute:]:
            return True
    return False


def table_rows(text):
    """(line number, cells) of every markdown table row."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("|") and line.rstrip().endswith("|"):
            yield number, [cell.strip() for cell in line.strip()[1:-1].split("|")]


def problems(text, root=ROOT, doc_dir=None):
    """Everything wrong with a SECURITY.md text, as readable lines (empty when all holds)."""
    doc_dir = doc_dir or root / "docs"
    found, collected = [], {}
    for file, test in TEST_REF.findall(text):
        path = root / file
        if not path.is_file():
            found.append(f"{file}::{test}: no such file")
            continue
        if file.endswith(".py"):
            if file not in collected:
                collected[file] = python_tests(path)
            if test.split("[", 1)[0] not in collected[file]:
                found.append(f"{file}::{test}: no such test function in the file")
        elif not swift_has_test(path.read_text(), test):
            found.append(f"{file}::{test}: no @Test func {test} in the file")

    ids = {}
    for number, cells in table_rows(text):
        if not ROW_ID.match(cells[0]):
            continue
        if cells[0] in ids:
            found.append(f"line {number}: {cells[0]} is also the id of line {ids[cells[0]]}")
        ids[cells[0]] = number
        tests = cells[-1]
        if len(cells) < 4:
            found.append(f"line {number}: {cells[0]} has no Tests column")
        elif not TEST_REF.search(tests) and NO_TEST not in tests.lower():
            found.append(f"line {number}: {cells[0]} names no test and does not say \"{NO_TEST}\"")
    if not ids:
        found.append("no control rows (| S0-01 | … |) found")

    # Paths must exist, globs aside; a pending row names the files its work will add.
    for number, line in enumerate(text.splitlines(), 1):
        pending = line.startswith("|") and "pending" in line.rstrip().rstrip("|").rsplit("|", 1)[-1]
        for ref in PATH_REF.findall(line):
            if any(c in ref for c in "*?[") or pending:
                continue
            if not (root / ref.rstrip("/")).exists():
                found.append(f"line {number}: {ref} does not exist")
        for link in LINK.findall(line):
            if not link.startswith(("http://", "https://")) and not (doc_dir / link).exists():
                found.append(f"line {number}: the link {link} leads nowhere")

    for mention in sorted(set(ID_MENTION.findall(text)) - set(ids)):
        found.append(f"{mention} is mentioned but has no row")
    risks = {int(n) for n in re.findall(r"^- \*\*R(\d+)\.", text, re.M)}
    for mention in sorted({int(n) for n in RISK_MENTION.findall(text)} - risks):
        found.append(f"R{mention} is mentioned but is not a residual risk")
    return found


def test_every_cited_test_and_path_exists_and_every_row_names_a_test():
    text = DOC.read_text()
    assert problems(text) == []
    # What the check covers, so that a change of format cannot make it vacuous.
    assert len(TEST_REF.findall(text)) > 150
    assert sum(1 for _, cells in table_rows(text) if ROW_ID.match(cells[0])) > 80
    for seed in ("S0-", "S2-", "S3-", "W-", "P-"):
        assert f"| {seed}01 |" in text, seed


def test_the_check_finds_what_is_wrong(tmp_path):
    """A page with a missing file, a missing Python test, a missing Swift test, a Swift function that is no test, a row
    without a test, a duplicate id, a path and a link that lead nowhere and references to rows and risks that do not
    exist: each is reported, and a correct page is not."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "Tests" / "e2e").mkdir(parents=True)
    (tmp_path / "Tests" / "e2e" / "test_a.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('x', [1])\ndef test_one(x):\n    pass\n\n\n"
        "class TestGroup:\n    def test_two(self):\n        pass\n\n\ndef helper():\n    pass\n")
    (tmp_path / "Tests" / "ATests").mkdir()
    (tmp_path / "Tests" / "ATests" / "A.swift").write_text(
        "@Suite struct A {\n    @Test(arguments: [(1, 2)])\n    func parametrized(a: Int, b: Int) {}\n"
        "    func helper() {}\n    @Test func plain() {}\n}\n")
    (tmp_path / "docs" / "OTHER.md").write_text("")
    header = "| ID | Threat | Control | Tests |\n| --- | --- | --- | --- |\n"
    good = header + (
        "| S0-01 | t | `docs/OTHER.md` | `Tests/e2e/test_a.py::test_one[1]`, "
        "`Tests/e2e/test_a.py::TestGroup::test_two` |\n"
        "| S0-02 | t (S0-01) | c | `Tests/ATests/A.swift::parametrized`, `Tests/ATests/A.swift::plain` |\n"
        "| S0-03 | t | c | no test yet |\n"
        "| P-01 | t | c | no test yet: pending, `Tests/e2e/test_later.py` |\n"
        "\nSee [other](OTHER.md) and R1.\n\n- **R1. A risk.**\n")
    assert problems(good, tmp_path) == []
    bad = header + (
        "| S0-01 | t | c | `Tests/e2e/test_gone.py::test_one` |\n"
        "| S0-02 | t | c | `Tests/e2e/test_a.py::test_three`, `Tests/e2e/test_a.py::helper` |\n"
        "| S0-03 | t | c | `Tests/ATests/A.swift::missing`, `Tests/ATests/A.swift::helper` |\n"
        "| S0-04 | t | `Sources/Nowhere.swift` | none |\n"
        "| S0-04 | t (W-09) | c | no test yet |\n"
        "\nSee [other](MISSING.md) and R2.\n\n- **R1. A risk.**\n")
    assert problems(bad, tmp_path) == [
        "Tests/e2e/test_gone.py::test_one: no such file",
        "Tests/e2e/test_a.py::test_three: no such test function in the file",
        "Tests/e2e/test_a.py::helper: no such test function in the file",
        "Tests/ATests/A.swift::missing: no @Test func missing in the file",
        "Tests/ATests/A.swift::helper: no @Test func helper in the file",
        "line 6: S0-04 names no test and does not say \"no test yet\"",
        "line 7: S0-04 is also the id of line 6",
        "line 6: Sources/Nowhere.swift does not exist",
        "line 9: the link MISSING.md leads nowhere",
        "W-09 is mentioned but has no row",
        "R2 is mentioned but is not a residual risk",
    ]


def test_the_readme_and_the_architecture_link_the_threat_model():
    for doc, link in ((ROOT / "README.md", "docs/SECURITY.md"), (ROOT / "docs" / "ARCHITECTURE.md", "SECURITY.md")):
        assert f"]({link})" in doc.read_text(), doc


# ----------------------------------------------------------------------------------- the code rule of row W-08
def test_c_modules_are_imported_only_by_their_wrapper_files():
    """Each C target (a directory with an `include/` of its own) is imported by exactly its one Swift wrapper file, so
    every call into OpenSSL, libcurl, libpq, c-ares and the system shim goes through the typed errors of that file."""
    wrappers = {"CCrypto": "Sources/WardenCrypto/Crypto.swift", "CCurl": "Sources/Curl/Curl.swift",
                "CLibPQ": "Sources/Postgres/LibPQ.swift", "CResolver": "Sources/Postgres/Resolver.swift",
                "CWardenSystem": "Sources/Platform/Platform.swift", "CFuzzer": "fuzz/Support/Fuzz.swift"}
    targets = {p.parent.name for p in [*ROOT.glob("Sources/*/include"), *ROOT.glob("fuzz/*/include")] if p.is_dir()}
    assert targets == set(wrappers), "a C target was added or removed: name its wrapper here"
    pattern = re.compile(r"^\s*(?:@_implementationOnly\s+|(?:internal|private|fileprivate|package|public)\s+)?"
                         r"import\s+(?:(?:struct|func|enum|var|let|class|typealias)\s+)?(\w+)", re.M)
    importers = {}
    for top in ("Sources", "functions", "fuzz", "bench", "Tests"):
        for path in (ROOT / top).rglob("*.swift"):
            if ".build" in path.parts:
                continue
            for module in pattern.findall(path.read_text()):
                if module in wrappers:
                    importers.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    assert importers == {module: {file} for module, file in wrappers.items()}
