// The workloads of `npm run bench`. Prints the mean ns per operation of
// `ops` operations, pinned to `cpu`.
//   workload getppid|openat|exec <ops> <cpu> [rate]
// With a rate (operations per second), getppid is paced to it: for the
// memory figure, which wants a steady event rate rather than the maximum.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s getppid|openat|exec <ops> <cpu> [rate]\n", argv[0]);
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
	if (rate > 0 && !strcmp(argv[1], "getppid")) {
		/* bursts of 1000, each waiting for its place in time */
		for (long i = 0; i < ops; i += 1000) {
			for (int j = 0; j < 1000; j++)
				syscall(SYS_getppid);
			double due = start + (i + 1000) * 1e9 / rate;
			while (now_ns() < due)
				;
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
