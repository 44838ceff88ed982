/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "parse-util.h"
#include "session-render-bus.h"

/* Appends 'v' (taken, freed on failure) to a NULL-terminated array. */
static int lines_push(char ***l, char *v) {
        size_t n = 0;
        char **nl;

        while (*l && (*l)[n])
                n++;
        nl = realloc(*l, (n + 2) * sizeof(char *));
        if (!nl) {
                free(v);
                return -ENOMEM;
        }
        nl[n] = v;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

typedef enum AssignmentKind {
        KIND_STRING,            /* s */
        KIND_BOOL,              /* b */
        KIND_TIME,              /* t: usec; unit-file value is a time span */
        KIND_SIZE,              /* t: bytes or infinity */
        KIND_U64,               /* t: plain number or infinity */
        KIND_CPU_QUOTA,         /* t: "200%" -> 2000000 usec per sec */
        KIND_STRV,              /* as: whitespace-separated, quoted words */
        KIND_EXEC,              /* a(sasb) */
        KIND_LOG_EXTRA,         /* aay: one "FIELD=value" */
        KIND_SYSCALL_LIST,      /* (bas): allow-list flag and names, "~" denies */
        KIND_CAPS,              /* t: capability mask, "~" inverts */
        KIND_NAMESPACES,        /* t: allowed namespace flags */
        KIND_IP_ADDRESS,        /* a(iayu) */
        KIND_ERRNO,             /* i */
        KIND_SIGNAL,            /* i */
        KIND_UMASK,             /* u: octal */
        KIND_PAIRS,             /* a(ss): "a:b" per word (LoadCredential=, TemporaryFileSystem=) */
        KIND_BIND_PATHS,        /* a(ssbt): "[-]src[:dst[:rbind|norbind]]" per word */
        KIND_NFT_SET,           /* a(iiss): "source:family:table:set" per word */
        KIND_DEVICE_ALLOW,      /* a(ss): "path [rwm]" */
        KIND_INT,               /* i: signed number */
} AssignmentKind;

typedef struct AssignmentType {
        const char *key;        /* unit-file key */
        const char *property;   /* D-Bus property */
        AssignmentKind kind;
        /* KIND_BOOL settings that also take words ("PrivateTmp=disconnected"): the string
         * property systemd 257 offers for them, used when the value is not a boolean.
         * KIND_EXEC: the a(sasas) property with flags, used for the '+' prefix. */
        const char *property_ex;
} AssignmentType;

/* Every key the renderer may emit for a slice or a service, with its transient property. */
static const AssignmentType assignment_types[] = {
        /* [Unit] */
        { "Description",                "Description",                  KIND_STRING },
        { "Documentation",              "Documentation",                KIND_STRV },
        { "SourcePath",                 "SourcePath",                   KIND_STRING },
        { "DefaultDependencies",        "DefaultDependencies",          KIND_BOOL },
        { "CollectMode",                "CollectMode",                  KIND_STRING },
        { "After",                      "After",                        KIND_STRV },
        { "Before",                     "Before",                       KIND_STRV },
        { "Wants",                      "Wants",                        KIND_STRV },
        { "Requires",                   "Requires",                     KIND_STRV },
        { "BindsTo",                    "BindsTo",                      KIND_STRV },
        { "PartOf",                     "PartOf",                       KIND_STRV },
        { "Conflicts",                  "Conflicts",                    KIND_STRV },
        { "StopWhenUnneeded",           "StopWhenUnneeded",             KIND_BOOL },
        { "RefuseManualStart",          "RefuseManualStart",            KIND_BOOL },
        { "RefuseManualStop",           "RefuseManualStop",             KIND_BOOL },
        { "JobTimeoutSec",              "JobTimeoutUSec",               KIND_TIME },
        { "StartLimitIntervalSec",      "StartLimitIntervalUSec",       KIND_TIME },
        { "StartLimitBurst",            "StartLimitBurst",              KIND_U64 },

        /* [Service] */
        { "Type",                       "Type",                         KIND_STRING },
        { "ExitType",                   "ExitType",                     KIND_STRING },
        { "ExecStart",                  "ExecStart",                    KIND_EXEC, "ExecStartEx" },
        { "ExecStartPre",               "ExecStartPre",                 KIND_EXEC, "ExecStartPreEx" },
        { "ExecStartPost",              "ExecStartPost",                KIND_EXEC, "ExecStartPostEx" },
        { "ExecStop",                   "ExecStop",                     KIND_EXEC, "ExecStopEx" },
        { "ExecStopPost",               "ExecStopPost",                 KIND_EXEC, "ExecStopPostEx" },
        { "Restart",                    "Restart",                      KIND_STRING },
        { "RestartSec",                 "RestartUSec",                  KIND_TIME },
        { "RemainAfterExit",            "RemainAfterExit",              KIND_BOOL },
        { "NotifyAccess",               "NotifyAccess",                 KIND_STRING },
        { "OOMPolicy",                  "OOMPolicy",                    KIND_STRING },
        { "RuntimeMaxSec",              "RuntimeMaxUSec",               KIND_TIME },
        { "RuntimeRandomizedExtraSec",  "RuntimeRandomizedExtraUSec",   KIND_TIME },
        { "TimeoutStartSec",            "TimeoutStartUSec",             KIND_TIME },
        { "TimeoutStopSec",             "TimeoutStopUSec",              KIND_TIME },
        { "TimeoutAbortSec",            "TimeoutAbortUSec",             KIND_TIME },
        { "WatchdogSec",                "WatchdogUSec",                 KIND_TIME },
        { "Slice",                      "Slice",                        KIND_STRING },

        /* kill */
        { "KillMode",                   "KillMode",                     KIND_STRING },
        { "KillSignal",                 "KillSignal",                   KIND_SIGNAL },
        { "FinalKillSignal",            "FinalKillSignal",              KIND_SIGNAL },
        { "SendSIGKILL",                "SendSIGKILL",                  KIND_BOOL },
        { "SendSIGHUP",                 "SendSIGHUP",                   KIND_BOOL },

        /* exec context */
        { "User",                       "User",                         KIND_STRING },
        { "Group",                      "Group",                        KIND_STRING },
        { "DynamicUser",                "DynamicUser",                  KIND_BOOL },
        { "SupplementaryGroups",        "SupplementaryGroups",          KIND_STRV },
        { "WorkingDirectory",           "WorkingDirectory",             KIND_STRING },
        { "RootDirectory",              "RootDirectory",                KIND_STRING },
        { "Environment",                "Environment",                  KIND_STRV },
        { "UMask",                      "UMask",                        KIND_UMASK },
        { "Nice",                       "Nice",                         KIND_INT },
        { "OOMScoreAdjust",             "OOMScoreAdjust",               KIND_INT },
        { "StandardInput",              "StandardInput",                KIND_STRING },
        { "StandardOutput",             "StandardOutput",               KIND_STRING },
        { "StandardError",              "StandardError",                KIND_STRING },
        { "TTYPath",                    "TTYPath",                      KIND_STRING },
        { "LogExtraFields",             "LogExtraFields",               KIND_LOG_EXTRA },
        { "SyslogIdentifier",           "SyslogIdentifier",             KIND_STRING },
        { "NoNewPrivileges",            "NoNewPrivileges",              KIND_BOOL },
        { "ProtectSystem",              "ProtectSystem",                KIND_STRING },
        { "ProtectHome",                "ProtectHome",                  KIND_STRING },
        { "PrivateTmp",                 "PrivateTmp",                   KIND_BOOL, "PrivateTmpEx" },
        { "PrivateDevices",             "PrivateDevices",               KIND_BOOL },
        { "PrivateNetwork",             "PrivateNetwork",               KIND_BOOL },
        { "PrivateIPC",                 "PrivateIPC",                   KIND_BOOL },
        { "PrivateUsers",               "PrivateUsers",                 KIND_BOOL, "PrivateUsersEx" },
        { "PrivateMounts",              "PrivateMounts",                KIND_BOOL },
        { "ProtectKernelTunables",      "ProtectKernelTunables",        KIND_BOOL },
        { "ProtectKernelModules",       "ProtectKernelModules",         KIND_BOOL },
        { "ProtectKernelLogs",          "ProtectKernelLogs",            KIND_BOOL },
        { "ProtectControlGroups",       "ProtectControlGroups",         KIND_BOOL, "ProtectControlGroupsEx" },
        { "ProtectClock",               "ProtectClock",                 KIND_BOOL },
        { "ProtectHostname",            "ProtectHostname",              KIND_BOOL },
        { "ProtectProc",                "ProtectProc",                  KIND_STRING },
        { "ProcSubset",                 "ProcSubset",                   KIND_STRING },
        { "RestrictRealtime",           "RestrictRealtime",             KIND_BOOL },
        { "RestrictSUIDSGID",           "RestrictSUIDSGID",             KIND_BOOL },
        { "LockPersonality",            "LockPersonality",              KIND_BOOL },
        { "MemoryDenyWriteExecute",     "MemoryDenyWriteExecute",       KIND_BOOL },
        { "RemoveIPC",                  "RemoveIPC",                    KIND_BOOL },
        { "KeyringMode",                "KeyringMode",                  KIND_STRING },
        { "RestrictNamespaces",         "RestrictNamespaces",           KIND_NAMESPACES },
        { "CapabilityBoundingSet",      "CapabilityBoundingSet",        KIND_CAPS },
        { "AmbientCapabilities",        "AmbientCapabilities",          KIND_CAPS },
        { "SystemCallFilter",           "SystemCallFilter",             KIND_SYSCALL_LIST },
        { "SystemCallArchitectures",    "SystemCallArchitectures",      KIND_STRV },
        { "SystemCallErrorNumber",      "SystemCallErrorNumber",        KIND_ERRNO },
        { "RestrictAddressFamilies",    "RestrictAddressFamilies",      KIND_SYSCALL_LIST },
        { "ReadWritePaths",             "ReadWritePaths",               KIND_STRV },
        { "ReadOnlyPaths",              "ReadOnlyPaths",                KIND_STRV },
        { "InaccessiblePaths",          "InaccessiblePaths",            KIND_STRV },
        { "ExecPaths",                  "ExecPaths",                    KIND_STRV },
        { "NoExecPaths",                "NoExecPaths",                  KIND_STRV },
        { "BindPaths",                  "BindPaths",                    KIND_BIND_PATHS },
        { "BindReadOnlyPaths",          "BindReadOnlyPaths",            KIND_BIND_PATHS },
        { "TemporaryFileSystem",        "TemporaryFileSystem",          KIND_PAIRS },
        { "RuntimeDirectory",           "RuntimeDirectory",             KIND_STRV },
        { "RuntimeDirectoryMode",       "RuntimeDirectoryMode",         KIND_UMASK },
        { "StateDirectoryMode",         "StateDirectoryMode",           KIND_UMASK },
        { "StateDirectory",             "StateDirectory",               KIND_STRV },
        { "CacheDirectory",             "CacheDirectory",               KIND_STRV },
        { "LoadCredential",             "LoadCredential",               KIND_PAIRS },
        { "LoadCredentialEncrypted",    "LoadCredentialEncrypted",      KIND_PAIRS },

        /* cgroup (slice and service) */
        { "Delegate",                   "Delegate",                     KIND_BOOL },
        { "MemoryAccounting",           "MemoryAccounting",             KIND_BOOL },
        { "CPUAccounting",              "CPUAccounting",                KIND_BOOL },
        { "TasksAccounting",            "TasksAccounting",              KIND_BOOL },
        { "IOAccounting",               "IOAccounting",                 KIND_BOOL },
        { "IPAccounting",               "IPAccounting",                 KIND_BOOL },
        { "MemoryMax",                  "MemoryMax",                    KIND_SIZE },
        { "MemoryHigh",                 "MemoryHigh",                   KIND_SIZE },
        { "MemoryLow",                  "MemoryLow",                    KIND_SIZE },
        { "MemoryMin",                  "MemoryMin",                    KIND_SIZE },
        { "MemorySwapMax",              "MemorySwapMax",                KIND_SIZE },
        { "MemoryZSwapMax",             "MemoryZSwapMax",               KIND_SIZE },
        { "CPUQuota",                   "CPUQuotaPerSecUSec",           KIND_CPU_QUOTA },
        { "CPUWeight",                  "CPUWeight",                    KIND_U64 },
        { "IOWeight",                   "IOWeight",                     KIND_U64 },
        { "TasksMax",                   "TasksMax",                     KIND_U64 },
        { "IPAddressAllow",             "IPAddressAllow",               KIND_IP_ADDRESS },
        { "IPAddressDeny",              "IPAddressDeny",                KIND_IP_ADDRESS },
        { "DevicePolicy",               "DevicePolicy",                 KIND_STRING },
        { "DeviceAllow",                "DeviceAllow",                  KIND_DEVICE_ALLOW },
        { "ManagedOOMSwap",             "ManagedOOMSwap",               KIND_STRING },
        { "ManagedOOMMemoryPressure",   "ManagedOOMMemoryPressure",     KIND_STRING },
        { "NFTSet",                     "NFTSet",                       KIND_NFT_SET },
};

static const char *const kind_signature[] = {
        [KIND_STRING] = "s",
        [KIND_BOOL] = "b",
        [KIND_TIME] = "t",
        [KIND_SIZE] = "t",
        [KIND_U64] = "t",
        [KIND_CPU_QUOTA] = "t",
        [KIND_STRV] = "as",
        [KIND_EXEC] = "a(sasb)",
        [KIND_LOG_EXTRA] = "aay",
        [KIND_SYSCALL_LIST] = "(bas)",
        [KIND_CAPS] = "t",
        [KIND_NAMESPACES] = "t",
        [KIND_IP_ADDRESS] = "a(iayu)",
        [KIND_ERRNO] = "i",
        [KIND_SIGNAL] = "i",
        [KIND_UMASK] = "u",
        [KIND_PAIRS] = "a(ss)",
        [KIND_BIND_PATHS] = "a(ssbt)",
        [KIND_NFT_SET] = "a(iiss)",
        [KIND_DEVICE_ALLOW] = "a(ss)",
        [KIND_INT] = "i",
};

static const AssignmentType *assignment_type_find_key(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(assignment_types); i++)
                if (streq(assignment_types[i].key, key))
                        return assignment_types + i;
        return NULL;
}

static const AssignmentType *assignment_type_find_property(const char *property, bool *ret_ex) {
        for (size_t i = 0; i < ELEMENTSOF(assignment_types); i++) {
                if (streq(assignment_types[i].property, property)) {
                        *ret_ex = false;
                        return assignment_types + i;
                }
                if (streq_ptr(assignment_types[i].property_ex, property)) {
                        *ret_ex = true;
                        return assignment_types + i;
                }
        }
        return NULL;
}

int bus_unit_assignment_type(const char *key, const char **ret_property, const char **ret_signature) {
        const AssignmentType *t;

        assert(key);

        t = assignment_type_find_key(key);
        if (!t)
                return -EOPNOTSUPP;
        if (ret_property)
                *ret_property = t->property;
        if (ret_signature)
                *ret_signature = kind_signature[t->kind];
        return 0;
}

/* ---- value parsers (unit-file syntax) ---- */

/* Parses "123" or "1.5" into an integer part and a fraction scaled to 1e9. */
static int parse_decimal(const char **p, uint64_t *ret_int, uint64_t *ret_frac_nano) {
        const char *s = *p;
        uint64_t i = 0, f = 0, scale = 100000000;
        bool any = false;

        while (isdigit((unsigned char) *s)) {
                if (i > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                i = i * 10 + (uint64_t) (*s - '0');
                s++;
                any = true;
        }
        if (*s == '.') {
                s++;
                while (isdigit((unsigned char) *s)) {
                        f += (uint64_t) (*s - '0') * scale;
                        scale /= 10;
                        s++;
                        any = true;
                }
        }
        if (!any)
                return -EINVAL;
        *p = s;
        *ret_int = i;
        *ret_frac_nano = f;
        return 0;
}

static int scale_add(uint64_t i, uint64_t frac_nano, uint64_t mul, uint64_t *sum) {
        uint64_t v;

        if (mul != 0 && i > UINT64_MAX / mul)
                return -ERANGE;
        v = i * mul;
        /* fraction: frac_nano / 1e9 * mul, without overflow for the multipliers we use */
        v += (uint64_t) ((double) frac_nano / 1e9 * (double) mul);
        if (UINT64_MAX - *sum < v)
                return -ERANGE;
        *sum += v;
        return 0;
}

int parse_time_span_usec(const char *v, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "seconds", 1000000ULL },   { "second", 1000000ULL },   { "sec", 1000000ULL },
                { "s", 1000000ULL },         { "minutes", 60000000ULL }, { "minute", 60000000ULL },
                { "min", 60000000ULL },      { "months", 2629800000000ULL }, { "month", 2629800000000ULL },
                { "msec", 1000ULL },         { "ms", 1000ULL },          { "m", 60000000ULL },
                { "hours", 3600000000ULL },  { "hour", 3600000000ULL },  { "hr", 3600000000ULL },
                { "h", 3600000000ULL },      { "days", 86400000000ULL }, { "day", 86400000000ULL },
                { "d", 86400000000ULL },     { "weeks", 604800000000ULL }, { "week", 604800000000ULL },
                { "w", 604800000000ULL },    { "M", 2629800000000ULL },  { "years", 31557600000000ULL },
                { "year", 31557600000000ULL }, { "y", 31557600000000ULL }, { "usec", 1ULL },
                { "us", 1ULL },              { "µs", 1ULL },
        };
        uint64_t sum = 0;
        const char *p;
        bool any = false;
        int r;

        if (!v)
                return -EINVAL;
        if (streq(v, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }

        p = v;
        for (;;) {
                uint64_t i, f, mul = 1000000ULL;
                size_t l = 0;

                p += strspn(p, " \t");
                if (!*p)
                        break;
                r = parse_decimal(&p, &i, &f);
                if (r < 0)
                        return r;
                p += strspn(p, " \t");
                for (size_t k = 0; k < ELEMENTSOF(units); k++) {
                        size_t n = strlen(units[k].suffix);
                        /* "m" must not match the start of "ms"/"min": suffixes are ordered longest first per letter */
                        if (strncmp(p, units[k].suffix, n) == 0 && !isalpha((unsigned char) p[n])) {
                                mul = units[k].usec;
                                l = n;
                                break;
                        }
                }
                if (l == 0 && isalpha((unsigned char) *p))
                        return -EINVAL;
                p += l;
                r = scale_add(i, f, mul, &sum);
                if (r < 0)
                        return r;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = sum;
        return 0;
}

int parse_size_bytes(const char *v, uint64_t *ret) {
        static const char suffixes[] = "BKMGTPE";
        uint64_t i, f, mul = 1, sum = 0;
        const char *p = v;
        int r;

        if (!v)
                return -EINVAL;
        if (streq(v, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        r = parse_decimal(&p, &i, &f);
        if (r < 0)
                return r;
        p += strspn(p, " ");
        if (*p) {
                const char *c = strchr(suffixes, *p);
                if (!c || p[1])
                        return -EINVAL;
                for (long k = 0; k < c - suffixes; k++)
                        mul *= 1024;
        } else if (f != 0)
                return -EINVAL;
        r = scale_add(i, f, mul, &sum);
        if (r < 0)
                return r;
        *ret = sum;
        return 0;
}

static int parse_u64_or_infinity(const char *v, uint64_t *ret) {
        char *end;
        unsigned long long u;

        if (streq(v, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (!isdigit((unsigned char) v[0]))
                return -EINVAL;
        errno = 0;
        u = strtoull(v, &end, 10);
        if (errno != 0 || *end)
                return -EINVAL;
        *ret = u;
        return 0;
}

static int parse_cpu_quota(const char *v, uint64_t *ret) {
        uint64_t i, f, sum = 0;
        const char *p = v;
        int r;

        r = parse_decimal(&p, &i, &f);
        if (r < 0)
                return r;
        if (!streq(p, "%"))
                return -EINVAL;
        /* 1% of a CPU is 10000 usec per second */
        r = scale_add(i, f, 10000, &sum);
        if (r < 0)
                return r;
        if (sum == 0)
                return -ERANGE;
        *ret = sum;
        return 0;
}

static int cunescape_one(const char **p, char *ret) {
        const char *s = *p;     /* points after the backslash */

        switch (*s) {
        case 'a': *ret = '\a'; break;
        case 'b': *ret = '\b'; break;
        case 'f': *ret = '\f'; break;
        case 'n': *ret = '\n'; break;
        case 'r': *ret = '\r'; break;
        case 't': *ret = '\t'; break;
        case 'v': *ret = '\v'; break;
        case '\\': case '"': case '\'': case ' ': case ';':
                *ret = *s;
                break;
        case 's': *ret = ' '; break;
        case 'x': {
                int hi, lo;
                if (!isxdigit((unsigned char) s[1]) || !isxdigit((unsigned char) s[2]))
                        return -EINVAL;
                hi = isdigit((unsigned char) s[1]) ? s[1] - '0' : (tolower((unsigned char) s[1]) - 'a' + 10);
                lo = isdigit((unsigned char) s[2]) ? s[2] - '0' : (tolower((unsigned char) s[2]) - 'a' + 10);
                if (hi == 0 && lo == 0)
                        return -EINVAL;
                *ret = (char) (hi * 16 + lo);
                *p = s + 3;
                return 0;
        }
        default:
                return -EINVAL;
        }
        *p = s + 1;
        return 0;
}

/* Unit-file specifiers are not expanded in the D-Bus rendering: "%%" is a literal "%". */
static int unescape_specifiers(const char *v, char **ret) {
        _cleanup_free_ char *s = NULL;
        char *o;

        s = malloc(strlen(v) + 1);
        if (!s)
                return -ENOMEM;
        o = s;
        for (const char *p = v; *p; p++) {
                if (*p == '%') {
                        if (p[1] != '%')
                                return -EINVAL;
                        p++;
                }
                *o++ = *p;
        }
        *o = 0;
        *ret = TAKE_PTR(s);
        return 0;
}

/* Splits whitespace-separated words with '…' and "…" quoting and C escapes, as systemd does for
 * ExecStart=, Environment= and list settings. */
static int split_words(const char *line, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *word = NULL;
        const char *p = line;
        int r;

        for (;;) {
                size_t n = 0;
                char quote = 0;

                p += strspn(p, " \t\n");
                if (!*p)
                        break;

                free(word);
                word = malloc(strlen(p) + 1);
                if (!word)
                        return -ENOMEM;

                for (; *p; ) {
                        char c = *p;

                        if (!quote && strchr(" \t\n", c))
                                break;
                        if (c == '%') {
                                if (p[1] != '%')
                                        return -EINVAL;
                                word[n++] = '%';
                                p += 2;
                                continue;
                        }
                        if (c == '\\') {
                                p++;
                                r = cunescape_one(&p, &word[n]);
                                if (r < 0)
                                        return r;
                                n++;
                                continue;
                        }
                        if (quote && c == quote) {
                                quote = 0;
                                p++;
                                continue;
                        }
                        if (!quote && (c == '"' || c == '\'')) {
                                quote = c;
                                p++;
                                continue;
                        }
                        word[n++] = c;
                        p++;
                }
                if (quote)
                        return -EINVAL;
                word[n] = 0;
                r = lines_push(&l, TAKE_PTR(word));
                if (r < 0)
                        return r;
        }

        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int split_command_line(const char *line, char ***ret) {
        return split_words(line, ret);
}

/* A command with the '+' prefix (full privileges) exists only in the "Ex" form of the property,
 * whose flags are words: ExecStartPreEx=a(sasas). */
static int append_exec_command_ex(sd_bus_message *m, const AssignmentType *t, char * const *argv,
                                  bool ignore_failure) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", t->property_ex);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', "a(sasas)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sasas)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sasas");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", argv[0]);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) argv);
        if (r < 0)
                return r;
        if (ignore_failure)
                r = sd_bus_message_append(m, "as", 2, "ignore-failure", "privileged");
        else
                r = sd_bus_message_append(m, "as", 1, "privileged");
        if (r < 0)
                return r;
        for (int i = 0; i < 4; i++) {
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bus_append_exec_command_privileged(sd_bus_message *m, const char *key, char * const *argv,
                                       bool ignore_failure, bool privileged) {
        const AssignmentType *t;

        assert(m);
        assert(key);

        t = assignment_type_find_key(key);
        if (!t || t->kind != KIND_EXEC || !t->property_ex)
                return -EOPNOTSUPP;
        if (!argv || !argv[0] || argv[0][0] != '/')
                return -EINVAL;
        if (privileged)
                return append_exec_command_ex(m, t, argv, ignore_failure);
        return bus_append_exec_command_full(m, key, argv, ignore_failure);
}

int bus_append_exec_command_full(sd_bus_message *m, const char *key, char * const *argv, bool ignore_failure) {
        const AssignmentType *t;
        int r;

        assert(m);
        assert(key);

        t = assignment_type_find_key(key);
        if (!t || t->kind != KIND_EXEC)
                return -EOPNOTSUPP;
        if (!argv || !argv[0] || argv[0][0] != '/')
                return -EINVAL;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", t->property);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', "a(sasb)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sasb)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sasb");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", argv[0]);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) argv);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "b", ignore_failure);
        if (r < 0)
                return r;
        for (int i = 0; i < 4; i++) {
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const char *const capability_names[] = {
        "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid",
        "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable",
        "cap_net_bind_service", "cap_net_broadcast", "cap_net_admin", "cap_net_raw",
        "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot",
        "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
        "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
        "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override",
        "cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read",
        "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
};

static int parse_caps(const char *v, uint64_t *ret) {
        _cleanup_strv_free_ char **words = NULL;
        uint64_t mask = 0;
        bool invert = false;
        int r;

        if (*v == '~') {
                invert = true;
                v++;
        }
        r = split_words(v, &words);
        if (r < 0)
                return r;
        for (char **w = words; *w; w++) {
                bool found = false;
                for (size_t i = 0; i < ELEMENTSOF(capability_names); i++)
                        if (strcasecmp(*w, capability_names[i]) == 0) {
                                mask |= UINT64_C(1) << i;
                                found = true;
                                break;
                        }
                if (!found)
                        return -EINVAL;
        }
        if (invert)
                mask = ~mask & ((UINT64_C(1) << ELEMENTSOF(capability_names)) - 1);
        *ret = mask;
        return 0;
}

static const struct {
        const char *name;
        unsigned long flag;
} namespace_flags[] = {
        { "cgroup", CLONE_NEWCGROUP },
        { "ipc",    CLONE_NEWIPC },
        { "net",    CLONE_NEWNET },
        { "mnt",    CLONE_NEWNS },
        { "pid",    CLONE_NEWPID },
        { "user",   CLONE_NEWUSER },
        { "uts",    CLONE_NEWUTS },
        { "time",   0x80 /* CLONE_NEWTIME */ },
};

static uint64_t namespace_flags_all(void) {
        uint64_t all = 0;
        for (size_t i = 0; i < ELEMENTSOF(namespace_flags); i++)
                all |= namespace_flags[i].flag;
        return all;
}

/* The property carries the namespaces that stay allowed: "yes" allows none, "no" all. */
static int parse_namespaces(const char *v, uint64_t *ret) {
        _cleanup_strv_free_ char **words = NULL;
        uint64_t flags = 0;
        bool invert = false;
        int r, b;

        b = parse_boolean(v);
        if (b >= 0) {
                *ret = b ? 0 : namespace_flags_all();
                return 0;
        }
        if (*v == '~') {
                invert = true;
                v++;
        }
        r = split_words(v, &words);
        if (r < 0)
                return r;
        for (char **w = words; *w; w++) {
                bool found = false;
                for (size_t i = 0; i < ELEMENTSOF(namespace_flags); i++)
                        if (streq(*w, namespace_flags[i].name)) {
                                flags |= namespace_flags[i].flag;
                                found = true;
                        }
                if (!found)
                        return -EINVAL;
        }
        *ret = invert ? (namespace_flags_all() & ~flags) : flags;
        return 0;
}

static int parse_errno_name(const char *v, int *ret) {
        char *end;
        long l;

        errno = 0;
        l = strtol(v, &end, 10);
        if (errno == 0 && *end == 0 && end != v && l > 0 && l < 4096) {
                *ret = (int) l;
                return 0;
        }
        for (int e = 1; e < 4096; e++) {
                const char *n = strerrorname_np(e);
                if (n && streq(n, v)) {
                        *ret = e;
                        return 0;
                }
        }
        return -EINVAL;
}

static int parse_signal_name(const char *v, int *ret) {
        char *end;
        long l;

        errno = 0;
        l = strtol(v, &end, 10);
        if (errno == 0 && *end == 0 && end != v && l > 0 && l < _NSIG) {
                *ret = (int) l;
                return 0;
        }
        if (strncmp(v, "SIG", 3) == 0)
                v += 3;
        for (int s = 1; s < NSIG; s++) {
                const char *n = sigabbrev_np(s);
                if (n && streq(n, v)) {
                        *ret = s;
                        return 0;
                }
        }
        return -EINVAL;
}

static int append_ip_prefix(sd_bus_message *m, int family, const void *addr, unsigned prefixlen) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "iayu");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "i", family);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', addr, family == AF_INET ? 4 : 16);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "u", prefixlen);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_ip_word(sd_bus_message *m, const char *w) {
        static const struct {
                const char *keyword;
                const char *prefixes[2];
        } keywords[] = {
                { "any",        { "0.0.0.0/0",      "::/0" } },
                { "localhost",  { "127.0.0.0/8",    "::1/128" } },
                { "link-local", { "169.254.0.0/16", "fe80::/64" } },
                { "multicast",  { "224.0.0.0/4",    "ff00::/8" } },
        };
        _cleanup_free_ char *a = NULL;
        uint8_t buf[16];
        unsigned prefixlen;
        char *slash;
        int family, r;

        for (size_t i = 0; i < ELEMENTSOF(keywords); i++)
                if (streq(w, keywords[i].keyword)) {
                        for (size_t j = 0; j < 2; j++) {
                                r = append_ip_word(m, keywords[i].prefixes[j]);
                                if (r < 0)
                                        return r;
                        }
                        return 0;
                }

        a = strdup(w);
        if (!a)
                return -ENOMEM;
        slash = strchr(a, '/');
        if (slash)
                *slash = 0;
        if (inet_pton(AF_INET, a, buf) == 1)
                family = AF_INET;
        else if (inet_pton(AF_INET6, a, buf) == 1)
                family = AF_INET6;
        else
                return -EINVAL;
        prefixlen = family == AF_INET ? 32 : 128;
        if (slash) {
                char *end;
                unsigned long l;

                errno = 0;
                l = strtoul(slash + 1, &end, 10);
                if (errno != 0 || *end || end == slash + 1 || l > prefixlen)
                        return -EINVAL;
                prefixlen = (unsigned) l;
        }
        return append_ip_prefix(m, family, buf, prefixlen);
}

static int append_nft_set(sd_bus_message *m, const char *w) {
        /* systemd's enums: NFTSetSource address=0 prefix=1 ifindex=2 cgroup=3 user=4 group=5
         * (the first three are for networkd); NFPROTO inet=1 ipv4=2 ipv6=10 */
        static const char *const sources[] = { [3] = "cgroup", [4] = "user", [5] = "group" };
        static const struct {
                const char *name;
                int proto;
        } families[] = { { "inet", 1 }, { "ip", 2 }, { "ip6", 10 } };
        _cleanup_free_ char *copy = NULL;
        char *src, *fam, *table, *set;
        int source = -1, proto = -1;

        copy = strdup(w);
        if (!copy)
                return -ENOMEM;
        src = copy;
        fam = strchr(src, ':');
        if (!fam)
                return -EINVAL;
        *fam++ = 0;
        table = strchr(fam, ':');
        if (!table)
                return -EINVAL;
        *table++ = 0;
        set = strchr(table, ':');
        if (!set)
                return -EINVAL;
        *set++ = 0;
        if (isempty(table) || isempty(set) || strchr(set, ':'))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(sources); i++)
                if (streq_ptr(src, sources[i]))
                        source = (int) i;
        for (size_t i = 0; i < ELEMENTSOF(families); i++)
                if (streq(fam, families[i].name))
                        proto = families[i].proto;
        if (source < 0 || proto < 0)
                return -EINVAL;
        return sd_bus_message_append(m, "(iiss)", source, proto, table, set);
}

static int append_bind_path(sd_bus_message *m, const char *w) {
        _cleanup_free_ char *copy = NULL;
        char *src, *dst, *opt;
        bool ignore = false;
        uint64_t flags = 16384;         /* MS_REC: rbind is the default */

        copy = strdup(w);
        if (!copy)
                return -ENOMEM;
        src = copy;
        if (*src == '-') {
                ignore = true;
                src++;
        }
        dst = strchr(src, ':');
        if (dst) {
                *dst++ = 0;
                opt = strchr(dst, ':');
                if (opt) {
                        *opt++ = 0;
                        if (streq(opt, "norbind"))
                                flags = 0;
                        else if (!streq(opt, "rbind"))
                                return -EINVAL;
                }
        } else
                dst = src;
        if (src[0] != '/' || dst[0] != '/')
                return -EINVAL;
        return sd_bus_message_append(m, "(ssbt)", src, dst, ignore, flags);
}

/* Words of a value: a unit-file value is split as systemd splits it; a raw value from the renderer
 * is one item (it comes one assignment per item), unless the kind is a list of plain tokens
 * (system call names, capabilities, address families, addresses), which never contain blanks. */
static int value_words(const char *v, bool unit_file_syntax, bool tokens, char ***ret) {
        char **l;

        if (unit_file_syntax || tokens)
                return split_words(v, ret);
        l = calloc(2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        l[0] = strdup(v);
        if (!l[0]) {
                free(l);
                return -ENOMEM;
        }
        *ret = l;
        return 0;
}

static int value_string(const char *v, bool unit_file_syntax, char **ret) {
        if (unit_file_syntax)
                return unescape_specifiers(v, ret);
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

int bus_append_unit_setting(sd_bus_message *m, const char *key, const char *raw, bool unit_file_syntax) {
        _cleanup_free_ char *value = NULL;
        _cleanup_strv_free_ char **words = NULL;
        const AssignmentType *t;
        const char *sig;
        uint64_t u;
        int r, i;

        assert(m);
        assert(key);
        assert(raw);

        t = assignment_type_find_key(key);
        if (!t)
                return -EOPNOTSUPP;
        sig = kind_signature[t->kind];

        if (t->kind == KIND_EXEC) {
                _cleanup_strv_free_ char **argv = NULL;
                bool ignore = false, privileged = false;

                for (;; raw++)
                        if (*raw == '-' && !ignore)
                                ignore = true;
                        else if (*raw == '+' && !privileged)
                                privileged = true;
                        else
                                break;
                /* '@', '!', ':' change how systemd executes the command; dropping one
                 * silently would change the meaning. */
                if (strchr("@+!:-", *raw))
                        return -EOPNOTSUPP;
                r = split_words(raw, &argv);
                if (r < 0)
                        return r;
                if (!unit_file_syntax)
                        return -EINVAL;         /* raw commands come as argv */
                return bus_append_exec_command_privileged(m, key, argv, ignore, privileged);
        }

        if (t->property_ex && parse_boolean(raw) < 0) {
                r = value_string(raw, unit_file_syntax, &value);
                if (r < 0)
                        return r;
                return sd_bus_message_append(m, "(sv)", t->property_ex, "s", value);
        }

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", t->property);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', sig);
        if (r < 0)
                return r;

        switch (t->kind) {

        case KIND_STRING:
                r = value_string(raw, unit_file_syntax, &value);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "s", value);
                break;

        case KIND_BOOL:
                i = parse_boolean(raw);
                if (i < 0)
                        return i;
                r = sd_bus_message_append(m, "b", i);
                break;

        case KIND_TIME:
                r = parse_time_span_usec(raw, &u);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "t", u);
                break;

        case KIND_SIZE:
                r = parse_size_bytes(raw, &u);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "t", u);
                break;

        case KIND_U64:
                r = parse_u64_or_infinity(raw, &u);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "t", u);
                break;

        case KIND_CPU_QUOTA:
                r = parse_cpu_quota(raw, &u);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "t", u);
                break;

        case KIND_STRV:
                r = value_words(raw, unit_file_syntax, false, &words);
                if (r < 0)
                        return r;
                r = sd_bus_message_append_strv(m, words);
                break;

        case KIND_EXEC:
                assert(false);
                return -EINVAL;

        case KIND_LOG_EXTRA:
                r = value_string(raw, unit_file_syntax, &value);
                if (r < 0)
                        return r;
                if (!strchr(value, '='))
                        return -EINVAL;
                r = sd_bus_message_open_container(m, 'a', "ay");
                if (r < 0)
                        return r;
                r = sd_bus_message_append_array(m, 'y', value, strlen(value));
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                break;

        case KIND_SYSCALL_LIST: {
                const char *p = raw;
                bool allow = true;

                if (*p == '~') {
                        allow = false;
                        p++;
                }
                r = split_words(p, &words);
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'r', "bas");
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "b", allow);
                if (r < 0)
                        return r;
                r = sd_bus_message_append_strv(m, words);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                break;
        }

        case KIND_CAPS:
                r = parse_caps(raw, &u);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "t", u);
                break;

        case KIND_NAMESPACES:
                r = parse_namespaces(raw, &u);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "t", u);
                break;

        case KIND_IP_ADDRESS:
                r = split_words(raw, &words);
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'a', "(iayu)");
                if (r < 0)
                        return r;
                for (char **w = words; *w; w++) {
                        r = append_ip_word(m, *w);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_close_container(m);
                break;

        case KIND_ERRNO:
                r = parse_errno_name(raw, &i);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "i", i);
                break;

        case KIND_SIGNAL:
                r = parse_signal_name(raw, &i);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "i", i);
                break;

        case KIND_INT: {
                char *end;
                long l;

                errno = 0;
                l = strtol(raw, &end, 10);
                if (errno != 0 || *end || end == raw || l < INT32_MIN || l > INT32_MAX)
                        return -EINVAL;
                r = sd_bus_message_append(m, "i", (int32_t) l);
                break;
        }

        case KIND_UMASK: {
                char *end;
                unsigned long l;

                errno = 0;
                l = strtoul(raw, &end, 8);
                if (errno != 0 || *end || end == raw || l > 0777)
                        return -EINVAL;
                r = sd_bus_message_append(m, "u", (uint32_t) l);
                break;
        }

        case KIND_PAIRS:
        case KIND_BIND_PATHS:
        case KIND_NFT_SET:
                r = value_words(raw, unit_file_syntax, false, &words);
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'a', sig + 1);
                if (r < 0)
                        return r;
                for (char **w = words; *w; w++) {
                        if (t->kind == KIND_BIND_PATHS)
                                r = append_bind_path(m, *w);
                        else if (t->kind == KIND_NFT_SET)
                                r = append_nft_set(m, *w);
                        else {
                                char *colon = strchr(*w, ':');
                                if (!colon || colon == *w || !colon[1])
                                        return -EINVAL;
                                *colon = 0;
                                r = sd_bus_message_append(m, "(ss)", *w, colon + 1);
                        }
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_close_container(m);
                break;

        case KIND_DEVICE_ALLOW:
                r = split_words(raw, &words);       /* "PATH [rwm]" in both syntaxes */
                if (r < 0)
                        return r;
                if (!words[0] || (words[1] && words[2]))
                        return -EINVAL;
                r = sd_bus_message_append(m, "a(ss)", 1, words[0], words[1] ?: "rwm");
                break;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int escape_dollars(char * const *argv, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        while (argv[n])
                n++;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char *o;

                l[i] = o = malloc(strlen(argv[i]) * 2 + 1);
                if (!o)
                        return -ENOMEM;
                for (const char *c = argv[i]; *c; c++) {
                        if (*c == '$')
                                *o++ = '$';
                        *o++ = *c;
                }
                *o = 0;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int bus_append_unit_assignments(sd_bus_message *m, const UnitAssignments *a, char * const *skip, char **ret_bad) {
        int r;

        assert(m);
        assert(a);

        for (size_t i = 0; i < a->n_items; i++) {
                const UnitAssignment *u = a->items + i;
                bool skipped = false;

                if (u->section == UNIT_SECTION_INSTALL)
                        continue;
                for (char * const *k = skip; k && *k; k++)
                        if (streq(*k, u->key))
                                skipped = true;
                if (skipped)
                        continue;

                if (u->argv && !u->passthrough) {
                        _cleanup_strv_free_ char **escaped = NULL;

                        /* PID 1 expands $VAR in command lines at exec time, whether they came
                         * from a unit file or over D-Bus; the session's argv is literal, so
                         * '$' is doubled here as the unit-file writer does. */
                        r = escape_dollars(u->argv, &escaped);
                        if (r >= 0)
                                r = bus_append_exec_command_privileged(m, u->key, escaped, false, u->privileged);
                } else
                        r = bus_append_unit_setting(m, u->key, u->value, u->passthrough);
                if (r < 0) {
                        if (ret_bad && asprintf(ret_bad, "%s=%s", u->key, u->value) < 0)
                                *ret_bad = NULL;
                        return r;
                }
        }
        return 0;
}

int bus_append_unit_header(sd_bus_message *m, const Session *s, const char *what) {
        _cleanup_free_ char *d = NULL;
        int r;

        assert(m);
        assert(s);

        if (s->description)
                d = strdup(s->description);
        else if (asprintf(&d, "sessiond session %s%s%s%s", s->name, what ? " (" : "", strempty(what),
                          what ? ")" : "") < 0)
                d = NULL;
        if (!d)
                return -ENOMEM;
        r = bus_append_unit_setting(m, "Description", d, false);
        if (r < 0)
                return r;
        if (s->source_path && s->source_path[0] == '/')
                r = bus_append_unit_setting(m, "SourcePath", s->source_path, false);
        return r;
}

/* ---- reading back ---- */

static int strv_join_quoted(char **l, char **ret) {
        size_t n = 1;
        char *s, *o;

        for (char **i = l; i && *i; i++)
                n += strlen(*i) * 2 + 3;
        s = malloc(n);
        if (!s)
                return -ENOMEM;
        o = s;
        for (char **i = l; i && *i; i++) {
                if (i != l)
                        *o++ = ' ';
                *o++ = '"';
                for (const char *c = *i; *c; c++) {
                        if (*c == '"' || *c == '\\')
                                *o++ = '\\';
                        *o++ = *c;
                }
                *o++ = '"';
        }
        *o = 0;
        *ret = s;
        return 0;
}

static int read_one(sd_bus_message *m, const AssignmentType *t, char **ret_value) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *v = NULL;
        const char *s;
        uint64_t u;
        int r, b, i;

        switch (t->kind) {
        case KIND_STRING:
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                v = strdup(s);
                break;
        case KIND_BOOL:
                r = sd_bus_message_read(m, "b", &b);
                if (r < 0)
                        return r;
                v = strdup(b ? "yes" : "no");
                break;
        case KIND_TIME:
        case KIND_SIZE:
        case KIND_U64:
        case KIND_CPU_QUOTA:
        case KIND_CAPS:
        case KIND_NAMESPACES:
                r = sd_bus_message_read(m, "t", &u);
                if (r < 0)
                        return r;
                if (u == UINT64_MAX)
                        v = strdup("infinity");
                else if (asprintf(&v, "%" PRIu64 "%s", u,
                                  t->kind == KIND_TIME ? "us" : t->kind == KIND_CPU_QUOTA ? "us/s" : "") < 0)
                        return -ENOMEM;
                break;
        case KIND_STRV:
                r = sd_bus_message_read_strv(m, &l);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &v);
                if (r < 0)
                        return r;
                break;
        case KIND_EXEC: {
                _cleanup_free_ char *argv = NULL;
                const char *path;

                r = sd_bus_message_enter_container(m, 'a', "(sasb)");
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'r', "sasb");
                if (r < 0)
                        return r;
                r = sd_bus_message_read(m, "s", &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_strv(m, &l);
                if (r < 0)
                        return r;
                r = sd_bus_message_read(m, "b", &b);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &argv);
                if (r < 0)
                        return r;
                if (asprintf(&v, "%s%s %s", b ? "-" : "", path, argv) < 0)
                        return -ENOMEM;
                break;
        }
        case KIND_LOG_EXTRA: {
                const void *p;
                size_t n;

                r = sd_bus_message_enter_container(m, 'a', "ay");
                if (r < 0)
                        return r;
                r = sd_bus_message_read_array(m, 'y', &p, &n);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                v = strndup(p, n);
                break;
        }
        case KIND_SYSCALL_LIST: {
                _cleanup_free_ char *j = NULL;

                r = sd_bus_message_enter_container(m, 'r', "bas");
                if (r < 0)
                        return r;
                r = sd_bus_message_read(m, "b", &b);
                if (r < 0)
                        return r;
                r = sd_bus_message_read_strv(m, &l);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &j);
                if (r < 0)
                        return r;
                if (asprintf(&v, "%s%s", b ? "" : "~", j) < 0)
                        return -ENOMEM;
                break;
        }
        case KIND_IP_ADDRESS: {
                int family;
                const void *a;
                size_t n;
                uint32_t prefixlen;

                r = sd_bus_message_enter_container(m, 'a', "(iayu)");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(m, 'r', "iayu")) > 0) {
                        char buf[INET6_ADDRSTRLEN], *w;

                        r = sd_bus_message_read(m, "i", &family);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_read_array(m, 'y', &a, &n);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_read(m, "u", &prefixlen);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        if (n != (family == AF_INET ? 4u : 16u) || !inet_ntop(family, a, buf, sizeof buf))
                                return -EBADMSG;
                        if (asprintf(&w, "%s/%" PRIu32, buf, prefixlen) < 0)
                                return -ENOMEM;
                        r = lines_push(&l, w);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &v);
                if (r < 0)
                        return r;
                break;
        }
        case KIND_ERRNO:
        case KIND_SIGNAL:
        case KIND_INT:
                r = sd_bus_message_read(m, "i", &i);
                if (r < 0)
                        return r;
                if (asprintf(&v, "%i", i) < 0)
                        return -ENOMEM;
                break;
        case KIND_UMASK: {
                uint32_t mode;

                r = sd_bus_message_read(m, "u", &mode);
                if (r < 0)
                        return r;
                if (asprintf(&v, "%04" PRIo32, mode) < 0)
                        return -ENOMEM;
                break;
        }
        case KIND_PAIRS:
        case KIND_DEVICE_ALLOW: {
                const char *a, *c;

                r = sd_bus_message_enter_container(m, 'a', "(ss)");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_read(m, "(ss)", &a, &c)) > 0) {
                        char *w;
                        if (asprintf(&w, "%s%s%s", a, t->kind == KIND_PAIRS ? ":" : " ", c) < 0)
                                return -ENOMEM;
                        r = lines_push(&l, w);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &v);
                if (r < 0)
                        return r;
                break;
        }
        case KIND_BIND_PATHS: {
                const char *a, *c;
                uint64_t flags;

                r = sd_bus_message_enter_container(m, 'a', "(ssbt)");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_read(m, "(ssbt)", &a, &c, &b, &flags)) > 0) {
                        char *w;
                        if (asprintf(&w, "%s%s:%s:%s", b ? "-" : "", a, c, flags ? "rbind" : "norbind") < 0)
                                return -ENOMEM;
                        r = lines_push(&l, w);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &v);
                if (r < 0)
                        return r;
                break;
        }
        case KIND_NFT_SET: {
                const char *a, *c;
                int source, proto;

                r = sd_bus_message_enter_container(m, 'a', "(iiss)");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_read(m, "(iiss)", &source, &proto, &a, &c)) > 0) {
                        char *w;
                        if (asprintf(&w, "%i:%i:%s:%s", source, proto, a, c) < 0)
                                return -ENOMEM;
                        r = lines_push(&l, w);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = strv_join_quoted(l, &v);
                if (r < 0)
                        return r;
                break;
        }
        }
        if (!v)
                return -ENOMEM;
        *ret_value = TAKE_PTR(v);
        return 0;
}

/* One command of an "Ex" exec property, as "[-][+]PATH ARGV..." (the canonical form read_one()
 * gives for the plain property, with '+' for the privileged flag). */
static int read_exec_ex(sd_bus_message *m, char **ret_value) {
        _cleanup_strv_free_ char **argv = NULL, **flags = NULL;
        _cleanup_free_ char *joined = NULL;
        bool ignore = false, privileged = false;
        const char *path;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sasas)");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'r', "sasas");
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &path);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &argv);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &flags);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        for (char **f = flags; f && *f; f++)
                if (streq(*f, "ignore-failure"))
                        ignore = true;
                else if (streq(*f, "privileged"))
                        privileged = true;
                else
                        return -EOPNOTSUPP;
        r = strv_join_quoted(argv, &joined);
        if (r < 0)
                return r;
        if (asprintf(ret_value, "%s%s%s %s", ignore ? "-" : "", privileged ? "+" : "", path, joined) < 0)
                return -ENOMEM;
        return 0;
}

int bus_read_unit_assignments(sd_bus_message *m, char ***ret_lines) {
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        assert(m);
        assert(ret_lines);

        r = sd_bus_message_enter_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                _cleanup_free_ char *value = NULL;
                const AssignmentType *t;
                const char *property;
                char *line;
                bool ex;

                r = sd_bus_message_read(m, "s", &property);
                if (r < 0)
                        return r;
                t = assignment_type_find_property(property, &ex);
                if (!t)
                        return -EBADMSG;
                if (ex && t->kind == KIND_EXEC) {
                        r = sd_bus_message_enter_container(m, 'v', "a(sasas)");
                        if (r < 0)
                                return r;
                        r = read_exec_ex(m, &value);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                } else if (ex) {
                        const char *v;
                        r = sd_bus_message_read(m, "v", "s", &v);
                        if (r < 0)
                                return r;
                        value = strdup(v);
                        if (!value)
                                return -ENOMEM;
                } else {
                        r = sd_bus_message_enter_container(m, 'v', kind_signature[t->kind]);
                        if (r < 0)
                                return r;
                        r = read_one(m, t, &value);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                if (asprintf(&line, "%s=%s", t->key, value) < 0)
                        return -ENOMEM;
                r = lines_push(&lines, line);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        if (!lines) {
                lines = calloc(1, sizeof(char *));
                if (!lines)
                        return -ENOMEM;
        }
        *ret_lines = TAKE_PTR(lines);
        return 0;
}

int unit_assignment_normalize(sd_bus *bus, const char *key, const char *value, bool unit_file_syntax, char **ret_line) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        r = sd_bus_message_new(bus, &m, SD_BUS_MESSAGE_METHOD_CALL);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = bus_append_unit_setting(m, key, value, unit_file_syntax);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_seal(m, 1, 0);
        if (r < 0)
                return r;
        r = sd_bus_message_rewind(m, true);
        if (r < 0)
                return r;
        r = bus_read_unit_assignments(m, &lines);
        if (r < 0)
                return r;
        if (!lines[0] || lines[1])
                return -EBADMSG;
        *ret_line = TAKE_PTR(lines[0]);
        return 0;
}
