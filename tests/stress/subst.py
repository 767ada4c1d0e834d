"""subst.py - re-evaluate a trace record's substituted form.

A record of `run --format json` shows its operation with the operands'
numbers substituted ("0.35*1 + 0.15*0.05", "1/(1+exp(-0.3775))",
"(x>=0 ? x : 0.3*(exp(x)-1))", "mean of (v - 3)^2 over 1, 2, 3, 6").
evaluate() computes such a text with Python's own arithmetic, and
bound() how far the result may move when each printed number moves by half
a unit of its last digit, so the stress runner can check that every record's
value is what its own printed numbers give: the trace's formula text and
its value, two outputs of the engine's one evaluator, must agree.
"""

import math
import re

TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)|([a-z]+)|(>=|<=|[-+*/^(),?:<>]))")
FUNCS = {"exp": math.exp, "ln": math.log, "sqrt": math.sqrt, "tanh": math.tanh, "atan": math.atan,
         "max": max, "min": min, "step": lambda x: 1.0 if x >= 0 else 0.0}


class Unknown(Exception):
    """A text this evaluator does not read (the runner skips it)."""


def tokens(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Unknown(text[pos:pos + 20])
        pos = m.end()
        if m.group(1):
            out.append(("num", m.group(1)))
        elif m.group(2):
            out.append(("name", m.group(2)))
        else:
            out.append(("op", m.group(3)))
    return out


class Parser:
    """expr := cmp ['?' expr ':' expr]; cmp := sum [('>='|...) sum];
    sum := prod {('+'|'-') prod}; prod := unary {('*'|'/') unary};
    unary := '-' unary | pow; pow := atom ['^' unary]."""

    def __init__(self, toks, nums):
        self.t, self.k, self.nums = toks, 0, nums

    def peek(self):
        return self.t[self.k] if self.k < len(self.t) else ("end", "")

    def take(self, want=None):
        tok = self.peek()
        if want and tok[1] != want:
            raise Unknown(f"expected {want}, got {tok[1]}")
        self.k += 1
        return tok

    def expr(self):
        c = self.cmp()
        if self.peek()[1] == "?":
            self.take("?")
            a = self.expr()
            self.take(":")
            b = self.expr()
            return a if c else b
        return c

    def cmp(self):
        a = self.sum()
        op = self.peek()[1]
        if op in (">=", "<=", ">", "<"):
            self.take()
            b = self.sum()
            return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]
        return a

    def sum(self):
        v = self.prod()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            w = self.prod()
            v = v + w if op == "+" else v - w
        return v

    def prod(self):
        v = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            w = self.unary()
            v = v * w if op == "*" else v / w
        return v

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            return -self.unary()
        return self.pow()

    def pow(self):
        v = self.atom()
        if self.peek()[1] == "^":
            self.take()
            return math.pow(v, self.unary())
        return v

    def atom(self):
        kind, s = self.take()
        if kind == "num":
            return self.nums.pop(0)
        if kind == "name":
            if s not in FUNCS:
                raise Unknown(s)
            self.take("(")
            args = [self.expr()]
            while self.peek()[1] == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            return FUNCS[s](*args)
        if s == "(":
            v = self.expr()
            self.take(")")
            return v
        raise Unknown(s)


MEAN_OF = re.compile(r"^mean of \((v - (.*))\)\^2 over (.*)$")


def _eval(toks, nums):
    p = Parser(toks, list(nums))
    v = p.expr()
    if p.peek()[0] != "end":
        raise Unknown(p.peek()[1])
    return float(v)


def _parse(text, digits):
    """(a function of the numbers, the numbers, each one's half unit: of
    the digits decimals the trace shows, trailing zeros cut, or of the last
    digit of a number in e-notation)."""
    m = MEAN_OF.match(text.strip())
    if m:                       # mean of (v - mu)^2 over a, b, ...: a variance
        parts = [m.group(2)] + m.group(3).split(",")
        parsed = [tokens(p) for p in parts]
        counts = [sum(1 for t in p if t[0] == "num") for p in parsed]

        def f(nums):
            vals, at = [], 0
            for p, c in zip(parsed, counts):
                vals.append(_eval(p, nums[at:at + c]))
                at += c
            mu, xs = vals[0], vals[1:]
            return sum((x - mu) ** 2 for x in xs) / len(xs)
        toks = [t for p in parsed for t in p]
    else:
        toks = tokens(text)

        def f(nums):
            return _eval(toks, nums)
    strs = [s for k, s in toks if k == "num"]
    nums = [float(s) for s in strs]
    halves = []
    for s in strs:
        mant, _, exp = s.partition("e")
        if exp:
            dec = len(mant.split(".")[1]) if "." in mant else 0
            halves.append(0.5 * 10.0 ** (-dec + int(exp)))
        else:
            halves.append(0.5 * 10.0 ** -digits)
    return f, nums, halves


def check(text, value, digits):
    """None when value is what text, printed to digits decimals, gives
    (within what those digits explain), else (the text's value, the bound);
    Unknown when the text is not read, ArithmeticError/ValueError when it
    overflows or has no value."""
    f, nums, halves = _parse(text, digits)
    v = f(nums)
    bound = 0.0
    for k, h in enumerate(halves):        # each number half a unit up and down
        for sgn in (1, -1):
            moved = list(nums)
            moved[k] += sgn * h
            try:
                bound += 0.5 * abs(f(moved) - v)
            except (ArithmeticError, ValueError):
                bound = math.inf
    slack = 2 * bound + 1e-12 * max(abs(v), abs(value)) + 1e-300
    if not math.isfinite(v) or abs(v - value) <= slack:
        return None
    return v, slack
