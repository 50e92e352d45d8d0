#!/bin/sh
# The mixed workload the rule bench records (test/bench/rules.mjs): ROUNDS
# rounds of everyday work that no rule finds (programs run, libraries and
# files under /usr/lib read, files written and renamed), each with a few
# behaviours several rules find, all harmless (test/fixtures/rule-actions.py:
# pokes and writes of a process's own bytes into its own child, killed).
#   rules-workload.sh ROUNDS DIR
set -eu
rounds=$1
dir=$2
actions="$(dirname "$0")/../fixtures/rule-actions.py"
mkdir -p "$dir/.cache"
i=0
while [ "$i" -lt "$rounds" ]; do
	# benign: processes (fork, exec, exit: the process tree), each opening
	# its libraries under /usr/lib; a tree of /usr/lib files read; renames
	for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done
	sh -c 'ls /usr/lib > /dev/null; cat /etc/hostname > /dev/null'
	tar -cf /dev/null -C /usr/lib/python3 .
	: > "$dir/a"
	mv "$dir/a" "$dir/b"
	mv "$dir/b" "$dir/c"
	env -i LD_PRELOADED=1 /bin/true
	# found: TRC-102, TRC-103, TRC-1025, TRC-105, TRC-107, TRC-109, TRC-1015, TRC-1023
	python3 "$actions" traceme
	python3 "$actions" ptrace-poke
	python3 "$actions" vm-write
	python3 "$actions" memfd-exec
	env -i LD_PRELOAD= /bin/true
	cat /proc/sys/kernel/randomize_va_space > /dev/null
	python3 "$actions" drop-elf "$dir/.cache/x"
	python3 "$actions" proc-mem-read
	i=$((i + 1))
done
