/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sessionctl attach [--read-only] [--agent-socket=PATH] NAME
 *
 * Joins the terminal of a session started with Terminal=yes: the recent output (scrollback) first,
 * then live; the local terminal is in raw mode, window size changes are forwarded, and Ctrl-]
 * detaches (the session keeps running). argv[0] is the verb. Returns the process exit status: 0
 * after detaching or when the session's terminal closed, 1 on errors. */
int verb_attach(int argc, char **argv);
