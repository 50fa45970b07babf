// SPDX-License-Identifier: GPL-2.0
/*
 * Validation guest of the pwcount plugin (scripts/bench/plugin/validate.sh):
 * the static /init of an initramfs, booted with -smp 2.  Two threads,
 * pinned to CPUs 0 and 1, run these regions one after the other, both at
 * once (they meet on a spin flag before each):
 *
 *   region 1  ITERS operations: private work (a register-only delay loop of
 *             DELAY rounds), then an atomic increment (lock add) of one
 *             shared counter: about one transfer per increment (at most
 *             one: an atomic read-modify-write is one write in the model)
 *   region 2  the same with a private counter per thread, each on its own
 *             64-byte line: about none
 *   region 3  ITERS strictly alternating increments of one shared counter
 *             (a thread waits for its turn, counter parity, then lock add):
 *             exactly one read transfer (the first read of the other's
 *             write) and one write transfer per increment, whatever the
 *             timing
 *   region 4  TIGHT back-to-back atomic increments of one shared counter,
 *             no private work: how finely the two vCPUs interleave, which
 *             follows the host (informational)
 *
 * Every operation is preceded by an op marker.  The guest prints the wall
 * time per operation of each region (its own clock; for the plugin's
 * overhead) and reboots (QEMU runs with -no-reboot).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "pwcount.h"

#ifndef ITERS
#define ITERS 20000
#endif
#ifndef DELAY
#define DELAY 200
#endif
#ifndef TIGHT
#define TIGHT 1000000
#endif
#define NREGIONS 4

struct line {
	volatile uint64_t v;
} __attribute__((aligned(64)));

static struct line shared;
static struct line priv[2];
static struct line turn;
static struct line ready[NREGIONS + 1];	/* per region: threads arrived */
static uint64_t elapsed[NREGIONS + 1][2];
static const long nops[NREGIONS + 1] = { 0, ITERS, ITERS, ITERS, TIGHT };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Private work: a loop on a register, no memory access. */
static void work(void)
{
	unsigned long x = 0;
	int i;

	for (i = 0; i < DELAY; i++)
		asm volatile("" : "+r" (x));
}

static void meet(int region)
{
	__atomic_fetch_add(&ready[region].v, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&ready[region].v, __ATOMIC_ACQUIRE) < 2)
		;
}

static void *worker(void *arg)
{
	long cpu = (long)arg;
	volatile uint64_t *mine = &priv[cpu].v;
	uint64_t t0;
	cpu_set_t set;
	long i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("pwcount-validate: sched_setaffinity");
		exit(1);
	}

	meet(1);
	t0 = now_ns();
	PWCOUNT_START(1);
	for (i = 0; i < ITERS; i++) {
		PWCOUNT_OP(1);
		work();
		__atomic_fetch_add(&shared.v, 1, __ATOMIC_RELAXED);
	}
	PWCOUNT_STOP(1);
	elapsed[1][cpu] = now_ns() - t0;

	meet(2);
	t0 = now_ns();
	PWCOUNT_START(2);
	for (i = 0; i < ITERS; i++) {
		PWCOUNT_OP(2);
		work();
		__atomic_fetch_add(mine, 1, __ATOMIC_RELAXED);
	}
	PWCOUNT_STOP(2);
	elapsed[2][cpu] = now_ns() - t0;

	meet(3);
	t0 = now_ns();
	PWCOUNT_START(3);
	for (i = 0; i < ITERS; i++) {
		PWCOUNT_OP(3);
		while ((__atomic_load_n(&turn.v, __ATOMIC_ACQUIRE) & 1) != (uint64_t)cpu)
			;
		__atomic_fetch_add(&turn.v, 1, __ATOMIC_RELEASE);
	}
	PWCOUNT_STOP(3);
	elapsed[3][cpu] = now_ns() - t0;

	meet(4);
	t0 = now_ns();
	PWCOUNT_START(4);
	for (i = 0; i < TIGHT; i++) {
		PWCOUNT_OP(4);
		__atomic_fetch_add(&shared.v, 1, __ATOMIC_RELAXED);
	}
	PWCOUNT_STOP(4);
	elapsed[4][cpu] = now_ns() - t0;
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	long i;
	int r;

	printf("pwcount-validate: start, %d/%d operations per thread, delay %d\n",
	       ITERS, TIGHT, DELAY);
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)i)) {
			printf("pwcount-validate: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (r = 1; r <= NREGIONS; r++)
		printf("pwcount-validate: region %d ns/op %.1f %.1f\n", r,
		       (double)elapsed[r][0] / nops[r],
		       (double)elapsed[r][1] / nops[r]);
	printf("pwcount-validate: shared %llu turn %llu private %llu %llu\n",
	       (unsigned long long)shared.v, (unsigned long long)turn.v,
	       (unsigned long long)priv[0].v, (unsigned long long)priv[1].v);
	printf("pwcount-validate: done\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	return 0;
}
