/*
 * A bounded byte ring for a VM's console: one side writes (a vCPU on any
 * pCPU), the other reads (the operator's console).  When it is full, new
 * bytes are dropped and counted, so what is kept is the oldest unread output
 * and the operator sees how much was lost.  SMP-safe (one lock per ring).
 */
#ifndef PLINTH_RING_H
#define PLINTH_RING_H

#include <stddef.h>
#include <stdint.h>
#include "spinlock.h"

#define RING_SIZE 4096u         /* bytes kept; a power of two */

struct ring {
	spinlock_t lock;
	uint32_t head;              /* next byte to read (free-running) */
	uint32_t tail;              /* next byte to write (free-running) */
	uint64_t dropped;           /* bytes refused because the ring was full */
	uint64_t total;             /* bytes ever accepted */
	uint8_t buf[RING_SIZE];
};

void ring_init(struct ring *r);
/* Append up to len bytes; returns how many were kept (the rest are counted as dropped). */
size_t ring_put(struct ring *r, const void *src, size_t len);
/* Take up to len bytes; returns how many. */
size_t ring_get(struct ring *r, void *dst, size_t len);
/* Bytes waiting to be read. */
size_t ring_used(struct ring *r);

#endif
