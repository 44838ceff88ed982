#!/usr/bin/env bash
# libnftables can create and delete a table in this kernel.
. "$SESSIOND_TEST_DIR/lib.sh"

"$SESSIOND_TEST_DIR/nft-smoke"
