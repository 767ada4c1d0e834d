/*
 * numfmt.h - numbers as text, exactly (base layer: no project dependencies).
 *
 * num_shortest: the decimal with the fewest significant digits that strtod
 * reads back as the same double, plain from 1e-6 to 1e17 (0.1,
 * 0.5473576181430894, 150, 0.00001) and in e-notation beyond (2e+70,
 * 5e-324), for JSON and CSV records and spreadsheet formulas, where a
 * number must round-trip.
 * num_exact: the exact decimal value of a double (every double is a finite
 * binary fraction, so its decimal expansion ends): 0.1 is
 * 0.1000000000000000055511151231257827021181583404541015625.
 * Both write "nan", "inf" or "-inf" for a non-finite v; the caller decides
 * what such a value means in its format (JSON: null). Both return 0, or -1
 * when the buffer is too small (it then holds "" and nothing is cut short).
 */
#ifndef NNTRACE_BASE_NUMFMT_H
#define NNTRACE_BASE_NUMFMT_H

#include <stddef.h>

#define NUM_SHORTEST_MAX 32    /* enough for num_shortest of any double */
#define NUM_EXACT_MAX    1100  /* enough for num_exact of any double */

int num_shortest(double v, char *buf, size_t size);
int num_exact(double v, char *buf, size_t size);

#endif
