/* cmd_serve - placeholder until the receiver lands. */
#include <stdio.h>
#include "cmd.h"
int cmd_serve(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "authsink: serve is not built yet\n");
    return 1;
}
