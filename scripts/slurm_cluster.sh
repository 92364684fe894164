#!/usr/bin/env bash
# A two-node Slurm cluster on this one machine, for CI: munged, slurmctld and two slurmd
# (nodes ci1 and ci2, both this host, on ports 17001 and 17002) with a generated
# slurm.conf and one partition, "ci". Two nodes, so that the docs' batch files run as
# written (--nodes=2, 3 tasks per node; mpirun -n 6 -npernode 3). Needs root and Debian's
# slurm-wlm and munge (Debian builds Slurm with multiple slurmd per host).
#
#   bash scripts/slurm_cluster.sh start    # writes /etc/slurm/slurm.conf, starts daemons
#   bash scripts/slurm_cluster.sh stop     # stops the daemons this script started
#   bash scripts/slurm_cluster.sh logs     # the last lines of the daemons' logs
#
# Each node is declared with SLURM_CI_CPUS CPUs (default: this host's cores, at least 4)
# and SlurmdParameters=config_overrides, so that 3 tasks per node fit on a 2-core CI
# machine: Slurm refuses --ntasks-per-node above a node's CPUs even with --overcommit.
# Nothing is bound to cores (task/none), so all tasks share the real ones. Every daemon
# is reached at 127.0.0.1, so the host's name need not resolve. Each node
# declares 3/8 of this host's memory (3/4 between the two). TmpFS is per node
# (/tmp/slurm-ci1, /tmp/slurm-ci2): srun's PMIx plugin makes its directories there, and
# two nodes' steps in one /tmp collide. For the same reason OpenMPI's shared-memory
# transport must be off in jobs spanning both nodes (OMPI_MCA_btl=self,tcp, as
# scripts/slurm_ci.sh sets): its segments are named by host and local rank.
#
# The daemons are stopped by the pids in their pid files, never by name; munged is
# stopped only when this script started it.
set -euo pipefail

host=$(hostname -s)
cpus=$(nproc)
node_cpus=${SLURM_CI_CPUS:-$(( cpus > 4 ? cpus : 4 ))}
node_mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 3 / 8 ))
nodes=(ci1 ci2)
munge_marker=/run/slurm_cluster.munged

# the pid in pid file $1, when that process is alive
live_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

start() {
  local node
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge /etc/slurm \
    /var/spool/slurmctld /var/log/slurm
  for node in "${nodes[@]}"; do mkdir -p "/var/spool/slurmd-$node" "/tmp/slurm-$node"; done
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  if [ -z "$(live_pid /run/munge/munged.pid)" ]; then
    runuser -u munge -- munged --force 2>/dev/null || munged --force
    touch "$munge_marker"
  fi
  cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd-%n
TmpFS=/tmp/slurm-%n
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd-%n.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd-%n.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=ci[1-2] NodeHostname=${host} NodeAddr=127.0.0.1 Port=[17001-17002] CPUs=${node_cpus} RealMemory=${node_mem_mb} State=UNKNOWN
PartitionName=ci Nodes=ci[1-2] Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
  # daemons left from an earlier start keep their old configuration: restart them, and
  # drop the controller's saved jobs (-c)
  stop_daemons
  slurmctld -c
  for node in "${nodes[@]}"; do slurmd -N "$node"; done
  for _ in $(seq 1 30); do
    if [ "$(sinfo -h -N -o %T 2>/dev/null | grep -c '^idle')" = "${#nodes[@]}" ]; then
      sinfo
      return 0
    fi
    sleep 1
  done
  echo "slurm_cluster: the nodes did not become idle within 30 s" >&2
  sinfo -N >&2 || true
  logs >&2
  return 1
}

# stops the slurmds and slurmctld by their pid files, waiting up to 10 s for each
stop_daemons() {
  local file pid
  for file in /run/slurmd-*.pid /run/slurmd.pid /run/slurmctld.pid; do
    pid=$(live_pid "$file")
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm_cluster: pid $pid ($file) did not stop within 10 s; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

stop() {
  local node
  stop_daemons
  for node in "${nodes[@]}"; do rmdir "/tmp/slurm-$node" 2>/dev/null || true; done
  if [ -e "$munge_marker" ]; then
    local pid
    pid=$(live_pid /run/munge/munged.pid)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -f "$munge_marker"
  fi
}

logs() {
  local f
  for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd-*.log; do
    echo "--- last 40 lines of $f"
    tail -n 40 "$f" 2>/dev/null || echo "(none)"
  done
}

case "${1:-start}" in
  start | stop | logs) "${1:-start}" ;;
  *)
    echo "usage: $0 start|stop|logs" >&2
    exit 2
    ;;
esac
