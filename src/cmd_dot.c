/* cmd_dot.c - placeholder until its module lands (see the open issue). */
#include "cli.h"

int cmd_dot(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "nntrace %s: not built yet\n", argv[0]);
    return EXIT_USAGE;
}

