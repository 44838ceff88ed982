/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sessionctl exec [-t] [--env=K=V]... [--workdir=DIR] [--timeout=SEC] [--agent-socket=PATH] NAME [--] CMD...
 *
 * argv[0] is the verb. Returns the process exit status for sessionctl: the command's own exit
 * status, 128+N if a signal killed it, 125 if sessiond or the agent failed (or refused), 126 if the
 * command could not be run, 127 if it was not found. Never returns a negative errno. */
int verb_exec(int argc, char **argv);
