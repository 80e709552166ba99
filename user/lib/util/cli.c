#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "json.h"

void pf_cli_print_error(int json, int code, const char *msg)
{
	struct pf_buf b;
	struct pf_json j;

	fflush(stdout); /* keep earlier output before the error */
	if (!json) {
		fprintf(stderr, "permafrost: %s\n", msg);
		return;
	}
	pf_buf_init(&b);
	pf_json_init(&j, &b, 0);
	pf_json_obj_begin(&j);
	pf_cli_error_members(&j, code, msg);
	pf_json_obj_end(&j);
	printf("%s\n", b.data ? b.data : "{}");
	fflush(stdout);
	pf_buf_free(&b);
}

void pf_cli_error_members(struct pf_json *j, int code, const char *msg)
{
	pf_json_key(j, "status");
	pf_json_str(j, "error");
	pf_json_key(j, "error");
	pf_json_str(j, msg);
	pf_json_key(j, "exit_code");
	pf_json_int(j, code);
}

int pf_cli_colour(int json)
{
	const char *nc = getenv("NO_COLOR");

	return !json && isatty(STDOUT_FILENO) && !(nc && *nc);
}

void pf_cli_resolve_progress(const char *phase, size_t done, size_t total, void *data)
{
	const char *prog = data ? data : "permafrost";

	if (strcmp(phase, "done") == 0)
		fprintf(stderr, "\r\033[K");
	else if (total)
		fprintf(stderr, "\r\033[K%s: resolving the policy: %s %zu/%zu (%zu%%)", prog, phase,
			done, total, done * 100 / total);
	else
		fprintf(stderr, "\r\033[K%s: resolving the policy: %s: %zu", prog, phase, done);
	fflush(stderr);
}
