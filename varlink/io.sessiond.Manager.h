/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-varlink-idl.h>

extern const sd_varlink_interface vl_interface_io_sessiond_Manager;

/* Error names, fully qualified as Varlink requires (interface name + "." + error). */
#define SESSIOND_ERROR_NO_SUCH_SESSION      "io.sessiond.Manager.NoSuchSession"
#define SESSIOND_ERROR_SESSION_EXISTS       "io.sessiond.Manager.SessionExists"
#define SESSIOND_ERROR_INVALID_SESSION      "io.sessiond.Manager.InvalidSession"
#define SESSIOND_ERROR_BACKEND_UNAVAILABLE  "io.sessiond.Manager.BackendUnavailable"
#define SESSIOND_ERROR_PERMISSION_DENIED    "io.sessiond.Manager.PermissionDenied"
#define SESSIOND_ERROR_UNIT_FAILED          "io.sessiond.Manager.UnitFailed"
#define SESSIOND_ERROR_NOT_RUNNING          "io.sessiond.Manager.NotRunning"
#define SESSIOND_ERROR_NO_TERMINAL          "io.sessiond.Manager.NoTerminal"
#define SESSIOND_ERROR_AGENT_FAILED         "io.sessiond.Manager.AgentFailed"
#define SESSIOND_ERROR_NO_FD_PASSING        "io.sessiond.Manager.NoFdPassing"
#define SESSIOND_ERROR_NO_WORKSPACE         "io.sessiond.Manager.NoWorkspace"
#define SESSIOND_ERROR_NOTHING_SAVED        "io.sessiond.Manager.NothingSaved"
#define SESSIOND_ERROR_NO_SUCH_SNAPSHOT     "io.sessiond.Manager.NoSuchSnapshot"
#define SESSIOND_ERROR_SNAPSHOT_EXISTS      "io.sessiond.Manager.SnapshotExists"
