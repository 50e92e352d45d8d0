// Loads noop.bpf.o or cref.bpf.o (libbpf), attaches, prints "ready", and
// for cref counts records on a consumer thread until SIGINT/SIGTERM, then
// prints "records N lost M".
//   loader noop|cref <object>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static unsigned long long records;

static void on_signal(int sig) { stop = 1; }

static int on_record(void *ctx, void *data, size_t len)
{
	records++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s noop|cref <object>\n", argv[0]);
		return 2;
	}
	int cref = !strcmp(argv[1], "cref");
	struct bpf_object *obj = bpf_object__open_file(argv[2], NULL);
	if (!obj) {
		perror("open");
		return 1;
	}
	if (cref) {
		struct bpf_map *map, *rodata = NULL;
		bpf_object__for_each_map(map, obj) {
			const char *name = bpf_map__name(map);
			if (strlen(name) > 7 && !strcmp(name + strlen(name) - 7, ".rodata"))
				rodata = map;
		}
		if (!rodata) {
			fprintf(stderr, "no .rodata\n");
			return 1;
		}
		size_t sz;
		void *init = (void *)bpf_map__initial_value(rodata, &sz);
		unsigned int tgid = getpid();
		unsigned long long wake = (8 << 20) / 4;
		memcpy(init, &tgid, 4);
		memcpy((char *)init + 8, &wake, 8);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "attach failed\n");
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct ring_buffer *rb = NULL;
	if (cref)
		rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "rb")), on_record, NULL, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (rb) {
			ring_buffer__poll(rb, 20);
			ring_buffer__consume(rb);
		} else {
			pause();
		}
	}
	unsigned long long lost = 0;
	if (cref) {
		int ncpu = libbpf_num_possible_cpus();
		unsigned long long vals[ncpu];
		unsigned int zero = 0;
		if (!bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "lost")), &zero, vals))
			for (int i = 0; i < ncpu; i++)
				lost += vals[i];
	}
	printf("records %llu lost %llu\n", records, lost);
	return 0;
}
