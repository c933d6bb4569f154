#!/usr/bin/env python3
"""Fails when Sources/ holds a construct that can trap at run time on input, database or tracker data:
force unwraps, `try!`, `as!`, `fatalError`/`preconditionFailure`, Int(...) of a floating value (use Int(exactly:)),
and subscripts by a literal index without a bounds check on the same line. A line that is provably safe says why in a
`// trap-safe: <reason>` comment on that line or the one above. Run by `make test`."""
import re
import sys
from pathlib import Path

RULES = [
    ("force unwrap", re.compile(r"[\w\)\]]!(?=[\s\.\,\)\]\}:;]|$)")),
    ("try!", re.compile(r"\btry!")),
    ("as!", re.compile(r"\bas!")),
    ("trap call", re.compile(r"\b(fatalError|preconditionFailure|precondition|assertionFailure)\s*\(")),
    ("Int(Double) conversion", re.compile(r"\b(U?Int(8|16|32|64)?)\((?!exactly:|truncatingIfNeeded:|bitPattern:|clamping:)"
                                          r"[^()]*\b(number|double|seconds|interval|timeout|total|connect)\b[^()]*\)")),
    ("subscript by literal index", re.compile(r"\w\[\d+\]")),
]


def strip(line):
    """The code of a line without string literals and comments (good enough for these patterns)."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    return line.split("//", 1)[0]


def main(root):
    problems = []
    for path in sorted(Path(root).rglob("*.swift")):
        lines = path.read_text().splitlines()
        for number, raw in enumerate(lines, 1):
            if "trap-safe:" in raw or (number > 1 and "trap-safe:" in lines[number - 2]):
                continue
            code = strip(raw)
            if not code.strip():
                continue
            for name, pattern in RULES:
                if pattern.search(code) and not (name == "subscript by literal index" and ".count" in code):
                    problems.append(f"{path}:{number}: {name}: {raw.strip()}")
    for problem in problems:
        print(problem)
    print(f"check-traps: {len(problems)} problem(s) in {root}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "Sources"))
