// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the initramfs that scripts/bench-vmalloc.sh boots in QEMU.
 *
 * Mounts devtmpfs and proc, then loads /test_vmalloc.ko once for every
 * line of /bench.conf ("<label> <module parameters...>"); the kernel
 * command line's benchmod=<file> and benchconf=<file> (init's
 * environment) name another module and list, as the counted boots do
 * with scripts/bench/bench-vmalloc-count.c.  test_vmalloc
 * runs its tests from its init function, prints one "Summary:" line per
 * test and worker, and fails with -EAGAIN on purpose so that it is
 * unloaded again; any other result is reported as an error.  After each
 * load the new /dev/kmsg records are copied to the console, the
 * test_vmalloc ones always and others only at warning level or worse.
 * At the end it prints the slab and vmalloc counters and powers off.
 *
 * Every output line starts with "bench: " for the script to parse.
 * Build: gcc -static -O2 -o init bench-vmalloc-init.c
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../gates/guest/guest.h"

#define CONF_FILE	"/bench.conf"
#define MODULE_FILE	"/test_vmalloc.ko"

/* stdout is line buffered (see main()), so lines leave one by one. */
#define say(fmt, ...)	printf("bench: " fmt, ##__VA_ARGS__)

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup_console(void)
{
	guest_console();
	if (mount("proc", "/proc", "proc", 0, NULL))
		say("error: mount /proc: %s\n", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		say("error: mount /sys: %s\n", strerror(errno));
}

/*
 * Copy the /dev/kmsg records that arrived since the last call.  A record
 * is "<prio>,<seq>,<usec>,<flags>;<text>\n" followed by continuation
 * lines starting with a space, which are skipped.
 */
static void drain_kmsg(int fd, const char *label)
{
	char rec[8192];
	ssize_t n;

	for (;;) {
		char *text;
		int prio;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip them */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		prio = atoi(rec) & 7;
		if (strstr(text, "Summary: ") || strstr(text, "All test took") ||
		    !strncmp(text, "bench_vmalloc_count: ", 21))
			say("%s kmsg: %s\n", label, text);
		else if (prio <= 4)
			say("%s kmsg<%d>: %s\n", label, prio, text);
	}
}

static void run_set(int kmsg, int mod, char *line)
{
	char *label, *params;
	double t0;
	long ret;
	int err;

	line[strcspn(line, "\n")] = '\0';
	label = line + strspn(line, " \t");
	if (*label == '\0' || *label == '#')
		return;
	params = label + strcspn(label, " \t");
	if (*params) {
		*params++ = '\0';
		params += strspn(params, " \t");
	}

	say("set %s params %s\n", label, params);
	t0 = now_sec();
	ret = syscall(SYS_finit_module, mod, params, 0);
	err = errno;
	drain_kmsg(kmsg, label);
	if (ret == 0)
		say("error: %s: module stayed loaded\n", label);
	else if (err != EAGAIN)
		say("error: %s: finit_module: %s\n", label, strerror(err));
	say("set %s end %.2fs\n", label, now_sec() - t0);
}

/* Print the lines of @path that start with one of the @prefixes. */
static void dump_lines(const char *path, const char *const *prefixes)
{
	char line[1024];
	FILE *f;
	int i;

	f = fopen(path, "r");
	if (!f) {
		say("error: %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; prefixes[i]; i++) {
			if (!strncmp(line, prefixes[i], strlen(prefixes[i]))) {
				say("%s %s", strrchr(path, '/') + 1, line);
				break;
			}
		}
	}
	fclose(f);
}

/* Areas in /proc/vmallocinfo, the vmalloc() ones, and their pages. */
static void count_vmallocinfo(void)
{
	unsigned long areas = 0, vmallocs = 0, pages = 0;
	char line[1024];
	char *p;
	FILE *f;

	f = fopen("/proc/vmallocinfo", "r");
	if (!f) {
		say("error: /proc/vmallocinfo: %s\n", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		areas++;
		if (strstr(line, " vmalloc"))
			vmallocs++;
		p = strstr(line, " pages=");
		if (p)
			pages += strtoul(p + 7, NULL, 10);
	}
	fclose(f);
	say("vmallocinfo areas %lu vmalloc %lu pages %lu\n",
	    areas, vmallocs, pages);
}

int main(void)
{
	static const char *const slabs[] = {
		"kmalloc-64 ", "kmalloc-96 ", "vmap_area ", NULL
	};
	static const char *const meminfo[] = { "Vmalloc", NULL };
	static const char *const any[] = { "", NULL };
	const char *mod_file = getenv("benchmod") ?: MODULE_FILE;
	const char *conf_file = getenv("benchconf") ?: CONF_FILE;
	struct utsname u;
	char line[1024];
	int kmsg, mod;
	FILE *conf;

	setup_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	/* The firmware leaves escape sequences on the console's last line. */
	printf("\n");
	say("kernel %s %s\n", u.release, u.version);
	dump_lines("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		   any);

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	mod = open(mod_file, O_RDONLY | O_CLOEXEC);
	conf = fopen(conf_file, "r");
	if (kmsg < 0 || mod < 0 || !conf) {
		say("error: cannot open /dev/kmsg, %s or %s\n",
		    mod_file, conf_file);
		goto out;
	}

	drain_kmsg(kmsg, "boot");
	while (fgets(line, sizeof(line), conf))
		run_set(kmsg, mod, line);
	fclose(conf);

	say("slabinfo # name <active_objs> <num_objs> <objsize> ...\n");
	dump_lines("/proc/slabinfo", slabs);
	dump_lines("/proc/meminfo", meminfo);
	count_vmallocinfo();
	drain_kmsg(kmsg, "end");
	say("done\n");
out:
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
