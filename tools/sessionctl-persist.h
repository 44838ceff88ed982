/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sessionctl verbs for workspace persistence (sessionctl(1)):
 *
 *   persist NAME...                    save the live workspace of running sessions now
 *   snapshot save NAME SNAP
 *   snapshot restore NAME SNAP         make SNAP the saved state; `start NAME --restore` uses it
 *   snapshot list NAME                 name, size, entries; --json= honoured
 *   snapshot delete NAME SNAP
 *
 * argv[0] is the verb itself. Exit codes as for every verb, plus: 4 no such snapshot or nothing
 * saved, 5 the snapshot exists already. */

int verb_persist(int argc, char **argv);
int verb_snapshot(int argc, char **argv);
