/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The session model: one parsed .session file (plus drop-ins). Parsed by session-parse.c,
 * validated there, and rendered either to unit-file text (session-render-unit.c, for the
 * generator) or to D-Bus properties (session-render-bus.c, for transient units started by
 * sessiond). Nothing here talks to systemd. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define SESSION_NAME_MAX 64

typedef enum SessionBackend {
        SESSION_BACKEND_SERVICE,
        SESSION_BACKEND_NSPAWN,
        SESSION_BACKEND_VMSPAWN,
        _SESSION_BACKEND_MAX,
        _SESSION_BACKEND_INVALID = -EINVAL,
} SessionBackend;

typedef enum SessionProfile {
        SESSION_PROFILE_RESTRICTIVE,
        SESSION_PROFILE_MODERATE,
        SESSION_PROFILE_PERMISSIVE,
        _SESSION_PROFILE_MAX,
        _SESSION_PROFILE_INVALID = -EINVAL,
} SessionProfile;

typedef enum SessionOnEnd {
        SESSION_ON_END_DISCARD,
        SESSION_ON_END_PERSIST,
        _SESSION_ON_END_MAX,
        _SESSION_ON_END_INVALID = -EINVAL,
} SessionOnEnd;

typedef enum WorkspaceMode {
        WORKSPACE_NONE,         /* no [Workspace] Path= */
        WORKSPACE_OVERLAY,
        WORKSPACE_BIND,
        WORKSPACE_BIND_RO,
        WORKSPACE_TMPFS,
        _WORKSPACE_MODE_MAX,
        _WORKSPACE_MODE_INVALID = -EINVAL,
} WorkspaceMode;

/* Backend=vmspawn: MemoryMax= holds guest RAM and the VMM together (see
 * session_vmspawn_guest_ram()); below the minimum the parser refuses it. */
#define SESSION_VMSPAWN_MEMORY_MIN (256U * 1024U * 1024U)
#define SESSION_VMSPAWN_VMM_RESERVE_MAX (512U * 1024U * 1024U)

#define UINT64_UNSET UINT64_MAX
/* "infinity" where systemd allows it (MemoryMax=, MemorySwapMax=, TasksMax=, MaxRuntime=). */
#ifndef UINT64_INFINITY
#define UINT64_INFINITY (UINT64_MAX - 1)
#endif

/* One "Allow=" entry: an address prefix, optionally restricted to a protocol and port. */
typedef struct EgressRule {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t address[16];
        unsigned prefixlen;
        int protocol;           /* 0 (any), IPPROTO_TCP or IPPROTO_UDP */
        uint16_t port;          /* 0: any */
} EgressRule;

/* One "AllowHost=" entry: a DNS name, optionally with a port. */
typedef struct EgressHost {
        char *name;
        int protocol;
        uint16_t port;
} EgressHost;

typedef struct SessionCredential {
        char *id;               /* credential name, as seen in $CREDENTIALS_DIRECTORY */
        char *path;             /* source file on the host */
        bool encrypted;         /* LoadCredentialEncrypted= */
} SessionCredential;

/* A pass-through key from [Unit], [Service] or [Install], kept in file order. */
typedef struct PassthroughEntry {
        char *key;
        char *value;
} PassthroughEntry;

typedef struct PassthroughSection {
        PassthroughEntry *entries;
        size_t n_entries;
} PassthroughSection;

typedef struct Session {
        char *name;             /* from the file name, without ".session" */
        char *source_path;      /* main file, for SourcePath= and messages */

        /* [Session] */
        char *description;
        SessionBackend backend;
        char **exec;            /* argv, NULL-terminated; NULL means the backend's default */
        char *user;             /* NULL with dynamic_user */
        bool dynamic_user;
        SessionProfile profile;
        char **system_call_filter;      /* extra allow-list entries, checked with libseccomp */
        uint64_t max_runtime_usec;      /* UINT64_UNSET: none */
        uint64_t idle_timeout_usec;     /* UINT64_UNSET: none */
        SessionOnEnd on_end;
        bool terminal;
        bool auto_start;
        char *image;            /* nspawn/vmspawn: machine image name or path; NULL: host root */
        char **environment;     /* "KEY=VALUE" */
        char *working_directory;

        /* [Resources] */
        uint64_t memory_max;    /* bytes; UINT64_UNSET: default */
        uint64_t memory_high;
        uint64_t memory_swap_max;
        uint64_t cpu_quota_per_sec_usec;        /* 200% -> 2000000 */
        uint64_t cpu_weight;
        uint64_t tasks_max;
        uint64_t io_weight;

        /* [Egress] */
        bool egress_default_allow;      /* Default=allow|deny, deny by default */
        EgressRule *egress_rules;
        size_t n_egress_rules;
        EgressHost *egress_hosts;
        size_t n_egress_hosts;
        char **dns_servers;     /* upstream resolvers the stub may forward allowed names to */

        /* [Workspace] */
        char *workspace_path;
        WorkspaceMode workspace_mode;
        char *workspace_target; /* where it appears inside the session, default /workspace */
        uint64_t workspace_size;        /* tmpfs size */
        bool workspace_restore;         /* not from the file: set by sessiond for Start with restore */

        /* [Secrets] */
        SessionCredential *credentials;
        size_t n_credentials;

        /* [Unit], [Service], [Install] pass-through */
        PassthroughSection unit_section, service_section, install_section;
} Session;

Session *session_new(void);
Session *session_free(Session *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Session *, session_free);

const char *session_backend_to_string(SessionBackend b) _const_;
SessionBackend session_backend_from_string(const char *s) _pure_;
const char *session_profile_to_string(SessionProfile p) _const_;
SessionProfile session_profile_from_string(const char *s) _pure_;
const char *session_on_end_to_string(SessionOnEnd o) _const_;
SessionOnEnd session_on_end_from_string(const char *s) _pure_;
const char *workspace_mode_to_string(WorkspaceMode m) _const_;
WorkspaceMode workspace_mode_from_string(const char *s) _pure_;

/* Session names: [a-zA-Z0-9_.-], 1..SESSION_NAME_MAX, not starting with '.' or '-'. The service
 * takes the name verbatim (sessiond-my-agent.service); in the slice name '-' means nesting, so
 * there it is escaped as systemd-escape does (sessiond-my\x2dagent.slice, under sessiond.slice). */
bool session_name_is_valid(const char *name) _pure_;

/* "sessiond-NAME.service", "sessiond-NAME.slice" */
int session_unit_name(const char *name, char **ret);
int session_slice_name(const char *name, char **ret);
