/*
 * tsc: print the time-stamp counter, in decimal, on one line.
 *
 * Runs as /bin/tsc in the Linux demo guest's initramfs, where /init uses it
 * to say when user space began (tests/bench/linux_boot.py subtracts the TSC
 * at which the vCPU first ran).  A static x86-64 Linux program with no libc:
 * its own _start, one RDTSC, then raw write(2) and exit(2) system calls, so
 * it costs the guest one exec and a handful of instructions.
 *
 * Build: gcc -static -nostdlib -O2 -fno-pie -no-pie tsc.c -o tsc
 */
#include <stdint.h>

#define SYS_WRITE 1
#define SYS_EXIT  60

/* The kernel enters with the stack 16-byte aligned and nothing pushed; a
 * call restores the alignment the C ABI expects at function entry. */
__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call tsc_main\n"
	"	ud2\n");

void tsc_main(void) __attribute__((noreturn, used));

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void tsc_main(void)
{
	uint64_t t = rdtsc();
	char buf[24];                   /* 20 digits of 2^64-1 and a newline */
	char *p = buf + sizeof(buf);
	long n, status = 0;

	*--p = '\n';
	do {
		*--p = (char)('0' + t % 10);
		t /= 10;
	} while (t);
	n = buf + sizeof(buf) - p;
	while (n > 0) {
		long w = sys3(SYS_WRITE, 1, (long)p, n);

		if (w <= 0) {
			status = 1;
			break;
		}
		p += w;
		n -= w;
	}
	sys3(SYS_EXIT, status, 0, 0);
	__builtin_unreachable();
}
