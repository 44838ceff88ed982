/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `sessionctl verify FILE|NAME...`: parses each session (with its drop-ins), checks that the
 * files it refers to exist, and prints every problem as FILE:LINE: MESSAGE on stderr. Needs no
 * daemon. Returns the exit status: 0 all good, 1 errors found, 2 bad invocation. */
int verb_verify(int argc, char **argv);
