/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the usertest guest programs (scripts/gates/guest/<name>-user.c)
 * share: they run as /init of a QEMU guest (static binaries), print TAP
 * ("ok N name" or "not ok N name", "# ..." diagnostics) on the console,
 * end with "# usertest done: ..." and reboot (QEMU runs with -no-reboot).
 * scripts/gates/usertest.sh builds them, boots each and checks the log.
 */
#ifndef PAGEWISE_GUEST_H
#define PAGEWISE_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

/* The TAP counts; the benchmark guests (bench-guest.h) count failures. */
static int tests __attribute__((unused));
static int failed __attribute__((unused));

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline void result(int ok, const char *name)
{
	tests++;
	if (!ok)
		failed++;
	printf("%sok %d %s\n", ok ? "" : "not ", tests, name);
	fflush(stdout);
}

/* A line in the kernel log, to tell the runner where expected noise is. */
static inline void kmsg(const char *s)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			diag("write /dev/kmsg: %s", strerror(errno));
		close(fd);
		usleep(500 * 1000);	/* let the console print it */
	}
}

/* 0, or -errno of the open() or the write(). */
static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The number after "key" (and a ':' or a space) in @path, or -1. */
static inline long read_field(const char *path, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) &&
		    (line[len] == ' ' || line[len] == ':')) {
			val = strtol(line + len + 1 + (line[len] == ':'), NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * PID 1's first steps: devtmpfs on /dev and the console as stdin, stdout
 * and stderr (the benchmark guests; the usertests use guest_start()).
 */
static inline void guest_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		perror("mount /dev");
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/* The console, proc, sysfs and debugfs; then the TAP plan. */
static inline void guest_start(int plan)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	if (mount("proc", "/proc", "proc", 0, NULL))
		diag("mount proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		diag("mount sysfs: %s", strerror(errno));
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		diag("mount debugfs: %s", strerror(errno));
	printf("TAP version 13\n1..%d\n", plan);
	fflush(stdout);
}

static inline void guest_done(void)
{
	printf("# usertest done: %d tests, %d failed\n", tests, failed);
	fflush(stdout);
	sync();
	/* There is no ACPI power off with qboot: reboot, which QEMU ends. */
	reboot(RB_AUTOBOOT);
}

#endif /* PAGEWISE_GUEST_H */
