/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-varlink-idl.h>

/* io.sessiond.Agent: served by sessiond-agent inside every session on $RUNTIME_DIRECTORY/agent.sock. */
extern const sd_varlink_interface vl_interface_io_sessiond_Agent;
