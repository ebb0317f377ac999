#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-only
# The examples of signal-cli's signal-cli-jsonrpc(5), run against svyaz word for word apart from the
# account names and the group id: what a bot written for signal-cli sends. Each example's output
# goes to $OUT/<name>.out for ManPageExamplesIT to check.
# Needs: SVYAZ (the command, e.g. "java -jar svyaz.jar"), DATA (a data directory holding both
# accounts), ALICE, BOB (their usernames), OUT (a folder for the outputs).
set -eu
svyaz() { $SVYAZ -d "$DATA" "$@"; }

# A group to use where the man page says GROUP_ID.
GROUP=$(svyaz -a "$ALICE" updateGroup -n "My Group" -m "$BOB")

# "From the command line" (signal-cli -u ACCOUNT jsonRpc; svyaz names the account with -a).
echo '{"jsonrpc":"2.0","method":"listGroups","id":"my special mark"}' | svyaz -a "$ALICE" jsonRpc > "$OUT/listGroups.out"

# Multi-account mode: no -a, the account is a parameter.
echo '{"jsonrpc":"2.0","method":"listGroups","id":"my special mark","params":{"account":"'"$ALICE"'"}}' \
    | svyaz jsonRpc > "$OUT/listGroups-multi.out"

echo '{"jsonrpc":"2.0","method":"send","params":{"recipient":["'"$BOB"'"],"message":"MESSAGE"},"id":4}' \
    | svyaz -a "$ALICE" jsonRpc > "$OUT/send.out"

echo '{"jsonrpc":"2.0","method":"send","params":{"groupId":"'"$GROUP"'","message":"MESSAGE"},"id":4}' \
    | svyaz -a "$ALICE" jsonRpc > "$OUT/send-group.out"

echo '{"jsonrpc":"2.0","method":"updateGroup","params":{"groupId":"'"$GROUP"'","name":"new group name","members":["'"$BOB"'"],"link":"enabledWithApproval","setPermissionEditDetails":"only-admins","memberLabelEmoji":"😀","memberLabel":"My Label"},"id":"someId"}' \
    | svyaz -a "$ALICE" jsonRpc > "$OUT/updateGroup.out"

echo '{"jsonrpc":"2.0","method":"sendSyncRequest","id":9}' | svyaz -a "$ALICE" jsonRpc > "$OUT/sendSyncRequest.out"

echo '{"jsonrpc":"2.0"}' | svyaz -a "$ALICE" jsonRpc > "$OUT/no-method.out"

# Manual receiving: subscribe, then a message arrives wrapped in the subscription.
(echo '{"jsonrpc":"2.0","id":"id","method":"subscribeReceive"}'; sleep 20) \
    | svyaz -a "$BOB" jsonRpc --receive-mode=manual > "$OUT/subscribeReceive.out" &
reader=$!
sleep 8
svyaz -a "$ALICE" send -m "while subscribed" "$BOB" > /dev/null
wait "$reader"
