"""Every repository path the docs name exists: README.md, CONTRIBUTING.md, CHANGELOG.md's unreleased part is
history and is not read, docs/*.md and fuzz/README.md are.

A path is a Markdown link target that is not a URL or an anchor (`[x](docs/status.md)`), or a code span that starts
with one of the repository's top-level folders (`src/status/mod.rs`, `scripts/test`, `examples/*.yaml`) or names
a top-level file (`Cargo.toml`). A glob must match something; `<placeholders>`, `$VARIABLES` and `...` are not
paths. A link's `#anchor` into a Markdown file must be one of that file's headings, as GitHub makes them. The
README stays a user's page: at most README_LIMIT bytes, the deep dives in docs/. Run from anywhere; exit 1 with one
line per problem.
"""

import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCS = ["README.md", "CONTRIBUTING.md", "fuzz/README.md", "tests/sql-corpus/README.md"]
TOP_FOLDERS = {p.name for p in REPO.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "target"}
TOP_FOLDERS.add(".ci")
TOP_FILES = {p.name for p in REPO.iterdir() if p.is_file()}
README_LIMIT = 30_000
CODE = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"```.*?```", flags=re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def candidates(text):
    for match in LINK.finditer(text):
        target = match.group(1).split("#", 1)[0]
        if target and not re.match(r"^[a-z]+:", target):
            yield target
    for match in CODE.finditer(text):
        span = match.group(1).strip()
        word = span.split()[0] if span.split() else ""
        # `scripts/test --lib` names scripts/test; `src/sql/parse.rs:12` names the file.
        word = re.sub(r":\d+$", "", word.rstrip(",.;:"))
        head = word.split("/", 1)[0]
        if ("/" in word and head in TOP_FOLDERS) or word in TOP_FILES:
            yield word


def anchors(doc):
    """The anchors GitHub gives a Markdown file's headings: lower case, punctuation but `-` and `_` dropped, spaces
    made `-`."""
    text = FENCE.sub("", doc.read_text())
    headings = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def broken_anchors(doc, text):
    for match in LINK.finditer(text):
        target, _, anchor = match.group(1).partition("#")
        if not anchor or re.match(r"^[a-z]+:", target):
            continue
        path = (doc.parent / target).resolve() if target else doc
        if path.suffix == ".md" and path.exists() and anchor not in anchors(path):
            yield match.group(1)


def exists(base, path):
    if any(mark in path for mark in ("<", ">", "$", "...", "{", "}")):
        return True
    path = path.rstrip("/")
    root = REPO if not path.startswith(("./", "../")) else base
    if any(c in path for c in "*?["):
        return any(root.glob(path))
    return (root / path).exists() or (REPO / path).exists() or (base / path).exists()


def self_test():
    """The checker finds what it must and leaves alone what it must, or the CI step proves nothing."""
    sample = "See `src/no/such.rs`, [it](docs/none.md), `scripts/test --lib`, `examples/*.yaml`, `<dir>/x`, `$TABLE`."
    found = [p for p in candidates(sample) if not exists(REPO, p)]
    assert found == ["docs/none.md", "src/no/such.rs"], found
    readme = REPO / "README.md"
    links = "[a](#quick-start) [b](docs/status.md#how-it-decides) [c](#no-such-heading) [d](docs/cli.md#nor-this)"
    bad = list(broken_anchors(readme, links))
    assert bad == ["#no-such-heading", "docs/cli.md#nor-this"], bad


def main():
    self_test()
    files = [REPO / d for d in DOCS] + sorted((REPO / "docs").glob("*.md"))
    missing = []
    checked = 0
    for doc in files:
        if not doc.exists():
            continue
        text = doc.read_text()
        # Fenced blocks are commands and output, not references (their paths are checked where they run).
        text = FENCE.sub("", text)
        for path in candidates(text):
            checked += 1
            if not exists(doc.parent, path):
                missing.append(f"{doc.relative_to(REPO)}: `{path}` does not exist")
        for link in broken_anchors(doc, text):
            missing.append(f"{doc.relative_to(REPO)}: `{link}` names no heading of its file")
    size = (REPO / "README.md").stat().st_size
    if size > README_LIMIT:
        missing.append(f"README.md is {size:,} bytes, over {README_LIMIT:,}: move a deep dive to docs/")
    for line in missing:
        print(f"check-doc-paths: {line}")
    print(f"check-doc-paths: {checked} paths named in {len(files)} documents, {len(missing)} missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
