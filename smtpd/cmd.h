/*
 * cmd - the subcommands of the authsink binary.
 *
 * Each takes argv with argv[0] the subcommand's name and returns the exit
 * status: 0 success, 1 failure, 2 usage error.
 */
#ifndef SMTPD_CMD_H
#define SMTPD_CMD_H

struct cmd {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

int cmd_dkim(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_spf(int argc, char **argv);
int cmd_scenario(int argc, char **argv);

#endif
