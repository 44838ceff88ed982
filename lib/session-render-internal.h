/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the renderers of the backends (session-render.c: service; session-render-nspawn.c:
 * nspawn and vmspawn). Not for callers outside lib/session-render*.c. */

#include "session-render.h"

/* One assignment; key must be a static string, the value is copied. */
int unit_assignment_add_full(UnitAssignments *a, UnitSection section, const char *key, const char *value,
                             char **argv, bool passthrough);
/* [Service] KEY=VALUE, value copied. */
int unit_assignment_add(UnitAssignments *a, const char *key, const char *value);
/* An Exec*= assignment from argv; privileged: the '+' prefix. */
int unit_assignment_add_exec(UnitAssignments *a, const char *key, char **argv, bool privileged);

/* True if [Egress] allows nothing at all: no network namespace connection is needed. */
bool session_egress_none(const Session *s);
/* The slice's settings: limits, NFTSet=, static IPAddressDeny/Allow=. */
int session_render_slice(const Session *s, UnitAssignments *a);
/* ExecStartPre=+sessiond-egress setup / ExecStopPost=+sessiond-egress remove; with interface,
 * packets arriving from that host interface (a machine's veth) go through the session's chain too. */
int session_render_egress(const Session *s, const char *interface, UnitAssignments *a);

/* ExecStartPre=/ExecStopPost= of sessiond-workspace for an overlay (or a tmpfs OnEnd=persist keeps)
 * mounted at SESSIOND_RUNTIME_DIR/workspaces/NAME/merged; userns: for a container (no BindPaths=). */
int session_render_workspace_helper(const Session *s, UnitAssignments *a, const char *target, bool userns);

int session_render_nspawn_service(const Session *s, UnitAssignments *a);
int session_render_vmspawn_service(const Session *s, UnitAssignments *a);
