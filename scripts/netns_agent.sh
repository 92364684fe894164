#!/usr/bin/env bash
# The "ssh" of scripts/netns_mpi.sh. OpenMPI's launcher (plm_rsh_agent pointed here) runs
#   netns_agent.sh [ssh options] HOST COMMAND...
# to start its daemon on HOST. This runs COMMAND as ssh would on that host: through a
# shell, inside HOST's network namespace ($NETNS_AGENT_PREFIX$HOST, made by
# scripts/netns_mpi.sh) and a UTS namespace of its own whose host name is HOST.
set -euo pipefail

# ssh's options are accepted and ignored (those that take a value, with it)
while [ $# -gt 0 ]; do
    case "$1" in
        -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "usage: netns_agent.sh [ssh options] HOST COMMAND..." >&2
    exit 255
fi
host="$1"
shift
case "$host" in
    *[!A-Za-z0-9-]* | "") echo "netns_agent.sh: bad host name '$host'" >&2; exit 255 ;;
esac
ns="${NETNS_AGENT_PREFIX:?netns_agent.sh: NETNS_AGENT_PREFIX is not set (run by scripts/netns_mpi.sh)}$host"
# ssh joins the command's words with spaces and hands them to the remote shell
exec ip netns exec "$ns" unshare --uts -- sh -c 'hostname "$1" && exec sh -c "$2"' netns-agent "$host" "$*"
