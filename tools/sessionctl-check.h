/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `sessionctl check NAME [BATTERY-OPTIONS...]`: runs the isolation battery (sessiond-check) inside
 * session NAME through `sessionctl exec`, so it inherits exactly the session's namespaces, seccomp
 * filter, capabilities, user and cgroup, and prints its report. Options after NAME (--json,
 * --profile=, --deny-addr=, --memory-probe, --tasks-max=, ...) are passed to the battery.
 *
 * argv[0] is the verb ("check"). Returns 0 when every required check passed, 1 when one failed,
 * 2 on a usage error of the battery, or a negative errno when the battery could not be run. */
int verb_check(int argc, char **argv);
