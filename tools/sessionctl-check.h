/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `sessionctl check NAME [BATTERY-OPTIONS...]`: runs the isolation battery (sessiond-check) inside
 * session NAME through the exec verb, so it inherits exactly the session's namespaces, seccomp
 * filter, capabilities, user and cgroup, and prints its report on our stdout. Options after NAME
 * (--profile=, --deny-addr=, --tasks-max=, ...) go to the battery; sessionctl's global --json=
 * selects its JSON report.
 *
 * argv[0] is the verb ("check"). Returns the exit code: the battery's (0 every required check
 * passed, 1 one failed, 2 bad battery options) or the exec verb's own error codes. */
int verb_check(int argc, char **argv);
