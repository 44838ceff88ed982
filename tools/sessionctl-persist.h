/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sessionctl verbs for workspace persistence, to be put into sessionctl's verb table:
 *
 *   persist NAME                       save the live workspace of a running session now
 *   snapshot save NAME SNAP            (also: snapshot-save NAME SNAP)
 *   snapshot restore NAME SNAP         make SNAP the saved state; `start NAME --restore` uses it
 *   snapshot list NAME                 name, size, entries, time; --json=pretty|short honoured
 *   snapshot delete NAME SNAP
 *
 * Each verb gets argv with argv[0] the verb itself ("persist", "snapshot") and returns an exit
 * code (sessionctl(1)): 0 ok, 1 failure, 2 usage, 4 no such session (or snapshot), 5 exists,
 * 7 permission denied, 9 sessiond unreachable. They call io.sessiond.Manager.Persist and
 * .Snapshot{Save,Restore,List,Delete}; see the report of the workspace branch for the
 * interface. `json_format` is sessionctl's --json= setting (0: human output). */

#include <stdbool.h>

int verb_persist(int argc, char **argv);
int verb_snapshot(int argc, char **argv);

/* Set by sessionctl's option parsing before the verb runs. */
extern int sessionctl_persist_json_format;      /* sd_json_format_flags_t, 0 = human */
extern const char *sessionctl_persist_address;  /* NULL: SESSIOND_MANAGER_ADDRESS */
