/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The D-Bus rendering of a session: turns the (Key, Value) assignments that the renderer
 * (session-render.h) produces for the slice and the service — the very lines the generator
 * writes into unit files — into the a(sv) properties of StartTransientUnit.
 *
 * Values are in unit-file syntax: "RuntimeMaxSec=2h", "CPUQuota=200%", "MemoryMax=2G",
 * "ExecStart=-/usr/bin/foo 'a b'". Each key has a D-Bus property name and type (a table in
 * session-render-bus.c); a key not in the table is refused with -EOPNOTSUPP rather than
 * dropped, so that a new renderer key cannot silently vanish from transient sessions.
 * Specifiers are not expanded: "%%" becomes "%", any other "%X" is refused (-EINVAL).
 *
 * The reverse direction, bus_read_unit_assignments(), reads an a(sv) array back into
 * canonical "Key=value" lines; with unit_assignment_normalize() it lets tests prove that the
 * unit-file and the D-Bus renderings carry the same settings. */

#include <systemd/sd-bus.h>

#include "macro.h"
#include "session-render.h"

/* Appends one "(sv)" entry (the caller has opened the "a(sv)" container). A key that maps to
 * an array property may be given more than once; systemd appends, as with repeated lines in a
 * unit file.
 *
 * unit_file_syntax: the value is written as in a unit file (the renderer's pass-through
 * assignments, and unit-file text read back by tests): words are split and unquoted, "%%" is
 * "%". Otherwise the value is raw, as session_render_assignments() makes them: one item,
 * nothing to unquote. */
int bus_append_unit_setting(sd_bus_message *m, const char *key, const char *value, bool unit_file_syntax);
int bus_append_exec_command_full(sd_bus_message *m, const char *key, char * const *argv, bool ignore_failure);
/* privileged: the '+' prefix (full privileges, no sandboxing), sent as the "Ex" property
 * (ExecStartPreEx=a(sasas) with the flag "privileged"). */
int bus_append_exec_command_privileged(sd_bus_message *m, const char *key, char * const *argv,
                                       bool ignore_failure, bool privileged);

/* Description= and SourcePath=, which head both unit files the generator writes and which the
 * renderer leaves to its callers. 'what' is "slice" for the slice, NULL for the service. */
int bus_append_unit_header(sd_bus_message *m, const Session *s, const char *what);

/* All assignments of one unit as rendered (the [Install] section is left out: it means
 * nothing for a transient unit). A key listed in 'skip' is left out too. On failure the
 * offending "Key=value" is returned in ret_bad (may be NULL). */
int bus_append_unit_assignments(sd_bus_message *m, const UnitAssignments *a, char * const *skip, char **ret_bad);

/* The D-Bus property name and signature for a unit-file key, or -EOPNOTSUPP. */
int bus_unit_assignment_type(const char *key, const char **ret_property, const char **ret_signature);

/* Reads a whole "a(sv)" array (as appended above) and returns "Key=canonical-value" lines,
 * in order, with unit-file key names. */
int bus_read_unit_assignments(sd_bus_message *m, char ***ret_lines);

/* Canonical "Key=value" for one unit-file assignment, as bus_read_unit_assignments() would
 * return it after the assignment went through D-Bus ('bus' only serves to make messages: any
 * started bus object will do). */
int unit_assignment_normalize(sd_bus *bus, const char *key, const char *value, bool unit_file_syntax,
                              char **ret_line);

/* Parsers shared with the daemon (unit-file syntax). */
int parse_time_span_usec(const char *v, uint64_t *ret);        /* "2h 30min", "15s", "infinity" */
int parse_size_bytes(const char *v, uint64_t *ret);            /* "512M", "2G", "infinity" */
/* Splits a command line the way systemd splits ExecStart=: quotes, C escapes, "%%". */
int split_command_line(const char *line, char ***ret);
