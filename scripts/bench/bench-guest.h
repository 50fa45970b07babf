/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the /init programs of the pmem benchmark guests share
 * (vmemmap-fsdax-init.c, pageless-writecache-init.c), on top of
 * scripts/gates/guest/guest.h: every line they print is
 * "<prefix>: <text>" (say()), a failed check is "<prefix>: FAIL <what>"
 * and counted in failures (fail()), and the kernel log, read from
 * /dev/kmsg, is copied into the same stream as "<prefix>: kmsg<prio>:
 * <text>" (drain_kmsg()), so that the guests can boot with "quiet" and the
 * host script still sees kernel reports in order with the steps.
 */
#ifndef PAGEWISE_BENCH_GUEST_H
#define PAGEWISE_BENCH_GUEST_H

#include <time.h>

#include "guest.h"

static const char *say_prefix = "guest";
static int failures;		/* every failed check */
static int kmsg_fd = -1;

static inline void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", say_prefix);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: kernel messages do not split it. */
	if (write(1, line, n) < 0)
		return;
}

#define fail(fmt, ...)	do {					\
	say("FAIL " fmt, ##__VA_ARGS__);			\
	failures++;						\
} while (0)

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy the /dev/kmsg records that arrived since the last call. */
static inline void drain_kmsg(void)
{
	char rec[8192];
	ssize_t n;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		char *text;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten */
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		say("kmsg<%d>: %s", atoi(rec) & 7, text);
	}
}

/* The first line of @path, without its newline; 0 or -1. */
static inline int read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * PID 1's set-up: devtmpfs and the console as stdin/out/err, /proc, /sys,
 * /tmp, debugfs (a failed check when @need_debugfs, a note otherwise) and
 * /dev/kmsg for drain_kmsg().  Lines are prefixed with @prefix from here on.
 */
static inline void bench_setup(const char *prefix, int need_debugfs)
{
	say_prefix = prefix;
	guest_console();
	mkdir("/tmp", 01777);
	if (write(1, "\n", 1) < 0)
		return;
	if (mount("proc", "/proc", "proc", 0, NULL))
		fail("mount /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		fail("mount /sys: %s", strerror(errno));
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL)) {
		if (need_debugfs)
			fail("mount debugfs: %s", strerror(errno));
		else
			say("note: no debugfs: %s", strerror(errno));
	}
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
}

#endif /* PAGEWISE_BENCH_GUEST_H */
