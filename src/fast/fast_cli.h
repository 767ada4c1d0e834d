/*
 * fast_cli.h - `nntrace mnist`: train the fast path on MNIST from the CLI.
 */
#ifndef NNTRACE_FAST_CLI_H
#define NNTRACE_FAST_CLI_H

#include "../cliopt.h"

/* The options of `nntrace mnist` (cliopt.h). */
extern const cliopt_cmd FAST_MNIST_CLI;

/* argv[0] is "mnist". Parses the options (see --help), trains/evaluates and
 * prints. Returns the exit status: 0 ok, 1 a check failed, 2 bad usage or
 * bad input. The only function of src/fast that prints. */
int fast_mnist_main(int argc, char **argv);

#endif
