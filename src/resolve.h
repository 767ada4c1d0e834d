/*
 * resolve.h - the names a lesson writes for its own quantities (`expect`
 * and `ask` lines) checked against the trace the engine builds from it.
 */
#ifndef NNTRACE_RESOLVE_H
#define NNTRACE_RESOLVE_H

#include <stddef.h>

#include "lesson.h"
#include "trace.h"

/* Does every name of l's `expect` lines and every pattern of its `ask`
 * lines name a quantity of tr (the run of l)? Returns 0; 1 with
 * "path:line: 'a_6' names no quantity of this lesson; did you mean a_5?"
 * in err for the first that does not; -1 when out of memory. */
int lesson_names_check(const lesson *l, const trace *tr, char *err, size_t errsize);

#endif
