/* Shared by the CLI's commands (user/permafrost.c, logcmd.c). */
#ifndef PF_CLI_H
#define PF_CLI_H

#include <stddef.h>

#include "json.h"

/* The one error printer: "permafrost: MSG" on stderr, or with @json a
 * {"status":"error","error":MSG,"exit_code":CODE} line on stdout. */
void pf_cli_print_error(int json, int code, const char *msg);
/* The members every JSON error starts with, "status":"error","error":MSG,
 * "exit_code":CODE, written into the object open in @j (a command that says
 * more adds its own members after them). */
void pf_cli_error_members(struct pf_json *j, int code, const char *msg);

/* 1 when human output on stdout may use ANSI colours: not @json, stdout is a
 * terminal and NO_COLOR is unset or empty. */
int pf_cli_colour(int json);

/* A pf_resolve_progress() callback drawing one self-overwriting line on
 * stderr ("resolving: rules 16384/100000"), erased at "done". @data is the
 * program name to prefix. Use only when stderr is a terminal. */
void pf_cli_resolve_progress(const char *phase, size_t done, size_t total, void *data);

#endif
