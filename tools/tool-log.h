/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* The privileged helpers (sessiond-egress, sessiond-workspace) run as ExecStartPre=+/ExecStopPost=+
 * of a session's unit: their stderr goes to the journal under that unit, so a plain line is all
 * they need. Logs "PROGRAM: MESSAGE[: strerror]"; returns r, or -EINVAL if r >= 0. */
int log_error_errno(int r, const char *fmt, ...) _printf_(2, 3);
