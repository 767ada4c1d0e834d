/*
 * fuzz_lesson.c - libFuzzer harness: the lesson parser plus the engine.
 *
 * A lesson that parses must also run (or fail cleanly with out-of-memory)
 * and print its trace, JSON and expectations without a crash. Lessons whose
 * run would be long (many steps times many arcs) are cut to keep the fuzzer
 * fast; their parsing is still exercised.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "lesson.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    lesson *l = lesson_parse((const char *)data, size, "fuzz.lesson", err, sizeof err);
    if (!l) return 0;
    if ((double)l->steps * (l->n_arcs + 1) * l->batch > 2e5 || l->n_examples * l->n_arcs > 2e5) {
        lesson_free(l);
        return 0;
    }
    engine_opts o = {.round = ENGINE_ROUND_LESSON};
    engine_result r;
    if (engine_run(l, &o, &r, err, sizeof err) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            text_opts to = {.digits = l->digits, .unicode = 1, .color = 1, .passes = ~0u};
            text_print_trace(null, l, &r, &to);
            text_print_json(null, l, &r, l->digits, l->notation);
            text_print_csv(null, l, &r, l->digits, l->notation);
            text_check_expectations(null, l, &r, 0);
            fclose(null);
        }
        engine_result_free(&r);
    }
    lesson_free(l);
    return 0;
}
