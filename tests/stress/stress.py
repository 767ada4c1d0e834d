#!/usr/bin/env python3
"""stress.py - every command of nntrace on seeded random valid lessons.

    python3 tests/stress/stress.py --bin build/asan/nntrace --seeds 40 [--first S] [--jobs 2]
                                   [--keep DIR] [--viewers K] [--profile] [--keys-only]

For each seed, lessongen.py draws a valid lesson (pass 1), `run --format
json` reads its trace, and pass 2 adds expectations with the true values,
facts, ask and points. Then every command runs on it: run (text, JSON, CSV,
-o, --chain, every notation, --exact/--rounded, --passes, --all-steps,
--width), step from a pipe, quiz from a pipe with a transcript, xlsx and
xlsx --exercise, tex, tex --beamer, tex --fragment, dot (forward and
backward), template, check with a sheet of the true values (and a spoilt
one; --json, --csv, --gradebook, --gradescope), gradcheck, template
--student / variants / check --student for a lesson with `vary`, and `new`
of the lesson's shape, run as written.

A finding is: a sanitizer report; a signal; a hang (timeout); an exit status
other than 0, 1 or 2; exit 2 on the valid lesson, or any exit 2 whose message
names no file:line; a temporary output file left behind or an output missing
after exit 0; a workbook that is not a valid zip (or that gnumeric's
ssconvert rejects, for the first K seeds, whose LaTeX pdflatex must also
compile); and the cross-view invariants:
JSON and CSV hold the same records and values; every value of the text
trace (`run --golden --digits 12`) is its JSON record's value to 12
decimals; every record's substituted form (`--digits 12`), evaluated by
subst.py, gives its value; `run -o` writes what `run` prints; `run` passes the true
expectations; `check` gives a sheet of the true values full marks and a
spoilt sheet less. Exit status 1 when there is any finding (each printed
with its seed and a command to reproduce it; --keep DIR keeps the lessons
of the failing seeds), 2 on bad usage.
"""

import argparse
import concurrent.futures
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lessongen  # noqa: E402
import subst  # noqa: E402

SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer")
FILE_LINE = re.compile(r"(^|\s)[^\s:]+:(\d+:)? ")
TIMEOUT = 60
ENV = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8", COLUMNS="80",
           ASAN_OPTIONS="exitcode=99:detect_leaks=1", UBSAN_OPTIONS="exitcode=98:print_stacktrace=1")


class Seed:
    """One seed's lesson, commands and findings."""

    def __init__(self, binary, seed, cat, work):
        self.bin, self.seed, self.cat, self.dir = binary, seed, cat, work
        self.findings = []
        self.times = {}
        self.lesson = os.path.join(work, "L.lesson")

    def finding(self, what, argv=None, detail=""):
        cmd = " ".join(self.shell(a) for a in argv) if argv else ""
        self.findings.append(f"seed {self.seed}: {what}" + (f"\n    $ {cmd}" if cmd else "") +
                             (f"\n    {detail.strip()[:1500]}" if detail.strip() else ""))

    @staticmethod
    def shell(a):
        return a if re.fullmatch(r"[\w./=,:@%+^-]+", a) else "'" + a.replace("'", "'\\''") + "'"

    def nt(self, *args, stdin=None, ok=(0, 1), lesson_ok2=False, binary=None):
        """Run nntrace ARGS in the seed's directory; check the invariants every
        command shares. Returns (status, stdout, stderr) or None on a finding
        that leaves nothing to compare."""
        argv = [binary or self.bin] + [str(a) for a in args]
        before = set(os.listdir(self.dir))
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, cwd=self.dir, input=stdin, capture_output=True, timeout=TIMEOUT, env=ENV)
        except subprocess.TimeoutExpired:
            self.finding(f"hang (no exit within {TIMEOUT} s)", argv)
            return None
        key = " ".join([argv[1]] + [a for a in argv[2:] if a.startswith("--")][:1])
        self.times[key] = self.times.get(key, 0.0) + time.monotonic() - t0
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        tmp = [f for f in set(os.listdir(self.dir)) - before if ".tmp-" in f]
        if tmp:
            self.finding(f"temporary file left behind: {tmp}", argv)
        if SANITIZER.search(err) or p.returncode in (98, 99):
            self.finding("sanitizer report", argv, err[-3000:])
            return None
        if p.returncode < 0:
            self.finding(f"killed by signal {-p.returncode}", argv, err[-1000:])
            return None
        if p.returncode not in (0, 1, 2):
            self.finding(f"exit status {p.returncode}", argv, err[-1000:])
            return None
        if p.returncode == 2 and not FILE_LINE.search(err):
            self.finding("exit 2 without a file:line message", argv, err)
        elif p.returncode not in ok and not (p.returncode == 2 and lesson_ok2):
            self.finding(f"exit status {p.returncode} (expected {' or '.join(map(str, ok))})", argv,
                         err[-1500:] or out[-1500:])
        return p.returncode, out, err

    # ------------------------------------------------------------------
    def build(self):
        L = lessongen.draw(self.seed, self.cat)
        with open(self.lesson, "w", newline="") as f:
            f.write(lessongen.render(L, [], r=__import__("random").Random(self.seed)))
        r = self.nt("run", "L.lesson", "--format", "json")
        if not r:
            return None
        if r[0] == 2:
            self.finding("the generated lesson (pass 1) is refused", ["nntrace", "run", self.lesson], r[2])
            return None
        records = json.loads(r[1])
        extra = lessongen.finish(L, records)
        with open(self.lesson, "w", newline="") as f:
            f.write(lessongen.render(L, extra))
        self.L = L
        return L

    def values(self, fmt_args=()):
        r = self.nt("run", "L.lesson", "--format", "json", *fmt_args)
        return json.loads(r[1]) if r and r[0] != 2 else None

    def run_all(self):
        L = self.build()
        if not L:
            return self.findings
        nonfinite = False
        recs = self.values()
        if recs is None:
            self.finding("the generated lesson (pass 2) is refused", ["nntrace", "run", self.lesson])
            return self.findings
        nonfinite = any(q["value"] is None for q in recs)
        self.recs = recs
        # a hand-rounded lesson (`round R`) shows a carried value to R decimals
        with open(self.lesson) as f:
            m = re.search(r"^round\s+(\d+)", f.read(), re.M)
        self.round_digits = int(m.group(1)) if m else 12
        self.hand_rounded = bool(m)
        # a lesson that traces no step (`trace none`) has nothing to ask: exit 2, with its name
        self.none_asked = not any(q["formula"] for q in recs)
        bad_ok = self.bad_ok = (0, 1) if nonfinite else (0,)
        self.cross_views(recs, bad_ok)
        self.runs(L)
        self.interactive(L, recs)
        self.outputs(L, bad_ok)
        self.grading(L, recs, nonfinite)
        self.shape(L)
        return self.findings

    # ------------------------------------------------------------------
    def cross_views(self, recs, bad_ok):
        # CSV = JSON
        c = self.nt("run", "L.lesson", "--format", "csv")
        if c and c[0] != 2:
            rows = list(csv.DictReader(io.StringIO(c[1])))
            if len(rows) != len(recs):
                self.finding(f"CSV has {len(rows)} records, JSON {len(recs)}", ["nntrace", "run", "L.lesson",
                                                                              "--format", "csv"])
            for row, q in zip(rows, recs):
                name = row["name"].lstrip("'")
                v = row["value"]
                if name != q["name"] or (q["value"] is None) != (v in ("", "nan", "inf", "-inf", "null")) or \
                        (q["value"] is not None and float(v) != float(q["value"])):
                    # (float(): JSON's 75508088354916660, the shortest form of a
                    # double above 2^53, reads in Python as that exact integer)
                    self.finding(f"CSV record {row['id']} ({name} = {v}) differs from JSON ({q['name']} = "
                                 f"{q['value']})", ["nntrace", "run", "L.lesson", "--format", "csv"])
                    break
        # text = JSON, to as many decimals as the largest value leaves
        # resolved: |v| 10^d < 2^48, a sixteenth of a unit or finer (the
        # trace's tie window, 64 DBL_EPSILON of |v| 10^d, is capped at a
        # sixteenth, eval.c round_dp; before the cap, 150 at 12 decimals
        # showed as 150.000000000001)
        big = max([abs(q["value"]) for q in recs if q["value"] is not None] + [1.0])
        d = max(0, min(12, int(math.floor(math.log10(2.0 ** 48 / big)))))
        t = self.nt("run", "L.lesson", "--golden", "--digits", str(d), ok=bad_ok)
        if t and t[0] != 2:
            self.text_vs_json(t[1], recs, d)
        # in each notation a shown name is one quantity's (in the layer
        # notation a skip arc was named as the adjacent arc: seed 1284)
        for nota in (self.cat.notations[self.seed % len(self.cat.notations)], "layer"):
            n = self.values(("--notation", nota)) if nota != "layer" or self.seed % 2 == 0 else None
            by_shown = {}
            for q in n or []:           # (a target or an input shows no ^(t): one name for all t)
                by_shown.setdefault(q["display"], set()).add(re.sub(r"\^\(\d+\)", "", q["name"]))
            two = sorted((k, sorted(v)) for k, v in by_shown.items() if len(v) > 1)
            if two:
                self.finding(f"in the {nota} notation {two[0][0]} names {', '.join(two[0][1])}",
                             ["nntrace", "run", "L.lesson", "--format", "json", "--notation", nota])
        # every record's substituted numbers give its value (subst.py)
        j = self.nt("run", "L.lesson", "--format", "json", "--digits", "12")
        if j and j[0] != 2:
            self.formulas_vs_values(json.loads(j[1]))
        # run -o writes what run prints
        g = self.nt("run", "L.lesson", "--golden", ok=bad_ok)
        o = self.nt("run", "L.lesson", "--golden", "-o", "out.txt", ok=bad_ok)
        if g and o and o[0] != 2:
            with open(os.path.join(self.dir, "out.txt")) as f:
                if f.read() != g[1]:
                    self.finding("run -o out.txt differs from run's standard output",
                                 ["nntrace", "run", "L.lesson", "--golden", "-o", "out.txt"])

    def text_vs_json(self, text, recs, d):
        by_display = {}
        for q in recs:
            by_display.setdefault(q["display"], []).append(q)
        line_re = re.compile(r"^  (\S+) = .*?(?:= |~ )(-?[0-9][0-9.e+-]*|inf|-inf|nan)$")
        for line in text.splitlines():
            m = line_re.match(line)
            if not m or m.group(1) not in by_display:
                continue
            qs = by_display[m.group(1)]
            shown = m.group(2)
            if any(q["value"] is None for q in qs) or shown in ("inf", "-inf", "nan"):
                continue
            if not any(self.rounds_to(shown, v, dd) for q in qs for v in (q["value"], q["carried"])
                       for dd in {d, self.round_digits}):
                self.finding(f"text shows {m.group(1)} = {shown} to {d} decimals, JSON has " +
                             ", ".join(repr(q["value"]) for q in qs[:4]),
                             ["nntrace", "run", "L.lesson", "--golden", "--digits", str(d)], line)
                return

    def formulas_vs_values(self, recs):
        """Each record's substituted form (its operands' numbers and the
        constants, to 12 decimals) evaluates to its value, within what the
        printed digits explain. (Not judged: ELU's g' in a hand-rounded
        lesson, shown as a + alpha but computed as alpha e^in from in's
        carried value, act_table.c elu_dg; a known difference.)"""
        for q in recs:
            if not q["formula"] or q["value"] is None or any("log argument" in n for n in q["notes"]) or \
                    re.search(r"nan|inf", q["substituted"]):
                continue            # (a log argument below 1e-12 taken as 1e-12, as its note says;
                                    # an overflowed operand: relu(nan) is 0)
            if self.hand_rounded and q["kind"] == "deriv" and re.search(r": a\S*\+", q["formula"]):
                continue
            try:
                bad = subst.check(q["substituted"], q["value"], 12)
            except subst.Unknown as e:
                self.finding(f"the substituted form of {q['name']} is not read (at '{e}'): {q['substituted']}",
                             ["nntrace", "run", "L.lesson", "--format", "json", "--digits", "12"])
                return
            except (ArithmeticError, ValueError):
                continue                # overflows in Python's arithmetic (exp(800)): not judged
            if bad:
                self.finding(f"{q['name']} = {q['substituted']} gives {bad[0]!r}, the record's value is "
                             f"{q['value']!r} (bound {bad[1]:.3g})",
                             ["nntrace", "run", "L.lesson", "--format", "json", "--digits", "12"])
                return

    @staticmethod
    def rounds_to(shown, v, d):
        """Is shown v to d decimals, as the trace rounds: half away from zero,
        and a value within 64 DBL_EPSILON (relative, of |v| 10^d, at most a
        sixteenth of a unit) below a tie counts as the tie (eval.c round_dp)?
        A value that would print as 0 is shown with its digits (%.{d-1}e)."""
        if v is None:
            return False
        x = float(shown)
        if v != 0 and abs(v) < 0.5 * 10.0 ** -d:
            return abs(x - v) <= 0.5 * 10.0 ** -(max(d, 2) - 1) * abs(v) * 1.000001
        s = abs(v) * 10.0 ** d
        lo = math.floor(s)
        frac = s - lo
        ups = {lo + 1} if frac >= 0.5 else {lo}
        if abs(frac - 0.5) <= min(2.0 ** -46 * max(1.0, s), 2.0 ** -4) + 2.0 ** -50 * s:
            ups |= {lo, lo + 1}                  # a tie up to representation error: either way
        return any(abs(x - math.copysign(u / 10.0 ** d, v)) <= 1e-15 * max(1.0, abs(x)) for u in ups)

    def runs(self, L):
        """run's options, two of four per seed (each seed is cheaper; every
        option comes round every other seed)."""
        nota = self.cat.notations
        k = self.seed % 4
        variants = [
            ("run", "L.lesson", "--chain", "--notation", nota[self.seed % len(nota)], "--unicode",
             "--width", "50"),
            ("run", "L.lesson", "--exact", "--notation", nota[(self.seed + 1) % len(nota)]),
            ("run", "L.lesson", "--rounded", str(self.seed % 5 + 1), "--ascii"),
            ("run", "L.lesson", "--passes", "forward,backward,update", "--all-steps", "--format", "csv"),
        ]
        for args in (variants[k], variants[(k + 1) % 4]):
            self.nt(*args, ok=(0, 1))
        self.nt("run", "L.lesson", "--digits", str(self.seed % 13), "--all-steps", "--chain", "--width",
                str(30 + self.seed % 50), ok=(0, 1))
        # (a saturated output, where the loss took a log argument as 1e-12,
        # is "log guard", not wrong: seed 318)
        self.nt("gradcheck", "L.lesson", ok=self.bad_ok)

    def interactive(self, L, recs):
        computed = [q for q in recs if q["formula"] and q["value"] is not None]
        name = computed[self.seed % len(computed)]["name"] if computed else "a_0"
        script = "\n".join(["", "n", "nnb", "p", f"g {name}", "?", "b", "r", "nnnn", "p", "q"]) + "\n"
        self.nt("step", "L.lesson", "--ascii", stdin=script.encode(), ok=(0,))
        if self.seed % 2:
            self.nt("step", "L.lesson", "--chain", "--unicode", stdin=b"\n" * 40, ok=(0,))
        answers = []
        for k, q in enumerate(computed[:6]):
            answers += [repr(q["value"])] if k % 2 == 0 else ["0.123", "", "?", repr(q["value"])]
        answers.append("q")
        ask = ["--ask", name] if self.seed % 3 == 0 else []
        self.nt("quiz", "L.lesson", *ask, "--transcript", "quiz.txt", "--ascii",
                stdin=("\n".join(answers) + "\n").encode(), ok=(0, 1), lesson_ok2=self.none_asked)
        # the template's quantities (the quiz asks the same by default), each
        # answered with its value: a full score (exit 0)
        t = self.nt("template", "L.lesson", ok=(0,), lesson_ok2=self.none_asked)
        if t and t[0] == 0:
            by = {}
            for q in recs:
                by.setdefault(q["display"], q)
            for q in recs:
                by.setdefault(q["name"], q)
            asked = [by.get(m.group(1)) for m in re.finditer(r"^(\S.*?) = *$", t[1], re.M)]
            if all(q and q["value"] is not None for q in asked):
                exact = "".join(repr(q["value"]) + "\n" for q in asked)
                self.nt("quiz", "L.lesson", "--decimals", str(1 + self.seed % 6), "--ascii", stdin=exact.encode(),
                        ok=(0,))

    def outputs(self, L, bad_ok):
        for args, out in ((["xlsx", "L.lesson", "-o", "w.xlsx"], "w.xlsx"),
                          (["xlsx", "L.lesson", "--exercise", "-o", "e.xlsx", "--sheet-word", "Schritt"], "e.xlsx"),
                          (["xlsx", "L.lesson", "--chain", "--all-steps", "-o", "c.xlsx"] if self.seed % 3 == 0
                           else ["xlsx", "L.lesson", "--notation", self.cat.notations[self.seed % 4], "-o", "c.xlsx"],
                           "c.xlsx"),
                          (["tex", "L.lesson", "-o", "t.tex"], "t.tex"),
                          (["tex", "L.lesson", "--beamer", "-o", "b.tex"], "b.tex"),
                          (["tex", "L.lesson", "--fragment", "--chain", "-o", "f.tex"], "f.tex"),
                          (["tex", "L.lesson", "--beamer", "--all-steps", "--digits", str(self.seed % 9),
                            "--notation", self.cat.notations[(self.seed + 3) % 4], "-o", "d.tex"], "d.tex"),
                          (["dot", "L.lesson", "-o", "n.dot"], "n.dot")):
            r = self.nt(*args, ok=bad_ok if args[0] == "xlsx" else (0,),
                        lesson_ok2=self.none_asked and "--exercise" in args)
            path = os.path.join(self.dir, out)
            if r and r[0] == 0 and not os.path.exists(path):
                self.finding(f"exit 0 but no {out}", ["nntrace"] + args)
            if r and r[0] == 2 and os.path.exists(path):
                self.finding(f"exit 2 but {out} written", ["nntrace"] + args)
            if out.endswith(".xlsx") and os.path.exists(path):
                try:
                    with zipfile.ZipFile(path) as z:
                        bad = z.testzip()
                    if bad:
                        self.finding(f"{out}: bad zip member {bad}", ["nntrace"] + args)
                except zipfile.BadZipFile as e:
                    self.finding(f"{out}: not a zip ({e})", ["nntrace"] + args)
        back = sorted({q["step"] + 1 for q in self.recs if q["pass"] == "backward"})
        if back:
            self.nt("dot", "L.lesson", "--pass", "backward", "--step", str(back[self.seed % len(back)]),
                    "--ascii", ok=(0,))

    def grading(self, L, recs, nonfinite):
        r = self.nt("template", "L.lesson", "-o", "sheet.txt", ok=(0,), lesson_ok2=self.none_asked)
        if not r or r[0] != 0:
            return
        # the sheet names quantities as the lesson's notation displays them;
        # a canonical name is only a fallback (err_6 may display as err_1
        # while another record displays as err_6)
        by = {}
        for q in recs:
            by.setdefault(q["display"], q)
        for q in recs:
            by.setdefault(q["name"], q)
        filled, spoilt, n = [], [], 0
        with open(os.path.join(self.dir, "sheet.txt")) as f:
            for line in f:
                m = re.match(r"^(\S.*?) = *$", line.rstrip("\n"))
                if not m or line.startswith("#"):
                    filled.append(line.rstrip("\n"))
                    spoilt.append(line.rstrip("\n"))
                    continue
                q = by.get(m.group(1))
                if q is None:
                    self.finding(f"template asks '{m.group(1)}', which names no record of run --format json",
                                 ["nntrace", "template", "L.lesson"])
                    return
                v = q["value"]
                filled.append(f"{m.group(1)} = {v!r}" if v is not None else line.rstrip("\n"))
                # every answer far from its value and from the hand-rounded one
                # (a `digits 0` lesson accepts anything within 0.5 of its
                # integer operands' sum), so that the sheet loses points even
                # where a `points` line makes the first answer worth 0
                spoilt.append(f"{m.group(1)} = {v + 1000.0 + abs(v)!r}" if v is not None
                              else line.rstrip("\n"))
                n += 1
        for name, lines in (("right.txt", filled), ("spoilt.txt", spoilt)):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write("\n".join(lines) + "\n")
        # (a lesson with `vary` flags a sheet that names no student: exit 1)
        c = self.nt("check", "L.lesson", "right.txt", ok=(0, 1) if nonfinite or L.vary else (0,))
        if n:
            self.nt("check", "L.lesson", "spoilt.txt", ok=(1,))
        if self.seed % 2:
            self.nt("check", "L.lesson", "right.txt", "spoilt.txt", "--json", "--notation",
                    self.cat.notations[self.seed % 4], ok=(0, 1))
        else:
            self.nt("check", "L.lesson", "right.txt", "spoilt.txt", "--csv", "g.csv", "--gradebook", "gb.csv",
                    "--quiet", ok=(0, 1))
        self.nt("check", "L.lesson", "spoilt.txt", "--gradescope", "results.json", "--reveal", "after_due_date",
                ok=(0, 1))
        path = os.path.join(self.dir, "results.json")
        if os.path.exists(path):
            try:
                with open(path) as f:
                    json.load(f)
            except ValueError as e:
                self.finding(f"results.json is not JSON ({e})", ["nntrace", "check", "L.lesson", "spoilt.txt",
                                                                 "--gradescope", "results.json"])
        del c
        # a sheet in another notation, filled from that notation's records,
        # gets the same full marks
        nota = self.cat.notations[(self.seed + 1) % len(self.cat.notations)]
        t = self.nt("template", "L.lesson", "--notation", nota, ok=(0,))
        other = self.values(("--notation", nota))
        if t and t[0] == 0 and other:
            by = {}
            for q in other:
                by.setdefault(q["display"], q)
            lines = []
            for line in t[1].splitlines():
                m = re.match(r"^(\S.*?) = *$", line)
                q = by.get(m.group(1)) if m and not line.startswith("#") else None
                lines.append(f"{m.group(1)} = {q['value']!r}" if q and q["value"] is not None else line)
            with open(os.path.join(self.dir, "other.txt"), "w") as f:
                f.write("\n".join(lines) + "\n")
            # (with --notation: without, a name two notations give two
            # quantities is read in the lesson's, err_2 of a layer sheet as
            # neuron 2's err, not the second output's: seed 1060)
            self.nt("check", "L.lesson", "other.txt", "--notation", nota,
                    ok=(0, 1) if nonfinite or L.vary else (0,))
        if L.vary:
            # a draw may find no teachable variant: exit 2, with the lesson's file:line
            self.nt("template", "L.lesson", "--student", "ada@example.org", ok=(0,), lesson_ok2=True)
            with open(os.path.join(self.dir, "roster.csv"), "w") as f:
                f.write("email,name\nada@example.org,Ada\nbob@example.org,Bob\n")
            self.nt("variants", "L.lesson", "--roster", "roster.csv", "-o", "var", ok=(0,), lesson_ok2=True)
            self.nt("check", "L.lesson", "right.txt", "--student", "ada@example.org", ok=(0, 1), lesson_ok2=True)

    def shape(self, L):
        sizes = [len(L.inputs)] + [len(ly) for ly in L.layers]
        acts = ["logistic", "relu", "tanh", "identity", "elu", "leaky-relu"]
        args = ["new", "-".join(map(str, sizes)), "-o", "new.lesson"]
        if self.seed % 2:
            args += ["--act", acts[self.seed % len(acts)]]
        softmax1 = self.seed % 5 == 0 and sizes[-1] == 1     # refused: softmax over one output is 1
        if self.seed % 5 == 0:
            args += ["--out", "softmax"]
        if self.seed % 3 == 0:
            args += ["--init", "he", str(self.seed)]
        r = self.nt(*args, ok=(2,) if softmax1 else (0,))
        if r and r[0] == 0:
            self.nt("run", "new.lesson", ok=(0,))


def one(binary, seed, keep):
    cat = lessongen.Catalogue(binary)
    work = tempfile.mkdtemp(prefix=f"nntrace-stress-{seed}-")
    try:
        s = Seed(binary, seed, cat, work)
        found = s.run_all()
        if found and keep:
            dst = os.path.join(keep, f"seed-{seed}")
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
        return seed, found, s.times
    except Exception as e:           # a bug of the runner is a finding too, never a silent pass
        import traceback
        return seed, [f"seed {seed}: the runner failed: {e!r}\n{traceback.format_exc()}"], {}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def viewers(binary, seed):
    """Do the real programs take the seed's files: gnumeric's ssconvert the
    workbooks, pdflatex the LaTeX document and the Beamer deck?"""
    cat = lessongen.Catalogue(binary)
    work = tempfile.mkdtemp(prefix=f"nntrace-stress-view-{seed}-")
    try:
        s = Seed(binary, seed, cat, work)
        if not s.build():
            return s.findings
        if shutil.which("ssconvert"):
            for args in (["xlsx", "L.lesson", "-o", "w.xlsx"], ["xlsx", "L.lesson", "--exercise", "-o", "w.xlsx"]):
                r = s.nt(*args, ok=(0, 1))
                if not r or r[0] == 2:
                    continue
                p = subprocess.run(["ssconvert", "w.xlsx", "w.csv"], cwd=work, capture_output=True, text=True,
                                   timeout=300)
                if p.returncode != 0 or re.search(r"error|invalid|corrupt", p.stderr, re.I):
                    s.finding("ssconvert complains about the workbook", ["nntrace"] + args, p.stderr)
        if shutil.which("pdflatex"):
            for args in (["tex", "L.lesson", "-o", "t.tex"], ["tex", "L.lesson", "--beamer", "-o", "t.tex"]):
                r = s.nt(*args, ok=(0,))
                if not r or r[0] != 0:
                    continue
                p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=work,
                                   capture_output=True, text=True, timeout=300)
                if p.returncode != 0:
                    log = "\n".join(line for line in p.stdout.splitlines() if line.startswith(("!", "l.")))
                    s.finding("pdflatex fails on the document", ["nntrace"] + args, log or p.stdout[-1500:])
        return s.findings
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description="every command of nntrace on seeded random valid lessons")
    ap.add_argument("--bin", required=True, help="the nntrace binary (a sanitizer build)")
    ap.add_argument("--seeds", type=int, default=40, help="how many seeds (default 40)")
    ap.add_argument("--first", type=int, default=1, help="the first seed (default 1)")
    ap.add_argument("--jobs", type=int, default=2, help="seeds run at once (default 2)")
    ap.add_argument("--keep", help="copy the working directory of every failing seed here")
    ap.add_argument("--viewers", type=int, default=2, help="open the workbooks of the first K seeds in "
                    "gnumeric's ssconvert, compile their LaTeX with pdflatex (default 2)")
    ap.add_argument("--profile", action="store_true", help="print the time each command took in all")
    ap.add_argument("--keys-only", action="store_true", help="only check that every key has a writer")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    cat = lessongen.Catalogue(binary)
    missing = lessongen.key_coverage(cat)
    if missing:
        print(f"stress: FAILED: `nntrace keys` lists keys that 400 lessons of lessongen.py never write: "
              f"{', '.join(missing)}\n  add a writer for each to tests/stress/lessongen.py")
        return 1
    if a.keys_only:
        print(f"stress: lessongen.py writes all {len(cat.keys)} lesson keys")
        return 0
    seeds = range(a.first, a.first + a.seeds)
    findings = []
    times = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futs = [pool.submit(one, binary, s, a.keep) for s in seeds]
        futs += [pool.submit(viewers, binary, s) for s in list(seeds)[:a.viewers]]
        for f in futs:
            res = f.result()
            if isinstance(res, tuple):
                findings += res[1]
                for k, v in res[2].items():
                    times[k] = times.get(k, 0.0) + v
            else:
                findings += res
    for f in findings:
        print(f)
    if a.profile:
        for k, v in sorted(times.items(), key=lambda kv: -kv[1]):
            print(f"  {v:8.2f} s  {k}")
    print(f"stress: {a.seeds} seeds from {a.first} ({a.first}..{a.first + a.seeds - 1}), "
          f"{len(findings)} finding{'s' if len(findings) != 1 else ''}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
