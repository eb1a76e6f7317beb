/*
 * newlib's system layer for the core: stdout/stderr go to the UART, the heap
 * grows page by page in the core's heap window, and the heap lock is a
 * recursive spinlock because plinth runs on every CPU.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <reent.h>
#include <unistd.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include "drivers/uart.h"
#include "mm.h"

/* newlib's reentrant wrappers call these plain names (unistd.h prototypes). */
_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len);
_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len);
int close(int fd);
int _fstat_r(struct _reent *r, int fd, struct stat *st);
int isatty(int fd);
off_t lseek(int fd, off_t off, int whence);
void *sbrk(ptrdiff_t incr);
void _exit(int code);
int kill(int pid, int sig);
int getpid(void);
void __malloc_lock(struct _reent *r);
void __malloc_unlock(struct _reent *r);

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	uart_write(buf, len);
	return (_READ_WRITE_RETURN_TYPE)len;
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len)
{
	(void)fd, (void)buf, (void)len;
	return 0;
}

int close(int fd)
{
	(void)fd;
	return -1;
}

/* The reentrant form itself, so no function is named like an x87 mnemonic. */
int _fstat_r(struct _reent *r, int fd, struct stat *st)
{
	(void)r, (void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

int isatty(int fd)
{
	return fd >= 0 && fd <= 2;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	return 0;
}

static uint64_t heap_end = HEAP_BASE, heap_mapped = HEAP_BASE;

/* Called with the malloc lock held. */
void *sbrk(ptrdiff_t incr)
{
	uint64_t old = heap_end;
	if (incr < 0 || (uint64_t)incr > HEAP_MAX - (heap_end - HEAP_BASE)) {
		errno = ENOMEM;
		return (void *)-1;
	}
	uint64_t need = PAGE_ALIGN_UP(heap_end + (uint64_t)incr);
	if (need > heap_mapped) {
		if (paging_map_fresh(heap_mapped, need - heap_mapped)) {
			errno = ENOMEM;
			return (void *)-1;
		}
		heap_mapped = need;
	}
	heap_end += (uint64_t)incr;
	return (void *)old;
}

void _exit(int code)
{
	(void)code;
	cpu_halt_forever();
}

int kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = EINVAL;
	return -1;
}

int getpid(void)
{
	return 1;
}

static volatile int32_t malloc_owner = -1;
static uint32_t malloc_depth;
static uint64_t malloc_flags;

void __malloc_lock(struct _reent *r)
{
	(void)r;
	uint64_t f = irq_save();
	int32_t me = (int32_t)this_cpu()->cpu;
	if (malloc_owner == me) {
		malloc_depth++;
		return;
	}
	int32_t expect = -1;
	while (!__atomic_compare_exchange_n(&malloc_owner, &expect, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		expect = -1;
		cpu_relax();
	}
	malloc_depth = 1;
	malloc_flags = f;
}

void __malloc_unlock(struct _reent *r)
{
	(void)r;
	if (--malloc_depth)
		return;
	uint64_t f = malloc_flags;
	__atomic_store_n(&malloc_owner, -1, __ATOMIC_RELEASE);
	irq_restore(f);
}
