/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The hardening each Profile= stands for, as systemd service settings, in the order they are
 * rendered. sessiond.session(5) documents the same table; keep them in sync. Backend=nspawn does
 * not render these: nspawn is the sandbox, and sessiond-agent --sandbox=PROFILE
 * (varlink/agent-sandbox.c) adds what nspawn cannot say (a non-root uid for the commands,
 * RestrictSUIDSGID=, RestrictNamespaces=, the restrictive system call denials); keep that in
 * step with these tables too. */

#include <stddef.h>

#include "session.h"

typedef struct ProfileSetting {
        const char *key;
        const char *value;
} ProfileSetting;

/* Returns the settings of profile p and their number in *ret_n; NULL for an invalid profile. */
const ProfileSetting *session_profile_settings(SessionProfile p, size_t *ret_n);
