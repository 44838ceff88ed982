/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-json.h>

/* sessionctl egress NAME --show | --allow=... --allow-host=... --dns=... */
int verb_egress(int argc, char **argv);

/* The session's egress policy as loaded, with droppedPackets/droppedBytes when nftables can be
 * read (root); -ENOENT if the session has no egress chain. */
int sessionctl_egress_json(const char *name, sd_json_variant **ret);
/* "    Egress: ..." and "   Dropped: ..." lines for `sessionctl status`; nothing without a chain. */
void sessionctl_print_egress(const char *name);
