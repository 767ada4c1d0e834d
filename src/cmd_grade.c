/* cmd_grade.c - placeholder until its module lands (see the open issue). */
#include "cli.h"

int cmd_template(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "nntrace %s: not built yet\n", argv[0]);
    return EXIT_USAGE;
}

int cmd_check(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "nntrace %s: not built yet\n", argv[0]);
    return EXIT_USAGE;
}

