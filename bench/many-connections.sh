#!/usr/bin/env bash
# Runs `./svyaz bench ARGS...` with the open-file limit raised, for scenarios that hold more
# connections than the default limit allows (idle connections (c), reconnect storm (d)): every
# connection costs a file descriptor in the load tool and another in the server it spawns.
# Raising the hard limit needs root (or CAP_SYS_RESOURCE); the kernel's ceiling is fs.nr_open.
#   bench/many-connections.sh idle --spawn --connections 200000
#   bench/many-connections.sh storm --spawn --devices 10000
set -euo pipefail
cd "$(dirname "$0")/.."

want=${NOFILE:-1000000}
ceiling=$(cat /proc/sys/fs/nr_open)
(( want <= ceiling )) || want=$ceiling
if ! ulimit -Hn "$want" 2>/dev/null; then
    echo "many-connections.sh: cannot raise the open-file limit to $want (needs root); keeping $(ulimit -Hn)" >&2
fi
ulimit -n "$(ulimit -Hn)"
exec ./svyaz bench "$@"
