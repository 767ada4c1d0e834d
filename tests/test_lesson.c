/*
 * test_lesson.c - the lesson parser: good lessons load, and every kind of
 * bad lesson gets its exact "file:line: message".
 */
#include "testutil.h"

#include "lesson.h"

/* Lines 1-9 of a valid lesson (07-2a's network). */
#define BASE_HEAD "title T\ninput 1 2\nlayer logistic 3\n"
#define BASE_W    "weight w_0,3 = 0.1\nweight w_1,3 = 0.1\nweight w_2,3 = 0.1\n"
#define BASE_TAIL "loss sse\nrate 0.5\nexample 0.4 0.5 -> 1\n"
#define BASE BASE_HEAD BASE_W BASE_TAIL

static void expect_error(const char *text, size_t len, const char *want)
{
    char err[1024];
    lesson *l = lesson_parse(text, len, "t.lesson", err, sizeof err);
    if (l) {
        lesson_free(l);
        fail_msg("lesson parsed, expected error: %s", want);
    }
    if (strcmp(err, want) != 0) fail_msg("error\n  got:  %s\n  want: %s", err, want);
}

#define BAD(text, want) expect_error((text), sizeof(text) - 1, (want))

static void test_valid_base(void **state)
{
    (void)state;
    char err[512];
    lesson *l = lesson_parse(BASE, strlen(BASE), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_int_equal(l->n_in, 2);
    assert_int_equal(l->n_layers, 1);
    assert_int_equal(l->n_arcs, 3);
    assert_int_equal(l->steps, 1);             /* `rate` given: one step by default */
    assert_int_equal(lesson_arc_index(l, 2, 3), 2);
    assert_close(l->arcs[2].w, 0.1, 0, 0);
    assert_close(l->ex_y[0], 1.0, 0, 0);
    lesson_free(l);
}

static void test_bom_crlf_comments(void **state)
{
    (void)state;
    const char *t = "\xEF\xBB\xBF# comment\r\ntitle  A title with  spaces  \r\ninput 1 2\r\n"
                    "layer sigmoid 3   # alias of logistic\r\n" BASE_W BASE_TAIL;
    char err[512];
    lesson *l = lesson_parse(t, strlen(t), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_string_equal(l->title, "A title with  spaces");
    assert_int_equal(l->layers[0].act.kind, ACT_LOGISTIC);
    lesson_free(l);
}

static void test_labels_aliases_init(void **state)
{
    (void)state;
    const char *t = "title T\ninput 1 2\nlayer relu 3 4\nlayer identity 5\n"
                    "label 3 h1\nalias w5 w_h1,5\nweight w5 = 0.25\ninit uniform -1 1 7\n"
                    "loss half-sse\nrate 0.1\nexample 1 2 -> 3\n";
    char err[512];
    lesson *l = lesson_parse(t, strlen(t), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    assert_int_equal(lesson_neuron(l, "h1"), 3);
    int a = lesson_arc_index(l, 3, 5);
    assert_true(a >= 0);
    assert_string_equal(l->arcs[a].alias, "w5");
    assert_close(l->arcs[a].w, 0.25, 0, 0);
    for (int k = 0; k < l->n_arcs; k++) assert_true(fabs(l->arcs[k].w) <= 1.0);
    lesson_free(l);
}

static void test_bad_structure(void **state)
{
    (void)state;
    BAD("", "t.lesson: empty lesson (no lines)");
    BAD("# only a comment\n\n", "t.lesson: missing 'input' line");
    BAD("title T\ninput 1 2\n", "t.lesson: missing 'layer' line");
    BAD("input 1 2\nlayer logistic 3\n" BASE_W BASE_TAIL, "t.lesson: missing 'title' line");
    BAD(BASE_HEAD BASE_W "rate 0.5\nexample 0.4 0.5 -> 1\n",
        "t.lesson: missing 'loss' line (the examples have targets)");
    BAD(BASE_HEAD BASE_W "loss sse\nexample 0.4 0.5 -> 1\nsteps 1\n",
        "t.lesson: missing 'rate' line (the lesson trains)");
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\n", "t.lesson: missing 'example' line");
    BAD(BASE "foo 1\n", "t.lesson:10: unknown key 'foo'");
    BAD(BASE "rate 0.1\n", "t.lesson:10: duplicate 'rate' (first given on line 8)");
}

static void test_bad_network(void **state)
{
    (void)state;
    BAD(BASE_HEAD "weight w_0,3 = 0.1\nweight w_1,3 = 0.1\n" BASE_TAIL,
        "t.lesson: missing weight w_2,3 (every arc needs 'weight w_2,3 = VALUE', or an 'init' line)");
    /* class-label targets: one-hot over the outputs, 0 or 1 for a single output */
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\nexample 0.4 0.5 -> class 2\n",
        "t.lesson:9: class 2: a single output neuron takes class 0 or 1");
    BAD("title T\ninput 1\nlayer softmax 2 3 4\ninit he 1\nloss softmax-ce\nrate 0.1\nexample 1 -> class 4\n",
        "t.lesson:7: class 4: the output layer has 3 neurons, one per class 1..3");
    BAD("title T\ninput 1\nlayer softmax 2 3 4\ninit he 1\nloss softmax-ce\nrate 0.1\nexample 1 -> class 0\n",
        "t.lesson:7: class 0: the output layer has 3 neurons, one per class 1..3");
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\nexample 0.4 0.5 -> class\n",
        "t.lesson:9: '-> class' takes one class number (example X... -> class K)");
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\nexample 0.4 0.5 -> class 1 0\n",
        "t.lesson:9: '-> class' takes one class number (example X... -> class K)");
    /* every missing weight in one message, so one run shows them all */
    BAD(BASE_HEAD "weight w_1,3 = 0.1\n" BASE_TAIL,
        "t.lesson: missing 2 weights: w_0,3, w_2,3 (every arc needs a line 'weight w_i,j = VALUE', "
        "or an 'init' line; `nntrace new SHAPE` writes them all)");
    BAD("title T\ninput 1 2 3 4 5 6 7\nlayer logistic 8 9 10\nexample 1 2 3 4 5 6 7\n",
        "t.lesson: missing 24 weights: w_0,8, w_1,8, w_2,8, w_3,8, w_4,8, w_5,8, w_6,8, w_7,8, w_0,9, "
        "w_1,9, w_2,9, w_3,9, w_4,9, w_5,9, w_6,9, w_7,9, w_0,10, w_1,10, w_2,10, w_3,10, ... "
        "(every arc needs a line 'weight w_i,j = VALUE', or an 'init' line; `nntrace new SHAPE` writes them all)");
    BAD("title T\ninput 1 2\nlayer sigmoidal 3\n",
        "t.lesson:3: unknown activation 'sigmoidal' (known: identity, step, logistic, tanh, arctan, "
        "relu, leaky-relu(s), prelu(s), elu(a), softplus, softmax)");
    BAD("title T\ninput 1 2\nlayer logistic\n", "t.lesson:3: layer with no neurons");
    BAD("title T\ninput 1 2\nlayer logistic 3\nlayer logistic 3\n", "t.lesson:4: neuron 3 is already in a layer (line 3)");
    BAD("title T\ninput 1 2\nlayer logistic 3 1\n", "t.lesson:3: neuron 1 is an input (line 2); it cannot be in a layer too");
    BAD("title T\ninput 0 1\nlayer logistic 3\n", "t.lesson:2: neuron 0 is the bias; it cannot be an input");
    BAD(BASE "weight w_7,3 = 1\n", "t.lesson:10: unknown neuron '7' in w_7,3 (this network's neurons: 0 (the bias) and 1-3)");
    BAD(BASE "weight w_3,1 = 1\n", "t.lesson:10: arc w_3,1 goes into input neuron 1");
    BAD(BASE "weight w_3,0 = 1\n", "t.lesson:10: arc w_3,0 goes into the bias neuron 0");
    BAD(BASE "weight w_1,3 = 2\n", "t.lesson:10: duplicate weight w_1,3 (first given on line 5)");
    /* a cycle needs a backward arc: 4 -> 3 with 3 before 4 */
    BAD("title T\ninput 1\nlayer logistic 3\nlayer logistic 4\narcs listed\nweight w_1,3 = 1\n"
        "weight w_3,4 = 1\nweight w_4,3 = 1\nweight w_0,3 = 0\nweight w_0,4 = 0\n"
        "loss sse\nrate 1\nexample 1 -> 1\n",
        "t.lesson:8: arc w_4,3 goes backward or sideways (neuron 4 is in layer 2, neuron 3 in layer 1): "
        "arcs must go forward, so no cycle can form");
    BAD("title T\ninput 1\nlayer logistic 3\nlayer logistic 4\narcs listed\nweight w_1,3 = 1\n"
        "weight w_4,3 = 1\n",
        "t.lesson:7: arc w_4,3 goes backward or sideways (neuron 4 is in layer 2, neuron 3 in layer 1): "
        "arcs must go forward, so no cycle can form; did you mean w_3,4?");
    BAD("title T\ninput 1 2\nlayer softmax 3 4\nlayer logistic 5\n", "t.lesson:3: softmax is only for the output layer");
    BAD("title T\ninput 1 2\nlayer softmax 3\n", "t.lesson:3: softmax over one output neuron is always 1, so "
        "nothing learns: give it one neuron per class, or use 'layer logistic' with 'loss bce' for two classes");
    BAD("title T\ninput 1 2\nlayer relu 3\n" BASE_W "loss bce\nrate 0.5\nexample 0.4 0.5 -> 1\n",
        "t.lesson:7: loss bce needs a logistic output layer (its delta is a - y only there)");
    BAD("title T\ninput 1 2\nlabel 1 x1\nlayer logistic 3 5\n" BASE_W "weight w_0,5 = 0\nweight w_1,5 = 0\n"
        "weight w_2,5 = 0\nweight w_x1,o9 = 1\n" BASE_TAIL,
        "t.lesson:11: unknown neuron 'o9' in w_x1,o9 (this network's neurons: 0 (the bias) and 1-3, 5; labels x1)");
    BAD(BASE "alias w5 w_1,4\n", "t.lesson:10: unknown neuron '4' in w_1,4 (this network's neurons: 0 (the bias) and 1-3)");
    /* a bias weight for a neuron whose bias arc 'nobias' takes away (a
     * skeleton from nntrace new has every bias line): not silently kept */
    BAD(BASE "nobias 3\n",
        "t.lesson:4: weight w_0,3 is the bias arc of neuron 3, which 'nobias 3' (line 10) takes away: "
        "drop one of the two lines");
    /* a processing neuron nothing feeds: in_4 would be 0 whatever the example */
    BAD("title T\ninput 1\nlayer logistic 3 4\nlabel 4 h2\narcs listed\nnobias 4\n"
        "weight w_1,3 = 1\nweight w_0,3 = 0\nloss sse\nrate 1\nexample 1 -> 1 1\n",
        "t.lesson:3: neuron 4 (h2) has no incoming arc, so in_4 would be 0 whatever the input; "
        "give it a weight or drop its 'nobias'");
}

static void test_bad_values(void **state)
{
    (void)state;
    BAD(BASE_HEAD "weight w_0,3 = abc\n", "t.lesson:4: 'abc' is not a number");
    BAD(BASE_HEAD "weight w_0,3 = nan\n", "t.lesson:4: 'nan' is not a finite number");
    BAD(BASE_HEAD "weight w_0,3 = -inf\n", "t.lesson:4: '-inf' is not a finite number");
    BAD(BASE_HEAD "weight w_0,3 = 1e999\n", "t.lesson:4: '1e999' is not a finite number");
    /* nearer 0 than a double holds: not silently 0 */
    BAD(BASE_HEAD "weight w_0,3 = 1e-400\n",
        "t.lesson:4: '1e-400' is nearer 0 than a number can be; write 0 if you mean 0");
    BAD(BASE "expect in_3 = -2e-999\n",
        "t.lesson:10: '-2e-999' is nearer 0 than a number can be; write 0 if you mean 0");
    BAD(BASE_HEAD "weight w_0,3 = 0x10\n", "t.lesson:4: '0x10' is not a number");
    /* a number as an answer sheet may write it gets the lesson's spelling */
    BAD(BASE_HEAD "weight w_0,3 = 0,5\n", "t.lesson:4: '0,5' is not a number; did you mean 0.5?");
    BAD(BASE_HEAD "weight w_0,3 = \xE2\x88\x92" "0.25\n",
        "t.lesson:4: '\xE2\x88\x92" "0.25' is not a number; did you mean -0.25?");
    BAD(BASE_HEAD "weight w_0,3 = 1/2\n", "t.lesson:4: '1/2' is not a number; did you mean 0.5?");
    BAD(BASE_HEAD "weight w_0,3 = 54.74%\n", "t.lesson:4: '54.74%' is not a number; did you mean 0.5474?");
    BAD(BASE "expect in_3 = 0,19\n", "t.lesson:10: '0,19' is not a number; did you mean 0.19?");
    BAD(BASE "digits 4,0\n", "t.lesson:10: '4,0' is not a whole number; did you mean 4?");
    BAD(BASE "digits 4,5\n", "t.lesson:10: '4,5' is not a whole number");
    /* thousands grouped, as 002 writes 10,000 iterations: not a decimal comma's 10 */
    BAD(BASE "steps 10,000\n", "t.lesson:10: '10,000' is not a whole number; did you mean 10000?");
    BAD(BASE "steps 1'000'000\n", "t.lesson:10: '1'000'000' is not a whole number; did you mean 1000000?");
    BAD(BASE "steps 10,00\n", "t.lesson:10: '10,00' is not a whole number; did you mean 10?");
    /* a key run on into the line before it */
    BAD("title T\ninput 1 2 layer logistic 3\n",
        "t.lesson:2: 'layer' is not a whole number; 'layer' is a key: each key starts a line of its own");
    BAD(BASE "example 0.4 0.5 -> 1 loss sse\n",
        "t.lesson:10: 'loss' is not a number; 'loss' is a key: each key starts a line of its own");
    BAD(BASE_HEAD "weight w_0,3 0.1 0.2\n", "t.lesson:4: expected 'weight NAME = VALUE'");
    /* NAME = VALUE is written one way: the '=' a word of its own */
    BAD(BASE_HEAD "weight w_0,3 0.1\n",
        "t.lesson:4: expected 'weight NAME = VALUE'; did you mean 'weight w_0,3 = 0.1'?");
    BAD(BASE_HEAD "weight w_0,3=0.1\n",
        "t.lesson:4: expected 'weight NAME = VALUE', the '=' a word of its own; did you mean 'weight w_0,3 = 0.1'?");
    BAD(BASE_HEAD "weight w_0,3= -0.1\n",
        "t.lesson:4: expected 'weight NAME = VALUE', the '=' a word of its own; did you mean 'weight w_0,3 = -0.1'?");
    BAD(BASE_HEAD "weight w_0,3 =0.1\n",
        "t.lesson:4: expected 'weight NAME = VALUE', the '=' a word of its own; did you mean 'weight w_0,3 = 0.1'?");
    BAD(BASE_HEAD "weight w_0,3 : 0.1\n",
        "t.lesson:4: expected 'weight NAME = VALUE', with '=' (not ':'); did you mean 'weight w_0,3 = 0.1'?");
    BAD(BASE_HEAD "weight w_0,3\n", "t.lesson:4: expected 'weight NAME = VALUE'");
    BAD(BASE_HEAD "weight = 0.1\n", "t.lesson:4: expected 'weight NAME = VALUE'");
    BAD(BASE_HEAD "weight w_0,3==0.1\n", "t.lesson:4: expected 'weight NAME = VALUE'");
    BAD(BASE "expect in_3 0.19\n", "t.lesson:10: expected 'expect NAME = VALUE'; did you mean 'expect in_3 = 0.19'?");
    BAD(BASE "expect in_3=a_3\n",
        "t.lesson:10: expected 'expect NAME = VALUE', the '=' a word of its own; did you mean 'expect in_3 = a_3'?");
    /* a lecture's approximately-equal and bounds, and its vectors */
    BAD(BASE "expect a_3 \xE2\x89\x88 0.5474\n", "t.lesson:10: expected 'expect NAME = VALUE', with '=' "
        "(not '\xE2\x89\x88'); did you mean 'expect a_3 = 0.5474'?");
    BAD(BASE "expect a_3 >= 0.5\n",
        "t.lesson:10: expected 'expect NAME = VALUE', with '=' (not '>='); did you mean 'expect a_3 = 0.5'?");
    BAD(BASE "expect a_3 = ~0.5474\n", "t.lesson:10: '~0.5474' is not a number; did you mean 0.5474? "
        "(a value is read to its last digit: no '~' needed)");
    BAD(BASE "expect a_3 = \xE2\x89\x88" "0.5474\n", "t.lesson:10: '\xE2\x89\x88" "0.5474' is not a number; "
        "did you mean 0.5474? (a value is read to its last digit: no '\xE2\x89\x88' needed)");
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\nexample (0.4, 0.5) -> 1\n", "t.lesson:9: an example lists its "
        "values separated by blanks, without the lecture's brackets and commas; did you mean "
        "'example 0.4 0.5 -> 1'?");
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\nexample [0.4 0.5] -> [1]\n", "t.lesson:9: an example lists its "
        "values separated by blanks, without the lecture's brackets and commas; did you mean "
        "'example 0.4 0.5 -> 1'?");
    BAD(BASE_HEAD BASE_W "loss sse\nrate 0.5\nexample (x, 0.5) -> 1\n", "t.lesson:9: '(x,' is not a number");
    BAD(BASE "points a_3 2\n",
        "t.lesson:10: expected 'points NAME-OR-PATTERN = NUMBER'; did you mean 'points a_3 = 2'?");
    BAD(BASE "steps 99999999\n", "t.lesson:10: 99999999 is out of range (0 to 10000000)");
    BAD(BASE "digits four\n", "t.lesson:10: 'four' is not a whole number");
    BAD(BASE "rate -1\n", "t.lesson:10: duplicate 'rate' (first given on line 8)");
    BAD(BASE_HEAD BASE_W "loss sse\nrate -0.5\nexample 0.4 0.5 -> 1\n", "t.lesson:8: 'rate' must not be negative");
    BAD(BASE "example 0.4 -> 1\n", "t.lesson:10: example has 1 input value, the network has 2 input neurons");
    BAD(BASE "example 0.4 0.5 -> 1 2\n", "t.lesson:10: example has 2 targets, the output layer has 1 neuron");
    BAD(BASE "example 0.4 0.5\n", "t.lesson:10: either every example has targets ('-> y') or none has");
    /* an arrow that is not the word '->' */
    BAD(BASE "example 0.4 0.5 => 1\n", "t.lesson:10: '=>' is not a number; the targets follow the word '->', "
        "blanks either side (example X... -> Y...)");
    BAD(BASE "example 0.4 0.5 ->1\n", "t.lesson:10: '->1' is not a number; the targets follow the word '->', "
        "blanks either side (example X... -> Y...)");
    BAD(BASE "example 0.4 0.5 \xE2\x86\x92 1\n", "t.lesson:10: '\xE2\x86\x92' is not a number; the targets follow "
        "the word '->', blanks either side (example X... -> Y...)");
    BAD(BASE "expect in_3 0.19 0.2\n", "t.lesson:10: expected 'expect NAME = VALUE'");
    BAD(BASE "loss mse\n", "t.lesson:10: duplicate 'loss' (first given on line 7)");
    BAD(BASE_HEAD BASE_W "loss hinge\n", "t.lesson:7: unknown loss 'hinge' (known: sse, half-sse, mse, bce, softmax-ce)");
    BAD(BASE "batch 5\n", "t.lesson:10: batch 5 is larger than the 1 examples");
    /* a near miss of a table's name or a weight's gets a "did you mean" */
    BAD(BASE_HEAD BASE_W "loss sse2\n",
        "t.lesson:7: unknown loss 'sse2' (known: sse, half-sse, mse, bce, softmax-ce); did you mean sse?");
    BAD("title T\ninput 1 2\nlayer logstic 3 4\n",
        "t.lesson:3: unknown activation 'logstic' (known: identity, step, logistic, tanh, arctan, "
        "relu, leaky-relu(s), prelu(s), elu(a), softplus, softmax); did you mean logistic?");
    BAD("title T\ninput 1 2\nlayer leaky-rleu(0.1) 3\n",
        "t.lesson:3: unknown activation 'leaky-rleu(0.1)' (known: identity, step, logistic, tanh, arctan, "
        "relu, leaky-relu(s), prelu(s), elu(a), softplus, softmax); did you mean leaky-relu?");
    /* a new name is ASCII: a Greek letter or a subscript gets the spelling
     * names are read in */
    BAD(BASE "label 3 \xCE\xB1" "1\n",
        "t.lesson:10: name '\xCE\xB1" "1' must be ASCII: letters a-z and A-Z, digits and '_'; did you mean alpha1?");
    BAD(BASE "label 3 h\xE2\x82\x81\n",
        "t.lesson:10: name 'h\xE2\x82\x81' must be ASCII: letters a-z and A-Z, digits and '_'; did you mean h_1?");
    BAD(BASE "alias \xC3\xA9 w_1,3\n", "t.lesson:10: name '\xC3\xA9' must be ASCII: letters a-z and A-Z, digits and '_'");
    BAD(BASE "label 3 h-1\n", "t.lesson:10: name 'h-1' may hold only letters, digits and '_'");
    /* a given name shaped like a quantity's name would print in_in_3, or
     * be a second quantity's name: refused, with the neuron's names */
    BAD(BASE "label 3 in_3\n", "t.lesson:10: label 'in_3' begins like a quantity's name (in_...): its neuron's "
        "names would be a_in_3 and in_in_3, which read as two; did you mean in3?");
    BAD(BASE "label 1 x_2\n", "t.lesson:10: label 'x_2' begins like a quantity's name (x_...): its neuron's "
        "names would be a_x_2 and in_x_2, which read as two; did you mean x2?");
    BAD(BASE "label 3 a_0\n", "t.lesson:10: label 'a_0' begins like a quantity's name (a_...): its neuron's "
        "names would be a_a_0 and in_a_0, which read as two; did you mean a0?");
    BAD(BASE "label 3 out_h1\n", "t.lesson:10: label 'out_h1' begins like a quantity's name (out_...): its "
        "neuron's names would be a_out_h1 and in_out_h1, which read as two");
    BAD(BASE "label 3 Delta_3\n", "t.lesson:10: label 'Delta_3' begins like a quantity's name (delta_...): its "
        "neuron's names would be a_Delta_3 and in_Delta_3, which read as two; did you mean Delta3?");
    BAD(BASE "label 1 J\n", "t.lesson:10: label 'J' is the name of the loss in the trace: call it something else");
    BAD(BASE "alias zbar_3 w_1,3\n", "t.lesson:10: alias 'zbar_3' begins like a quantity's name (zbar_...): "
        "traces and answer sheets could not tell it from one; did you mean zbar3?");
    BAD(BASE "alias E w_1,3\n", "t.lesson:10: alias 'E' is the name of the loss (E_total) in the trace: "
        "call it something else");
    /* words in the other order, names where ids go, arcs the wrong way round */
    BAD(BASE "label h1 3\n", "t.lesson:10: expected 'label NEURON NAME', the neuron first; did you mean 'label 3 h1'?");
    BAD(BASE "alias w_1,3 w5\n",
        "t.lesson:10: expected 'alias NAME w_i,j', the new name first; did you mean 'alias w5 w_1,3'?");
    BAD(BASE "label 9 h1\n", "t.lesson:10: unknown neuron '9' (this network's neurons: 0 (the bias) and 1-3)");
    BAD("title T\ninput x1 x2\nlayer logistic 3\n", "t.lesson:2: 'x1' is not a neuron id: neurons are numbered "
        "(1 to 9999), and a lecture's name for one is a label ('label ID x1')");
    BAD("title T\ninput 1 2\nlayer logistic h1\n", "t.lesson:3: 'h1' is not a neuron id: neurons are numbered "
        "(1 to 9999), and a lecture's name for one is a label ('label ID h1')");
    BAD(BASE "alias w5 w_3,1\n", "t.lesson:10: alias 'w5': no arc w_3,1; did you mean w_1,3? (w_i,j is the arc "
        "from neuron i into neuron j)");
    BAD(BASE "freeze w_3,2\n", "t.lesson:10: freeze: no arc w_3,2; did you mean w_2,3? (w_i,j is the arc "
        "from neuron i into neuron j)");
    /* a label is a name of its own: not an alias's or a tie's too */
    BAD(BASE "label 1 w5\nalias w5 w_1,3\n", "t.lesson:11: alias 'w5': the name is already a label (line 10)");
    BAD(BASE "alias w5 w_1,3\nlabel 1 w5\n", "t.lesson:11: label 'w5': the name is already an alias (line 10)");
    BAD(BASE "label 3 b\ntie b = w_0,3 w_1,3\n", "t.lesson:11: tie 'b': the name is already a label (line 10)");
    /* neuron ids where the activation goes */
    BAD("title T\ninput 1 2\nlayer 3 4 relu\n",
        "t.lesson:3: a layer line names its activation first: did you mean 'layer relu 3 4'?");
    BAD("title T\ninput 1 2\nlayer 3 4\n",
        "t.lesson:3: '3' is not an activation: a layer line is 'layer ACT ID...', the activation first");
    /* a known activation with a wrong parameter says what is wrong with it */
    BAD("title T\ninput 1 2\nlayer relu(0.1) 3\n",
        "t.lesson:3: activation 'relu(0.1)': relu takes no parameter (these do: leaky-relu(s), prelu(s), elu(a))");
    BAD("title T\ninput 1 2\nlayer leaky-relu(0,1) 3\n",
        "t.lesson:3: activation 'leaky-relu(0,1)': the slope of leaky-relu is a number in parentheses, "
        "as leaky-relu(0.01), not '(0,1)'");
    BAD("title T\ninput 1 2\nlayer ELU() 3\n",
        "t.lesson:3: activation 'ELU()': the alpha of elu is a number in parentheses, as elu(1), not '()'");
    BAD(BASE_HEAD "weight w_0,3 = 0.1\nweight w1,3 = 1\nweight w_2,3 = 0.1\n" BASE_TAIL,
        "t.lesson:5: unknown weight 'w1,3' (expected w_i,j, an alias or a tie's name); did you mean w_1,3?");
    /* a weight named as another notation writes it: which weight that is */
    BAD(BASE_HEAD "weight b_3 = 0.1\n",
        "t.lesson:4: unknown weight 'b_3': that is w_0,3's name in the bar notation, and a lesson names a weight "
        "as w_i,j (ids or labels), an alias or a tie's name; did you mean w_0,3?");
    BAD(BASE "freeze W^[1]_1,2\n",
        "t.lesson:10: unknown weight 'W^[1]_1,2': that is w_2,3's name in the layer notation, and a lesson names "
        "a weight as w_i,j (ids or labels), an alias or a tie's name; did you mean w_2,3?");
}

/* A key the lesson's set-up would not use is an error, not silently dropped. */
#define PERCEPTRON "title T\ninput 1 2\nlayer step 3\n" BASE_W "rule perceptron\nrate 1\nepochs 2\n" \
                   "example 0 1 -> 1\n"
static void test_keys_not_used(void **state)
{
    (void)state;
    /* the perceptron rule is w <- w + alpha (y - h) x: no decay term */
    BAD(PERCEPTRON "decay 0.1\n",
        "t.lesson:11: 'rule perceptron' has no weight decay (its update is w <- w + alpha (y - h) x); drop 'decay'");
    /* dropout acts in training steps; a forward pass (and final-forward) uses no mask */
    BAD("title T\ninput 1\nlayer logistic 2 3\nlayer logistic 4\ninit uniform -1 1 3\n"
        "dropout 1 0.5 1\nsteps 0\nexample 1\n",
        "t.lesson:6: dropout masks neurons in training steps only, and the lesson trains none "
        "(steps 0; a forward pass uses no mask): drop 'dropout' or train");
}

static void test_bad_bytes(void **state)
{
    (void)state;
    /* a Unicode blank where a space belongs is named, with its column in
     * characters; inside a title's or a note's text it is text */
    BAD(BASE_HEAD "weight w_0,3 =\xC2\xA0" "0.1\n",
        "t.lesson:4: a no-break space (U+00A0) at column 15 ('=\xC2\xA0" "0.1'): write a plain space");
    BAD("title T\ninput 1 2\nlayer logistic 3\nlabel 3 \xCE\xB1\xE2\x80\xAF" "h\n",
        "t.lesson:4: a narrow no-break space (U+202F) at column 10 ('\xCE\xB1\xE2\x80\xAF" "h'): write a plain space");
    BAD("title T\ninput 1 2\nweight\xE2\x80\x89w_0,3 = 1\n",
        "t.lesson:3: a thin space (U+2009) at column 7 ('weight\xE2\x80\x89w_0,3'): write a plain space");
    {
        const char *t = "title A\xC2\xA0" "B\nnote x\xC2\xA0y\n" "input 1 2\nlayer logistic 3\n" BASE_W BASE_TAIL;
        char err[512];
        lesson *l = lesson_parse(t, strlen(t), "t.lesson", err, sizeof err);
        if (!l) fail_msg("%s", err);
        assert_string_equal(l->title, "A\xC2\xA0" "B");
        lesson_free(l);
    }
    BAD("title T\x00x\n", "t.lesson:1: binary byte 0x00 at column 8: not a text file");
    BAD("title T\ninput 1\x01 2\n", "t.lesson:2: binary byte 0x01 at column 8: not a text file");
    char *longline = malloc(LESSON_MAX_LINE + 64);
    assert_non_null(longline);
    memcpy(longline, "title ", 6);
    memset(longline + 6, 'x', LESSON_MAX_LINE);
    longline[LESSON_MAX_LINE + 6] = '\n';
    expect_error(longline, LESSON_MAX_LINE + 7, "t.lesson:1: line longer than 4096 characters");
    free(longline);
    size_t big = 10u << 20;                  /* a 10 MB line */
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, 'a', big);
    expect_error(huge, big, "t.lesson: lesson is larger than 1048576 bytes");
    free(huge);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    char err[512];
    assert_null(lesson_load("/nonexistent/x.lesson", err, sizeof err));
    assert_string_equal(err, "/nonexistent/x.lesson: cannot open: No such file or directory");
    assert_null(lesson_load("tests", err, sizeof err));
    assert_string_equal(err, "tests: cannot read (is it a directory?)");
}

/* A lesson with no arcs at all is refused; on the way the parser must not
 * call qsort(NULL, 0, ...) (undefined behaviour, caught by UBSan in
 * `make test-asan`). */
static void test_no_arcs(void **state)
{
    (void)state;
    BAD("title no arcs\ninput 1\nlayer identity 2\nnobias 2\narcs listed\nloss sse\nexample 1 -> 0\n",
        "t.lesson:3: neuron 2 has no incoming arc, so in_2 would be 0 whatever the input; "
        "give it a weight or drop its 'nobias'");
}

/* Notes as paragraphs: lines joined by a space, an empty `note` line
 * between paragraphs. */
static void test_note_paragraphs(void **state)
{
    (void)state;
    const char *text = BASE "note first line\nnote second line\nnote\nnote\nnote next one\n";
    char err[256];
    lesson *l = lesson_parse(text, strlen(text), "t.lesson", err, sizeof err);
    if (!l) fail_msg("%s", err);
    const char *p = l->notes;
    char *para;
    assert_int_equal(lesson_note_paragraph(&p, &para), 1);
    assert_string_equal(para, "first line second line");
    free(para);
    assert_int_equal(lesson_note_paragraph(&p, &para), 1);
    assert_string_equal(para, "next one");
    free(para);
    assert_int_equal(lesson_note_paragraph(&p, &para), 0);
    assert_null(para);
    lesson_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_paragraphs),
        cmocka_unit_test(test_valid_base),
        cmocka_unit_test(test_bom_crlf_comments),
        cmocka_unit_test(test_labels_aliases_init),
        cmocka_unit_test(test_bad_structure),
        cmocka_unit_test(test_bad_network),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_keys_not_used),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_no_arcs),
    };
    return cmocka_run_group_tests_name("lesson", tests, NULL, NULL);
}
