"""lessongen.py - seeded random VALID lessons for the stress runner.

A lesson is drawn in two passes. Pass 1 (`draw`) picks a network and a
set-up and writes every line that needs no value of the trace: shapes of 1
to 6 processing layers (at times 7 to 10 narrow ones, or a chain of
1-neuron layers; weights and inputs at times scaled to 1e-6..1e5) with scrambled or consecutive ids, full or listed
(sparse) arcs, skip arcs, outputs fed by their bias alone, nobias, labels,
aliases, tied and frozen weights, every activation (parameters and other
spellings too) and loss, seeded initialisations, batches, decay, steps,
update no, the perceptron rule, dropout, batch and input normalisation,
rounding, digits, notation, chain, grading keys, vary lines, notes with
LaTeX specials and Unicode, comments, tabs and CR LF line ends. Pass 2
(`finish`) reads the trace of pass 1's lesson (`run --format json`) and
adds the lines that name quantities: expect lines with the true values
(so `run` must then exit 0), `expect A = B` facts, ask and points.

The activations and losses come from `nntrace --help`, the notations and
the keys from `nntrace keys`, so a new row is drawn without a change here;
a new KEY must get a writer here: key_coverage() fails until 400 seeds
write it.
"""

import decimal
import fnmatch
import random
import re
import subprocess

class Catalogue:
    """What the binary says it knows: activations, losses, notations, keys."""

    def __init__(self, binary):
        helptext = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
        keys = subprocess.run([binary, "keys"], capture_output=True, text=True, check=True).stdout
        acts = re.search(r"lesson activations \(\d+, any case\):\n(.*?)\nlesson losses", helptext, re.S)
        losses = re.search(r"lesson losses \(\d+\): (.*)", helptext)
        if not acts or not losses:
            raise SystemExit("lessongen: cannot read the activations and losses from `nntrace --help`")
        self.acts = []                      # (name, takes a parameter)
        for word in re.split(r"[,\s]+", acts.group(1).strip()):
            if word:
                self.acts.append((word.replace("(s)", "").replace("(a)", ""), "(" in word))
        self.losses = [w.strip() for w in losses.group(1).split(",")]
        self.keys = re.findall(r"^  ([a-z][a-z-]*) ", keys, re.M)
        nota = re.search(r"^  notation ([a-z|]+)", keys, re.M)
        if not self.keys or not nota:
            raise SystemExit("lessongen: cannot read the keys from `nntrace keys`")
        self.notations = nota.group(1).split("|")


def key_coverage(cat, seeds=range(1, 401)):
    """Keys of `nntrace keys` that no lesson of these seeds writes (must be
    none). Pass 1 of each seed, then pass 2 on a stand-in trace of one
    computed quantity; no binary runs, so this is cheap."""
    stand_in = [{"name": "in_3", "display": "in_3", "formula": "w_0,3*a_0", "value": 0.25, "carried": 0.25}]
    written = set()
    for seed in seeds:
        L = draw(seed, cat)
        finish(L, stand_in)
        written |= L.keys
    return [k for k in cat.keys if k not in written]


# Other spellings the parser takes (README, "Activations and losses").
ACT_SPELLINGS = {"identity": ["linear"], "step": ["threshold"], "logistic": ["sigmoid", "Logistic"],
                 "arctan": ["atan"], "relu": ["ReLU"], "leaky-relu": ["leaky_relu", "lrelu"]}
LOSS_SPELLINGS = {"sse": ["squared-error"], "bce": ["cross-entropy"]}
LOSS_NEEDS_OUT = {"bce": "logistic", "softmax-ce": "softmax"}
TEXT_BITS = ["50% of $x_1$ & {braces} #hash ~tilde ^caret \\backslash", "Unicode: α, Δ₃, −0.5, “quoted”",
             "a_j = g(in_j); dJ/dw_i,j", "<b>not html</b> 'single' \"double\"", "tab\there", "    "]


def num(r, lo, hi, dec=None):
    """A number in [lo, hi] as a lesson may write it, and its value."""
    d = dec if dec is not None else r.choice([1, 2, 3, 4, 4, 4])
    v = round(r.uniform(lo, hi), d)
    if v == 0:
        v = 0.0
    s = f"{v:.{d}f}"
    form = r.random()
    if form < 0.05 and v != 0:
        s = f"{v:.3e}"
        v = float(s)
    elif form < 0.1 and 0 < v < 1:
        s = "+" + s
    elif form < 0.15 and 0 < abs(v) < 1:
        s = s.replace("0.", ".", 1)
    return s, float(s)


class Lesson:
    pass


def draw(seed, cat):
    """Pass 1: the lesson for seed, without the lines that name quantities."""
    r = random.Random(seed)
    L = Lesson()
    L.seed = seed
    L.keys = set()
    lines = []

    def emit(key, *words, sep=" "):
        L.keys.add(key)
        lines.append(key + sep + " ".join(str(w) for w in words) if words else key)

    # the widenings draw from their own generator, so that a seed whose
    # lesson no widening touches is the lesson it always was (seeds named
    # in commits and tests stay reproducible)
    wide = random.Random(f"wide {seed}")
    L.odd = []                  # the widenings this seed takes
    perceptron = r.random() < 0.1
    n_proc = 1 if perceptron else r.choice([1, 1, 2, 2, 2, 3, 3, 4, 5, 6])
    n_in = r.randint(1, 4)
    sizes = [r.randint(1, 4) for _ in range(n_proc)]
    if not perceptron and wide.random() < 0.08:     # deep: 7 to 10 layers of 1 or 2 neurons
        n_proc = wide.randint(7, 10)
        sizes = [wide.choice([1, 1, 2]) for _ in range(n_proc)]
        L.odd.append("deep")
    elif not perceptron and n_proc > 1 and wide.random() < 0.1:   # a chain of 1-neuron layers
        sizes = [1] * (n_proc - 1) + sizes[-1:]
        L.odd.append("narrow")
    # the loss and the output activation
    if perceptron:
        loss = None
        acts = ["step"]
    else:
        loss = r.choice(cat.losses)
        names = [a for a, _ in cat.acts if a != "softmax"]
        acts = [r.choice(names) for _ in range(n_proc)]
        if loss in LOSS_NEEDS_OUT:
            acts[-1] = LOSS_NEEDS_OUT[loss]
        if acts[-1] == "softmax":
            sizes[-1] = r.randint(2, 5)
        elif r.random() < 0.2:
            sizes[-1] = r.randint(3, 6)              # more outputs than arcs into them, at times
    # ids: consecutive, or scrambled
    total = n_in + sum(sizes)
    ids = list(range(1, total + 1)) if r.random() < 0.6 else r.sample(range(1, 10000), total)
    L.inputs = ids[:n_in]
    L.layers = []
    at = n_in
    for s in sizes:
        L.layers.append(ids[at:at + s])
        at += s
    L.outputs = L.layers[-1]
    layer_of = {i: 0 for i in L.inputs}
    for k, ly in enumerate(L.layers):
        for j in ly:
            layer_of[j] = k + 1
    # labels
    L.label = {}
    if r.random() < 0.4:
        for k, i in enumerate(L.inputs):
            if r.random() < 0.6:
                L.label[i] = f"i{k + 1}"
        for ly_k, ly in enumerate(L.layers):
            for k, j in enumerate(ly):
                if r.random() < 0.6:
                    L.label[j] = f"{'o' if ly_k == n_proc - 1 else 'h' + str(ly_k + 1) + '_'}{k + 1}"

    def nm(i):
        """A neuron as a lesson may name it: its id or its label."""
        return L.label[i] if i in L.label and r.random() < 0.7 else str(i)

    # arcs: (i, j); i = 0 is the bias
    listed = r.random() < 0.4 and not perceptron
    bias_only_out = listed and r.random() < 0.3       # outputs fed by their bias alone
    arcs = []
    nobias = set()
    prev = L.inputs
    earlier = list(L.inputs)
    for ly_k, ly in enumerate(L.layers):
        for j in ly:
            into = []
            if not listed:
                into = list(prev)
            elif not (bias_only_out and ly_k == n_proc - 1):
                into = [i for i in prev if r.random() < 0.55]
            if not perceptron and ly_k > 0 and not (bias_only_out and ly_k == n_proc - 1):
                skips = [i for i in earlier if i not in prev and r.random() < 0.1]
                into += skips
            if into and r.random() < 0.12:
                nobias.add(j)
            else:
                arcs.append((0, j))
            arcs += [(i, j) for i in into]
        earlier += ly
        prev = ly
    L.arcs = arcs
    adjacent = {(i, j) for (i, j) in arcs if i != 0 and layer_of[j] == layer_of[i] + 1}

    # seeded initialisation
    init = r.random() < 0.35
    init_layers = {}
    if r.random() < 0.2:
        for k in range(1, n_proc + 1):
            if r.random() < 0.5:
                init_layers[k] = (r.choice(["xavier", "xavier-normal", "he"]), r.randint(0, 2 ** 31 - 1))

    def covered(a):                 # drawn when it has no weight line
        i, j = a
        if listed and i != 0:
            return False            # a listed arc is a weight line
        if i != 0 and a not in adjacent:
            return False            # a skip arc exists by its line
        return init or layer_of[j] in init_layers

    # ties (backprop): groups of two or three arcs, each arc in one tie at most
    L.ties = {}
    tied = {}
    if not perceptron and len(arcs) >= 2 and r.random() < 0.35:
        pool = list(arcs)
        r.shuffle(pool)
        for t in range(r.randint(1, 2)):
            k = r.randint(2, 3)
            if len(pool) < k:
                break
            group, pool = pool[:k], pool[k:]
            name = f"b{t + 1}" if r.random() < 0.5 else f"shared{t + 1}"
            L.ties[name] = group
            for a in group:
                tied[a] = name
    # aliases
    L.alias = {}
    if r.random() < 0.35:
        n = 0
        for a in arcs:
            if r.random() < 0.4:
                n += 1
                L.alias[a] = f"w{n}" if r.random() < 0.5 else f"q{n}"

    def wname(a, allow_alias=True):
        if allow_alias and a in L.alias and r.random() < 0.6:
            return L.alias[a]
        i, j = a
        return f"w_{nm(i) if i else 0},{nm(j)}"

    # weight values
    L.w = {}
    for a in arcs:
        L.w[a] = num(r, -1.5, 1.5)
    w_scale = wide.choice([1e-4, 1e-3, 30.0, 100.0]) if wide.random() < 0.08 else None
    if w_scale:                 # very small or very large weights
        for a in arcs:
            text = f"{L.w[a][1] * w_scale:.4e}"
            L.w[a] = (text, float(text))
        L.odd.append(f"weights x{w_scale:g}")
    for name, group in L.ties.items():
        v = L.w[group[0]]
        for a in group:
            L.w[a] = v

    # --- the lines -------------------------------------------------------
    emit("title", f"stress {seed}: " + r.choice(["a random lesson", TEXT_BITS[0], TEXT_BITS[1], "x" * 200]))
    if r.random() < 0.6:
        emit("source", r.choice(TEXT_BITS[:4]) + " (generated)")
    if r.random() < 0.5:
        for _ in range(r.randint(1, 3)):
            emit("note", r.choice(TEXT_BITS))
        if r.random() < 0.5:
            emit("note")            # a paragraph break
            emit("note", "after the break")
    emit("input", *L.inputs)
    for k, ly in enumerate(L.layers):
        act = acts[k]
        word = act
        params = dict(cat.acts)
        if params.get(act) and r.random() < 0.6:
            word = f"{act}({r.choice(['0.1', '0.2', '0.3', '0.05', '1', '0.5'])})"
        elif act in ACT_SPELLINGS and r.random() < 0.3:
            word = r.choice(ACT_SPELLINGS[act])
        emit("layer", word, *ly)
    for i, name in L.label.items():
        emit("label", i, name)
    if listed:
        emit("arcs", "listed")
    elif r.random() < 0.2:
        emit("arcs", "full")
    if nobias:
        emit("nobias", *[nm(j) for j in sorted(nobias, key=str)])
    if init:
        kind = r.choice(["uniform", "xavier", "xavier-normal", "he"])
        if kind == "uniform":
            emit("init", "uniform", "-0.5", r.choice(["0.5", "1", "0.75"]), r.randint(0, 2 ** 31 - 1))
        else:
            emit("init", kind, r.randint(0, 2 ** 31 - 1))
    for k, (kind, s) in init_layers.items():
        emit("init-layer", k, kind, s)
    for a, name in L.alias.items():
        emit("alias", name, wname(a, allow_alias=False))
    for name, group in L.ties.items():
        emit("tie", name, "=", *[wname(a) for a in group])
        lined = [a for a in group if (listed and a[0] != 0) or (a[0] != 0 and a not in adjacent)
                 or r.random() < 0.3]
        for a in lined:
            emit("weight", wname(a), "=", L.w[a][0])      # every line of a tie gives one value
        if not lined and (not init or r.random() < 0.5):     # (with a line too: 'duplicate weight')
            emit("weight", name, "=", L.w[group[0]][0])
    for a in arcs:
        if a in tied or (covered(a) and r.random() < 0.8):
            continue
        emit("weight", wname(a), "=", L.w[a][0])
    L.frozen = []
    if r.random() < 0.3:
        names = []
        for a in arcs:
            if r.random() < 0.2:
                names.append(tied[a] if a in tied and r.random() < 0.5 else wname(a))
        if names:
            emit("freeze", *names)

    # examples and training
    n_ex = r.randint(1, 6)
    L.with_y = True
    L.steps = 0
    L.uses_rate = False
    batchnorm = dropout = normalise = False
    if perceptron:
        emit("rule", "perceptron")
        emit("epochs", r.randint(1, 8))
        emit("rate", r.choice(["1", "0.5", "0.1", "0.25"]))
        n_ex = r.randint(2, 6)
        L.uses_rate = True
    else:
        if r.random() < 0.2:
            emit("rule", "backprop")
        batchnorm = n_proc >= 1 and r.random() < 0.08 and not (n_proc == 1 and acts[0] == "softmax")
        if batchnorm:
            n_ex = max(n_ex, 2)
            L.with_y = r.random() < 0.6
            emit("steps", 0)
            bl = r.randint(1, n_proc)
            if acts[bl - 1] == "softmax":
                bl = 1 if n_proc > 1 else bl
            emit("batchnorm", bl, num(r, 0.5, 2)[0], num(r, -1, 1)[0])
        else:
            kind = r.random()
            if kind < 0.1:
                L.steps = 0
                emit("steps", 0)
                L.with_y = r.random() < 0.5
            elif kind < 0.2:
                emit("update", "no")
                L.steps = r.randint(1, 3)
                if r.random() < 0.5:
                    emit("steps", L.steps)
                else:
                    L.steps = 1
            else:
                L.steps = r.randint(1, 5) if r.random() < 0.85 else r.randint(21, 30)
                if r.random() < 0.3:
                    emit("update", "yes")
                if L.steps != 1 or r.random() < 0.7:
                    emit("steps", L.steps)
                L.uses_rate = True
            if L.steps > 0 and L.uses_rate or r.random() < 0.2:
                emit("rate", num(r, 0.01, 1.0, 2)[0])
            if L.steps > 0 and r.random() < 0.3:
                emit("decay", num(r, 0.001, 0.1, 3)[0])
            if L.steps > 0 and r.random() < 0.4:
                n_ex = max(n_ex, 2)
                emit("batch", r.randint(1, n_ex))
            if L.steps > 0 and n_proc > 1 and r.random() < 0.15:
                dropout = True
                emit("dropout", r.randint(1, n_proc - 1), r.choice(["0", "0.2", "0.5", "0.75"]),
                     r.randint(0, 999))
        if r.random() < 0.15:
            normalise = True
            n_ex = max(n_ex, 2)
            emit("normalise", r.choice(["zscore", "minmax"]))
    L.n_ex = n_ex
    if L.with_y and not perceptron:
        word = loss
        if loss in LOSS_SPELLINGS and r.random() < 0.3:
            word = r.choice(LOSS_SPELLINGS[loss])
        emit("loss", word)
    L.perceptron = perceptron
    out_act = acts[-1]
    L.n_steps = L.steps if not perceptron else None
    x_scale = wide.choice([1e-6, 1e-3, 1e3, 1e5]) if wide.random() < 0.08 else None
    if x_scale and not perceptron:
        L.odd.append(f"inputs x{x_scale:g}")
    for e in range(n_ex):
        x = [num(r, -2, 2, r.choice([0, 1, 2, 3]))[0] if not perceptron or r.random() < 0.5
             else str(r.randint(0, 1)) for _ in L.inputs]
        if r.random() < 0.05:
            x[0] = num(r, -60, 60, 1)[0]        # saturating
        if x_scale and not perceptron:          # very small or very large inputs
            x = [f"{float(v) * x_scale:.3e}" for v in x]
        if not L.with_y:
            emit("example", *x)
            continue
        n_out = len(L.outputs)
        if perceptron:
            y = [str(r.randint(0, 1)) for _ in L.outputs]
        elif out_act == "softmax" or (n_out == 1 and loss == "bce"):
            hot = r.randint(1, n_out) if n_out > 1 else r.randint(0, 1)
            if r.random() < 0.5:
                emit("example", *x, "->", "class", hot)
                continue
            y = [str(int(k + 1 == hot)) for k in range(n_out)] if n_out > 1 else [str(hot)]
        elif loss == "bce":
            y = [num(r, 0, 1, 2)[0] for _ in L.outputs]
        else:
            y = [num(r, -1.5, 1.5)[0] for _ in L.outputs]
        emit("example", *x, "->", *y)

    # shown steps
    total_steps = L.steps if not perceptron else None
    if not perceptron and L.steps > 0 and r.random() < 0.4:
        t = r.random()
        if t < 0.25:
            emit("trace", "all")
        elif t < 0.4:
            emit("trace", "none")
        else:
            top = L.steps + (1 if False else 0)
            emit("trace", *sorted(set(r.randint(1, top) for _ in range(r.randint(1, 3)))))
        if r.random() < 0.5:
            emit("report", *sorted(set(r.randint(1, L.steps) for _ in range(r.randint(1, 3)))))
    elif perceptron and r.random() < 0.4:
        emit("trace", r.choice(["1", "all", "none", "1 2"]))
        if r.random() < 0.4:
            emit("report", 1)
    if (L.steps > 0 or perceptron) and r.random() < 0.4:
        emit("final-forward", r.choice(["yes", "yes", "no"]))
    if r.random() < 0.5:
        emit("digits", r.randint(0, 9))
    if r.random() < 0.2 and not perceptron:
        emit("round", r.randint(1, 6))
    if r.random() < 0.4:
        emit("notation", r.choice(cat.notations))
    if r.random() < 0.3:
        emit("chain", r.choice(["yes", "no"]))
    # grading keys
    if r.random() < 0.2:
        emit("ecf", r.choice(["full", "half", "none", "0.25"]))
    if r.random() < 0.15:
        emit("tolerance", r.choice(["0.01", "0.5%", "0.001"]))
    if r.random() < 0.15:
        emit("answer-decimals", r.randint(1, 6))
    if r.random() < 0.1:
        emit("sigfigs", r.randint(2, 6))
    if r.random() < 0.1:
        emit("short-credit", r.choice(["0", "0.5", "1"]))
    if r.random() < 0.1:
        emit("ecf-depth", r.randint(0, 4))
    if r.random() < 0.15:
        emit("feedback", r.choice(["verdict", "hint", "full"]))
    # variants: each line draws a given no earlier line draws
    L.vary = False
    if r.random() < 0.2:
        givens = []                     # (the names of one given, which key draws it)
        for a in arcs:
            if a not in tied:
                givens.append(tuple([f"w_{a[0]},{a[1]}"] + ([L.alias[a]] if a in L.alias else [])))
        givens += [(t,) for t in L.ties]
        givens += [(f"x_{i}",) for i in L.inputs]
        if L.with_y:
            givens += [(f"y_{j}",) for j in L.outputs]
        if L.uses_rate and L.steps != 0:
            givens.append(("rate",))
        drawn = set()
        for _ in range(r.randint(1, 3)):
            free = [g for g in givens if g not in drawn]
            if not free:
                break
            g = r.choice(free)
            pat = r.choice(g)
            if pat.startswith("w_") and r.random() < 0.5:
                pat = "w_*,*"
            elif pat.startswith("x_") and r.random() < 0.3:
                pat = "x_*"
            if pat == "rate":
                emit("vary", pat, "choice", "0.1", "0.25", "0.5")
            elif r.random() < 0.5:
                emit("vary", pat, "uniform", "-1", "1", "step", r.choice(["0.1", "0.25", "0.05"]))
            else:
                emit("vary", pat, "choice", *[num(r, -1, 1, 1)[0] for _ in range(r.randint(1, 4))])
            drawn |= {h for h in givens if any(fnmatch.fnmatchcase(n, pat) for n in h)}
            L.vary = True
        if r.random() < 0.5:
            emit("vary-limit", r.choice(["3", "4", "6", "10"]))
    L.lines = lines
    L.rng = r
    return L


def finish(L, records):
    """Pass 2: expect (true values), facts, ask and points, from the trace
    of pass 1 (`run --format json`: a list of records)."""
    r = L.rng
    lines = []
    computed = [q for q in records if q["formula"] and q["value"] is not None]
    finite = [q for q in records if q["value"] is not None]
    shown = {}
    for q in records:               # a display name may be shared (inputs carry no ^(t))
        shown[q["display"]] = shown.get(q["display"], 0) + 1
    if finite and r.random() < 0.7:
        for q in r.sample(finite, min(len(finite), r.randint(1, 6))):
            name = q["display"] if r.random() < 0.5 and shown[q["display"]] == 1 else q["name"]
            if name.startswith("y_") and shown[q["display"]] == 1:
                name = q["display"]     # y_j is a target in va, an activation in bar: ambiguous
            v = q["value"]
            d = r.randint(1, 6)
            if abs(v) >= 1e12 or " " in name or name.startswith("y_"):
                continue
            # as a calculator prints it: half away from zero on the decimal (repr) of v,
            # never printf's rounding of the binary value (-1.3475 is -1.348, not -1.347)
            text = str(decimal.Decimal(repr(v)).quantize(decimal.Decimal(1).scaleb(-d), decimal.ROUND_HALF_UP))
            if float(text) == 0 and v != 0 and r.random() < 0.5:
                text = f"{v:.{d}e}"
            lines.append(f"expect {name} = {text}")
            L.keys.add("expect")
        q = r.choice(finite)
        if r.random() < 0.4 and not q["name"].startswith("y_"):
            lines.append(f"expect {q['name']} = {q['name']}")
    if computed and r.random() < 0.3:
        pats = set()
        for q in r.sample(computed, min(len(computed), r.randint(1, 3))):
            n = q["name"]
            base = n.split("^")[0].split("[")[0]
            pat = re.sub(r"_[^_]*$", "_*", base) if "_" in base else base + "*"
            pats.add(pat if r.random() < 0.5 and fnmatch.fnmatchcase(n, pat) else n)
        lines.append("ask " + " ".join(sorted(pats)))
        L.keys.add("ask")
    if computed and r.random() < 0.3:
        q = r.choice(computed)
        lines.append(f"points {q['name']} = {r.choice(['2', '0.5', '0', '3'])}")
        L.keys.add("points")
    return lines


def render(L, extra, r=None):
    """The lesson's text: lines shuffled (keys come in any order), comments,
    tabs and, at times, CR LF line ends."""
    r = r or L.rng
    body = list(L.lines) + list(extra)
    head, rest = body[:1], body[1:]
    if r.random() < 0.5:                # any order, but layers, examples, notes and varys keep theirs
        r.shuffle(rest)
        for key in ("layer", "example", "note", "vary"):
            slots = [k for k, line in enumerate(rest) if line.split(" ")[0] == key]
            mine = [line for line in body[1:] if line.split(" ")[0] == key]
            for k, line in zip(slots, mine):
                rest[k] = line
    out = []
    for line in head + rest:
        if r.random() < 0.1:
            out.append("# " + r.choice(TEXT_BITS))
        if r.random() < 0.1:
            line = line.replace(" ", "\t", 1)
        if r.random() < 0.05 and not line.startswith(("title", "source", "note")):
            line += "   # a comment"
        out.append(line)
    eol = "\r\n" if r.random() < 0.1 else "\n"
    return eol.join(out) + eol
