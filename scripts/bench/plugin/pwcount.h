/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of the pwcount TCG plugin (scripts/bench/plugin/pwcount.c):
 * the marker instructions.  Each marker is one 8-byte x86 no-op,
 *
 *	nopl 0x5057CCII(%rax,%rax,1)	0f 1f 84 00 II CC 57 50
 *
 * with CC the command and II the region id (0-255).  The CPU executes it
 * as a no-op (NOPL is architectural on every x86-64 CPU and does not
 * access memory); the plugin recognises the exact 8 bytes at translation
 * time.  Usable in user space and in the kernel (x86 only).
 *
 *	PWCOUNT_START(id)	start region id on this CPU
 *	PWCOUNT_STOP(id)	stop region id on this CPU
 *	PWCOUNT_OP(id)		one operation of region id (per-op figures)
 *	PWCOUNT_DUMP()		write the report now (it is rewritten at exit)
 *
 * Regions are per vCPU, not per task: keep the measured task on one CPU
 * (sched_setaffinity()) between start and stop.
 */
#ifndef PWCOUNT_H
#define PWCOUNT_H

#define PWCOUNT_MAGIC		0x50570000u
#define PWCOUNT_CMD_START	1
#define PWCOUNT_CMD_STOP	2
#define PWCOUNT_CMD_OP		3
#define PWCOUNT_CMD_DUMP	4

#define PWCOUNT_MARK(cmd, id)						\
	do {								\
		asm volatile(".byte 0x0f, 0x1f, 0x84, 0x00\n\t.long %c0" \
			     : : "i" (PWCOUNT_MAGIC | ((cmd) << 8) |	\
				      ((id) & 0xff))			\
			     : "memory");				\
	} while (0)

#define PWCOUNT_START(id)	PWCOUNT_MARK(PWCOUNT_CMD_START, id)
#define PWCOUNT_STOP(id)	PWCOUNT_MARK(PWCOUNT_CMD_STOP, id)
#define PWCOUNT_OP(id)		PWCOUNT_MARK(PWCOUNT_CMD_OP, id)
#define PWCOUNT_DUMP()		PWCOUNT_MARK(PWCOUNT_CMD_DUMP, 0)

#endif /* PWCOUNT_H */
