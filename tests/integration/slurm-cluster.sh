#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A one-host Slurm cluster in DIR, in the foreground: munged, slurmctld and
# slurmd (node "node1" on 127.0.0.1) with every file inside DIR. Meant to
# run as the init's child in a PID namespace of its own (the tests start
# it through unshare + tini, tied to their life), so that nothing it starts
# outlives them. Clients use DIR/slurm.conf (SLURM_CONF).
#
# usage: slurm-cluster.sh DIR CTLD_PORT SLURMD_PORT
# slurmd may be killed: it is started again once DIR/restart-slurmd exists.
# DIR/ready appears when the controller answers.
set -u
dir=$1 ctld_port=$2 slurmd_port=$3
mkdir -p "$dir/munge" "$dir/state" "$dir/spool/node1" "$dir/log" || exit 1
# munged refuses a socket directory others cannot reach, and a readable key
chmod 0755 "$dir" "$dir/munge"
dd if=/dev/urandom of="$dir/munge/key" bs=1024 count=1 2>/dev/null
chmod 0400 "$dir/munge/key"
host=$(hostname -s)
cat > "$dir/slurm.conf" <<CONF
ClusterName=hvtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
PlugStackConfig=$dir/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
SlurmdTimeout=300
MinJobAge=600
# without it a task takes the node's whole memory: one task at a time
DefMemPerCPU=256
NodeName=node1 NodeHostname=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=node1 Default=YES MaxTime=INFINITE State=UP
CONF
: > "$dir/plugstack.conf"
export SLURM_CONF="$dir/slurm.conf"
munged -F --socket="$dir/munge/munge.socket" --key-file="$dir/munge/key" \
	--pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
	--seed-file="$dir/munge/seed" &
i=0
while [ ! -S "$dir/munge/munge.socket" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "munged did not start" >&2; exit 1; }
	sleep 0.05
done
slurmctld -D -f "$dir/slurm.conf" &
# slurmd, again whenever it was killed and DIR/restart-slurmd appears
(
	while :; do
		slurmd -D -N node1 -f "$dir/slurm.conf"
		while [ ! -e "$dir/restart-slurmd" ]; do sleep 0.1; done
		rm -f "$dir/restart-slurmd"
	done
) &
i=0
until scontrol ping 2>/dev/null | grep -q 'is UP'; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "slurmctld did not answer" >&2; exit 1; }
	sleep 0.05
done
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
	i=$((i + 1)); [ $i -gt 400 ] && { echo "node1 did not become idle" >&2; exit 1; }
	sleep 0.05
done
touch "$dir/ready"
wait
