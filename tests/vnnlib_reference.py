"""An independent strict reader of the VNN-LIB shape milpinv writes, in the line-oriented style of
VNN-COMP's own scripts: declarations, one bound per assert, or one (assert (or (and ...) ...)).
It shares no code with milpinv.interop.vnnlib, so a writer bug cannot hide behind its reader."""

import re

import numpy as np

DECLARE = re.compile(r"\(declare-const ([XY])_(\d+) Real\)")
BOUND = re.compile(r"\((<=|>=) ([XY])_(\d+) (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\)")
OR = re.compile(r"\(assert \(or ((?:\(and (?:\((?:<=|>=) [XY]_\d+ [^()]+\) ?)+\) ?)+)\)\)")


def statements(text: str) -> list[str]:
    """Top-level s-expressions, comments removed, whitespace collapsed."""
    text = " ".join(line.split(";")[0] for line in text.splitlines())
    out, depth, start = [], 0, None
    for i, ch in enumerate(text):
        if ch == "(":
            start = i if depth == 0 else start
            depth += 1
        elif ch == ")":
            depth -= 1
            assert depth >= 0, "unbalanced )"
            if depth == 0:
                out.append(re.sub(r"\s+", " ", text[start : i + 1]).replace("( ", "(").replace(" )", ")"))
        elif depth == 0:
            assert ch.isspace(), f"text outside an expression: {ch!r}"
    assert depth == 0, "unbalanced ("
    return out


def read(text: str):
    """(n, m, x_lower, x_upper, [(y_lower, y_upper), ...]); AssertionError on anything else."""
    declared = {"X": [], "Y": []}
    bounds, disjuncts = [], None
    for s in statements(text):
        if m := DECLARE.fullmatch(s):
            declared[m.group(1)].append(int(m.group(2)))
        elif m := re.fullmatch(r"\(assert (.*)\)", s):
            inner = m.group(1)
            if b := BOUND.fullmatch(inner):
                bounds.append(b.groups())
            else:
                assert disjuncts is None and OR.fullmatch(s), f"unexpected statement {s[:80]}"
                disjuncts = [BOUND.findall(t) for t in re.findall(r"\(and ((?:\([^()]*\) ?)+)\)", inner)]
        else:
            raise AssertionError(f"unexpected statement {s[:80]}")
    n, m = len(declared["X"]), len(declared["Y"])
    assert declared["X"] == list(range(n)) and declared["Y"] == list(range(m)), "declarations out of order"
    box = {"X": [np.full(n, -np.inf), np.full(n, np.inf)], "Y": [np.full(m, -np.inf), np.full(m, np.inf)]}
    for op, kind, i, value in bounds:
        box[kind][1 if op == "<=" else 0][int(i)] = float(value)
    outputs = []
    for term in disjuncts or [[]]:
        lo, hi = box["Y"][0].copy(), box["Y"][1].copy()
        for op, kind, i, value in term:
            assert kind == "Y", "milpinv writes input bounds outside the disjunction"
            (hi if op == "<=" else lo)[int(i)] = float(value)
        outputs.append((lo, hi))
    return n, m, box["X"][0], box["X"][1], outputs
