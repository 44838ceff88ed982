/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the sessionctl verbs: options, the connection to sessiond, error reporting and
 * exit codes. */

#include <stdbool.h>
#include <systemd/sd-json.h>
#include <systemd/sd-varlink.h>

#include "macro.h"

/* Exit codes scripts can rely on; documented in sessionctl(1). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,                  /* anything not listed below */
        EXIT_USAGE = 2,                 /* bad command line or bad parameters */
        EXIT_NOT_RUNNING = 3,           /* the session has ended (kill, exec on an ended session) */
        EXIT_NO_SUCH_SESSION = 4,
        EXIT_SESSION_EXISTS = 5,
        EXIT_INVALID_SESSION = 6,       /* the session file or text has errors */
        EXIT_PERMISSION_DENIED = 7,
        EXIT_BACKEND_UNAVAILABLE = 8,
        EXIT_NO_DAEMON = 9,             /* cannot reach sessiond */
        EXIT_UNIT_FAILED = 10,          /* PID 1 refused or failed the session's unit */
};

extern sd_json_format_flags_t arg_json;   /* SD_JSON_FORMAT_OFF: human output */
extern bool arg_no_pager;
extern bool arg_no_legend;
extern const char *arg_address;

int sessionctl_connect(sd_varlink **ret);
/* Calls a method and returns its reply; on a Varlink error prints it and returns the negative
 * exit code for it (so callers do `if (r < 0) return -r;`). */
int sessionctl_call(sd_varlink *vl, const char *method, sd_json_variant *params, sd_json_variant **ret_reply);
/* Maps a Varlink error to a message on stderr and an exit code. */
int sessionctl_report_error(const char *error_id, sd_json_variant *parameters);
void sessionctl_print_json(sd_json_variant *v);

/* Formatting helpers for human output. */
void format_bytes(uint64_t v, char *buf, size_t size);
void format_timespan(uint64_t usec, char *buf, size_t size);

int verb_start(int argc, char **argv);
int verb_stop(int argc, char **argv);
int verb_kill(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_logs(int argc, char **argv);
