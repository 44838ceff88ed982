/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <systemd/sd-varlink.h>

/* Feeds a fuzz input to a Varlink server as one client would: a socketpair, one end added to the
 * server as a connection, the input written to the other end in fragments whose sizes come from
 * its first two bytes, the event loop run (bounded, never blocking) between fragments, then
 * end-of-input and hang-up so the disconnect paths run too. The server's replies are discarded,
 * or shown on stderr with $SESSIOND_FUZZ_DEBUG set. The server must be attached to event. */
void fuzz_varlink_feed(sd_event *event, sd_varlink_server *server, const uint8_t *data, size_t size);
