/* Shared by the CLI's commands (user/permafrost.c, logcmd.c). */
#ifndef PF_CLI_H
#define PF_CLI_H

/* The one error printer: "permafrost: MSG" on stderr, or with @json a
 * {"status":"error","error":MSG,"exit_code":CODE} line on stdout. */
void pf_cli_print_error(int json, int code, const char *msg);

/* 1 when human output on stdout may use ANSI colours: not @json, stdout is a
 * terminal and NO_COLOR is unset or empty. */
int pf_cli_colour(int json);

#endif
