/*
 * fast_cli.c - `nntrace mnist` (work in progress).
 */
#include "fast_cli.h"

#include <stdio.h>
#include <string.h>

int fast_mnist_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: nntrace mnist [--data DIR] ... (being written)\n");
            return 0;
        }
    }
    fprintf(stderr, "nntrace mnist: not implemented yet\n");
    return 2;
}
