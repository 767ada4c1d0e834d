/* cmd_xlsx.c - placeholder until its module lands (see the open issue). */
#include "cli.h"

int cmd_xlsx(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "nntrace %s: not built yet\n", argv[0]);
    return EXIT_USAGE;
}

