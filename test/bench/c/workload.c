// The workloads of `npm run bench`. Prints the mean ns per operation of
// `ops` operations, pinned to `cpu`.
//   workload getppid|openat|exec|openlib|poke <ops> <cpu> [rate]
//   workload clocks
// With a rate (operations per second), getppid, openlib and poke are paced
// to it: for the figures that want a steady event rate rather than the
// maximum (memory, zero loss, finding latency). `clocks` prints
// CLOCK_BOOTTIME - CLOCK_MONOTONIC in ns: event timestamps count on the
// first, Node's process.hrtime on the second.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* A library path: an open the builtin rules' kernel filters let through (TRC-1012's /usr/lib*), judged and found benign */
#define LIB_PATH "/usr/lib/os-release"

static int open_lib(void)
{
	int fd = openat(AT_FDCWD, LIB_PATH, O_RDONLY);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* ptrace(PTRACE_POKEDATA) of a process this one does not trace: refused (ESRCH), nothing written, a TRC-103 finding */
static int poke(void)
{
	ptrace(PTRACE_POKEDATA, 0, NULL, NULL);
	return 0;
}

static int do_getppid(void)
{
	syscall(SYS_getppid);
	return 0;
}

/* `ops` calls of op, in bursts of `burst`, each waiting for its place in time at `rate` per second */
static int paced(int (*op)(void), long ops, double rate, double start, long burst)
{
	for (long i = 0; i < ops; i += burst) {
		for (long j = 0; j < burst && i + j < ops; j++)
			if (op())
				return -1;
		double due = start + (i + burst) * 1e9 / rate;
		while (now_ns() < due)
			;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "clocks")) {
		/* the monotonic reading between two boot-time ones: read at their midpoint */
		double boot = clock_ns(CLOCK_BOOTTIME), mono = clock_ns(CLOCK_MONOTONIC);
		printf("%.0f\n", (boot + clock_ns(CLOCK_BOOTTIME)) / 2 - mono);
		return 0;
	}
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s getppid|openat|exec|openlib|poke <ops> <cpu> [rate] | clocks\n", argv[0]);
		return 2;
	}
	long ops = atol(argv[2]);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(atoi(argv[3]), &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	double start = now_ns();
	double rate = argc == 5 ? atof(argv[4]) : 0;
	/* paced: bursts of 1000 getppid, 100 opens, single pokes (each finding's latency is its own) */
	int (*op)(void) = !strcmp(argv[1], "getppid") ? do_getppid : !strcmp(argv[1], "openlib") ? open_lib : !strcmp(argv[1], "poke") ? poke : NULL;
	if (rate > 0 && op) {
		if (paced(op, ops, rate, start, op == do_getppid ? 1000 : op == poke ? 1 : 100)) {
			perror(argv[1]);
			return 1;
		}
	} else if (op == open_lib || op == poke) {
		for (long i = 0; i < ops; i++)
			if (op()) {
				perror(argv[1]);
				return 1;
			}
	} else if (!strcmp(argv[1], "getppid")) {
		/* the raw syscall: the fixed cost of one syscall */
		for (long i = 0; i < ops; i++)
			syscall(SYS_getppid);
	} else if (!strcmp(argv[1], "openat")) {
		/* a syscall with a path string */
		for (long i = 0; i < ops; i++) {
			int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
			if (fd < 0) {
				perror("openat");
				return 1;
			}
			close(fd);
		}
	} else if (!strcmp(argv[1], "exec")) {
		/* process lifecycle */
		for (long i = 0; i < ops; i++) {
			pid_t pid = fork();
			if (pid == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			int status;
			waitpid(pid, &status, 0);
		}
	} else {
		fprintf(stderr, "unknown workload %s\n", argv[1]);
		return 2;
	}
	printf("%.1f\n", (now_ns() - start) / ops);
	return 0;
}
