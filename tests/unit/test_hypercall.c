/*
 * Host tests of the hypercall ABI v1 (core/hypercall.c with core/ring.c).
 * Guest RAM is four separately allocated 2 MiB chunks, so an access that
 * runs past a chunk lands in an ASan redzone instead of the next chunk; the
 * vCPU has a real VMCB for RAX and RIP.  Everything else hypercall.c calls
 * is a recording fake below.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/svm/vmcb.h"
#include "hypercall.h"
#include "plinth_abi.h"
#include "ring.h"
#include "sched.h"
#include "vcpu.h"
#include "vm.h"

#define CHUNK    (2ull << 20)
#define NCHUNKS  4
#define RAM_SIZE (NCHUNKS * CHUNK)
#define RIP      0x401234ull
#define TSC_HZ   2500000123ull
#define FILL     0x1122334455667788ull
#define E(code)  ((uint64_t)-(int64_t)(code))

static uint8_t *chunk[NCHUNKS];
static uint8_t *snap;                   /* RAM as it was before a call */
static struct vm *vm;
static struct vcpu vcpu;
static struct vmcb *vmcb;

static uint8_t out[2 * PL_CONSOLE_MAX];
static size_t out_len, out_calls;
static int exits, exit_status, reboots, yields;
static enum vm_state exit_state;
static long leave_after;                /* vcpu_should_leave: false this many times, then true */
static long leave_calls;
static bool in_dispatch;

/* ---------------------------------------------------------------- fakes */

void *vm_gpa_ptr(struct vm *m, uint64_t gpa, uint64_t len)
{
	/* The same rule as core/vm.c: wholly in RAM and inside one 2 MiB chunk. */
	if (!(gpa <= m->ram_size && len <= m->ram_size - gpa) ||
	    (len && ((gpa ^ (gpa + len - 1)) >> 21)))
		return NULL;
	return chunk[gpa >> 21] + (gpa & (CHUNK - 1));
}

void vm_console_out(struct vm *m, const void *buf, size_t len)
{
	assert_ptr_equal(m, vm);
	assert_non_null(buf);
	assert_true(out_len + len <= sizeof(out));
	memcpy(out + out_len, buf, len);
	out_len += len;
	out_calls++;
}

void vm_exit_from_guest(struct vm *m, enum vm_state state, int status, const char *reason)
{
	assert_ptr_equal(m, vm);
	assert_non_null(reason);
	exits++;
	exit_state = state;
	exit_status = status;
}

void vm_reboot_from_guest(struct vm *m)
{
	assert_ptr_equal(m, vm);
	reboots++;
}

/* Only a call made during a dispatch can be the hypercall's. */
void sched_yield_vcpu(struct vcpu *v)
{
	assert_true(in_dispatch);
	assert_ptr_equal(v, &vcpu);
	yields++;
}

bool vcpu_should_leave(struct vcpu *v)
{
	assert_ptr_equal(v, &vcpu);
	return leave_after >= 0 && leave_calls++ >= leave_after;
}

uint64_t vcpu_tsc_hz(struct vcpu *v)
{
	assert_ptr_equal(v, &vcpu);
	return TSC_HZ;
}


/* ---------------------------------------------------------------- helpers */

static uint8_t *ram(uint64_t gpa)
{
	assert_true(gpa < RAM_SIZE);
	return chunk[gpa / CHUNK] + gpa % CHUNK;
}

static void ram_snapshot(void)
{
	for (int i = 0; i < NCHUNKS; i++)
		memcpy(snap + i * CHUNK, chunk[i], CHUNK);
}

/* Every byte outside [gpa, gpa+len) is as the snapshot has it. */
static void ram_unchanged_except(uint64_t gpa, uint64_t len)
{
	for (uint64_t base = 0; base < RAM_SIZE; base += CHUNK) {
		uint64_t hi = base + CHUNK;
		uint64_t below = gpa < hi ? gpa : hi;
		uint64_t above = gpa + len > base ? gpa + len : base;

		if (below > base)
			assert_memory_equal(chunk[base / CHUNK], snap + base, below - base);
		if (above < hi)
			assert_memory_equal(chunk[base / CHUNK] + (above - base), snap + above,
					    hi - above);
	}
}

static void ram_put(uint64_t gpa, const void *src, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		*ram(gpa + i) = ((const uint8_t *)src)[i];
}

static void ram_set(uint64_t gpa, uint8_t byte, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		*ram(gpa + i) = byte;
}

static void ram_expect_fill(uint64_t gpa, uint64_t len, uint64_t pattern)
{
	for (uint64_t off = 0; off < len; off += 8) {
		uint64_t q;
		for (int b = 0; b < 8; b++)
			((uint8_t *)&q)[b] = *ram(gpa + off + b);
		if (q != pattern)
			fail_msg("gpa %#lx holds %#lx, not %#lx", gpa + off, q, pattern);
	}
}

/* A failed assertion inside a dispatch skips the line that clears the flag. */
static int teardown(void **state)
{
	(void)state;
	in_dispatch = false;
	return 0;
}

static int setup(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int i = 0; i < NCHUNKS; i++)
		for (uint64_t j = 0; j < CHUNK; j++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			chunk[i][j] = (uint8_t)(seed >> 56);
		}
	memset(vm, 0, sizeof(*vm));
	vm->ram_size = RAM_SIZE;
	ring_init(&vm->in);
	memset(vmcb, 0, sizeof(*vmcb));
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.vm = vm;
	vcpu.arch.vmcb = vmcb;
	vmcb->save.rip = RIP;
	out_len = out_calls = 0;
	exits = reboots = yields = 0;
	exit_status = -1;
	leave_after = -1;
	leave_calls = 0;
	ram_snapshot();
	return 0;
}

/* One VMMCALL: RAX = nr, arguments in RDI, RSI, RDX, R10, R8. */
static enum hc_result call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct guest_gprs before;
	uint64_t calls = vcpu.hypercalls, rip = vmcb->save.rip;
	enum hc_result r;

	vmcb->save.rax = nr;
	vcpu.arch.gprs.rdi = a0;
	vcpu.arch.gprs.rsi = a1;
	vcpu.arch.gprs.rdx = a2;
	vcpu.arch.gprs.r10 = 0x1010101010101010ull;
	vcpu.arch.gprs.r8 = 0x0808080808080808ull;
	vcpu.arch.gprs.rbx = 0xbbbbbbbbbbbbbbbbull;
	before = vcpu.arch.gprs;
	in_dispatch = true;
	r = hypercall_dispatch(&vcpu);
	in_dispatch = false;
	/* No register but RAX changes; RIP is the exit handler's to move. */
	assert_memory_equal(&before, &vcpu.arch.gprs, sizeof(before));
	assert_int_equal(vmcb->save.rip, rip);
	assert_int_equal(vcpu.hypercalls, calls + 1);
	return r;
}

static uint64_t rax(void) { return vmcb->save.rax; }

/* A call that must fail with `code` and leave everything else alone. */
static void call_fails(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t code)
{
	size_t in_used = ring_used(&vm->in);

	ram_snapshot();
	assert_int_equal(call(nr, a0, a1, a2), HC_DONE);
	assert_int_equal(rax(), E(code));
	ram_unchanged_except(0, 0);
	assert_int_equal(out_calls, 0);
	assert_int_equal(ring_used(&vm->in), in_used);
	assert_int_equal(exits + reboots + yields, 0);
	assert_false(vcpu.arch.hc.valid);
	assert_int_equal(vcpu.hc_restarts, 0);
}

/* ---------------------------------------------------------------- tests */

static void test_check_range(void **state)
{
	static const struct { uint64_t ram, gpa, len, max, align; int64_t ret; } t[] = {
		{ RAM_SIZE, 0, 0, 4096, 1, 0 },
		{ RAM_SIZE, 0, 4096, 4096, 1, 0 },
		{ RAM_SIZE, 0, 4097, 4096, 1, -PL_EINVAL },             /* longer than max */
		{ RAM_SIZE, RAM_SIZE, 0, 4096, 1, 0 },                  /* empty, at the end */
		{ RAM_SIZE, RAM_SIZE, 1, 4096, 1, -PL_EFAULT },
		{ RAM_SIZE, RAM_SIZE - 1, 1, 4096, 1, 0 },
		{ RAM_SIZE, RAM_SIZE - 1, 2, 4096, 1, -PL_EFAULT },
		{ RAM_SIZE, RAM_SIZE - 4096, 4096, 4096, 1, 0 },        /* ends at ram_size */
		{ RAM_SIZE, RAM_SIZE + 1, 0, 4096, 1, -PL_EFAULT },
		{ RAM_SIZE, 1ull << 40, 16, 4096, 1, -PL_EFAULT },
		{ RAM_SIZE, UINT64_MAX, 0, 4096, 1, -PL_EFAULT },
		{ RAM_SIZE, UINT64_MAX, 1, 4096, 1, -PL_EINVAL },       /* end wraps */
		{ RAM_SIZE, UINT64_MAX - 7, 8, UINT64_MAX, 8, -PL_EINVAL },
		{ RAM_SIZE, 16, UINT64_MAX - 8, UINT64_MAX, 8, -PL_EINVAL },
		{ RAM_SIZE, 8, UINT64_MAX - 11, UINT64_MAX, 8, -PL_EINVAL },   /* misaligned len */
		{ RAM_SIZE, 8, UINT64_MAX - 7, UINT64_MAX, 1, -PL_EINVAL },    /* end = 2^64 */
		{ RAM_SIZE, 0, RAM_SIZE, UINT64_MAX, 8, 0 },
		{ RAM_SIZE, 0, RAM_SIZE + 8, UINT64_MAX, 8, -PL_EFAULT },
		{ RAM_SIZE, 4, 8, UINT64_MAX, 8, -PL_EINVAL },
		{ RAM_SIZE, 8, 4, UINT64_MAX, 8, -PL_EINVAL },
		{ RAM_SIZE, 8, 8, UINT64_MAX, 8, 0 },
		{ RAM_SIZE, RAM_SIZE + 4, 8, UINT64_MAX, 8, -PL_EINVAL },   /* EINVAL before EFAULT */
		{ RAM_SIZE, 3, 5, 4096, 0, 0 },                         /* align 0: none */
		{ 0, 0, 0, 4096, 1, 0 },
		{ 0, 0, 1, 4096, 1, -PL_EFAULT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t r = hc_check_range(t[i].ram, t[i].gpa, t[i].len, t[i].max, t[i].align);
		if (r != t[i].ret)
			fail_msg("row %zu: %ld, not %ld", i, (long)r, (long)t[i].ret);
	}
}

static void test_unknown_calls(void **state)
{
	static const uint64_t nrs[] = {
		PL_HC_COUNT, PL_HC_COUNT + 1, 1ull << 32, (1ull << 32) + PL_HC_MEM_FILL,
		1ull << 63, UINT64_MAX,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		call_fails(nrs[i], 0x1000, 64, FILL, PL_ENOSYS);
	assert_int_equal(vcpu.hypercalls, 6);
}

static void test_simple_calls(void **state)
{
	(void)state;
	assert_int_equal(call(PL_HC_VERSION, 1, 2, 3), HC_DONE);
	assert_int_equal(rax(), 0x10000);
	assert_int_equal(call(PL_HC_FEATURES, 0, 0, 0), HC_DONE);
	assert_int_equal(rax(), PL_FEAT_CONSOLE | PL_FEAT_TIME | PL_FEAT_MEM_FILL | PL_FEAT_POWER);
	assert_int_equal(call(PL_HC_TIME, 0, 0, 0), HC_DONE);
	assert_int_equal(rax(), TSC_HZ);
	assert_int_equal(call(PL_HC_YIELD, 0, 0, 0), HC_DONE);
	assert_int_equal(rax(), 0);
	assert_int_equal(yields, 1);
	assert_int_equal(vcpu.hypercalls, 4);
	ram_unchanged_except(0, 0);
	assert_int_equal(out_calls + exits + reboots, 0);
}

/*
 * The VMRUN stub's table (hypercall_fill_answers) holds exactly the calls
 * whose result is a constant of the vCPU, with the values hypercall_dispatch
 * gives them; filling it calls nothing with side effects.
 */
static void test_stub_answers_match_dispatch(void **state)
{
	const struct hc_answers *a = &vcpu.hc_answers;
	uint64_t n = 0;

	(void)state;
	memset(&vcpu.hc_answers, 0xa5, sizeof(vcpu.hc_answers));
	hypercall_fill_answers(&vcpu);
	assert_int_equal(a->mask, (1ull << PL_HC_VERSION) | (1ull << PL_HC_FEATURES) |
			 (1ull << PL_HC_TIME));
	assert_int_equal(a->value[PL_HC_VERSION], PL_ABI_VERSION);
	assert_int_equal(a->value[PL_HC_FEATURES],
			 PL_FEAT_CONSOLE | PL_FEAT_TIME | PL_FEAT_MEM_FILL | PL_FEAT_POWER);
	assert_int_equal(a->value[PL_HC_TIME], TSC_HZ);
	assert_int_equal(vcpu.hypercalls, 0);
	assert_int_equal(out_calls + exits + reboots + yields + leave_calls, 0);
	for (uint64_t nr = 0; nr < PL_HC_COUNT; nr++) {
		if (!(a->mask >> nr & 1)) {
			assert_int_equal(a->value[nr], 0);
			continue;
		}
		/* The C path, with arguments that would matter to any other call. */
		assert_int_equal(call(nr, 0x1000, 64, FILL), HC_DONE);
		if (rax() != a->value[nr])
			fail_msg("call %lu: dispatch %#lx, table %#lx", (unsigned long)nr,
				 (unsigned long)rax(), (unsigned long)a->value[nr]);
		assert_true(hypercall_is_fast(nr));
		n++;
	}
	assert_int_equal(vcpu.hypercalls, n);
	ram_unchanged_except(0, 0);
	assert_int_equal(out_calls + exits + reboots + yields, 0);
}

/* Guest user code (CPL 3) may not call plinth: every call is refused, even SHUTDOWN. */
static void test_user_mode_refused(void **state)
{
	(void)state;
	vmcb->save.cpl = 3;
	for (uint64_t nr = 0; nr <= PL_HC_COUNT; nr++)
		call_fails(nr, 0x10000, 16, 0, PL_EPERM);
	vmcb->save.cpl = 0;
	assert_int_equal(call(PL_HC_VERSION, 0, 0, 0), HC_DONE);
	assert_int_equal(rax(), PL_ABI_VERSION);
}

static void test_power(void **state)
{
	(void)state;
	assert_int_equal(call(PL_HC_SHUTDOWN, 0x1234, 0, 0), HC_NORETURN);
	assert_int_equal(rax(), PL_HC_SHUTDOWN);                /* no result written */
	assert_int_equal(exits, 1);
	assert_int_equal(exit_state, VM_STOPPED);
	assert_int_equal(exit_status, 0x34);
	assert_int_equal(call(PL_HC_SHUTDOWN, 0xffffffffffffff00ull, 0, 0), HC_NORETURN);
	assert_int_equal(exit_status, 0);
	assert_int_equal(call(PL_HC_SHUTDOWN, 0xff, 0, 0), HC_NORETURN);
	assert_int_equal(exit_status, 255);
	assert_int_equal(reboots, 0);
	assert_int_equal(call(PL_HC_REBOOT, 0, 0, 0), HC_NORETURN);
	assert_int_equal(rax(), PL_HC_REBOOT);
	assert_int_equal(reboots, 1);
	assert_int_equal(exits, 3);
	ram_unchanged_except(0, 0);
}

static void test_console_write(void **state)
{
	(void)state;
	ram_put(0x1000, "hello", 5);
	ram_snapshot();
	assert_int_equal(call(PL_HC_CONSOLE_WRITE, 0x1000, 5, 0), HC_DONE);
	assert_int_equal(rax(), 5);
	assert_int_equal(out_len, 5);
	assert_memory_equal(out, "hello", 5);

	/* Across a chunk boundary: every byte, in order. */
	out_len = 0;
	assert_int_equal(call(PL_HC_CONSOLE_WRITE, 3 * CHUNK - 100, 300, 0), HC_DONE);
	assert_int_equal(rax(), 300);
	assert_int_equal(out_len, 300);
	assert_memory_equal(out, ram(3 * CHUNK - 100), 100);
	assert_memory_equal(out + 100, ram(3 * CHUNK), 200);

	/* The largest write, ending at the end of RAM; and an empty one there. */
	out_len = 0;
	assert_int_equal(call(PL_HC_CONSOLE_WRITE, RAM_SIZE - PL_CONSOLE_MAX, PL_CONSOLE_MAX, 0),
			 HC_DONE);
	assert_int_equal(rax(), PL_CONSOLE_MAX);
	assert_memory_equal(out, ram(RAM_SIZE - PL_CONSOLE_MAX), PL_CONSOLE_MAX);
	out_len = out_calls = 0;
	assert_int_equal(call(PL_HC_CONSOLE_WRITE, RAM_SIZE, 0, 0), HC_DONE);
	assert_int_equal(rax(), 0);
	assert_int_equal(out_len, 0);
	ram_unchanged_except(0, 0);

	out_calls = 0;
	call_fails(PL_HC_CONSOLE_WRITE, 0, PL_CONSOLE_MAX + 1, 0, PL_EINVAL);
	call_fails(PL_HC_CONSOLE_WRITE, RAM_SIZE - 4, 5, 0, PL_EFAULT);
	call_fails(PL_HC_CONSOLE_WRITE, RAM_SIZE, 1, 0, PL_EFAULT);
	call_fails(PL_HC_CONSOLE_WRITE, 1ull << 40, 1, 0, PL_EFAULT);
	call_fails(PL_HC_CONSOLE_WRITE, UINT64_MAX, 2, 0, PL_EINVAL);
	call_fails(PL_HC_CONSOLE_WRITE, 0x1000, UINT64_MAX, 0, PL_EINVAL);
}

static void test_console_read(void **state)
{
	uint8_t typed[600];

	(void)state;
	for (size_t i = 0; i < sizeof(typed); i++)
		typed[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(call(PL_HC_CONSOLE_READ, 0x2000, 16, 0), HC_DONE);
	assert_int_equal(rax(), 0);                             /* nothing typed */
	ram_unchanged_except(0, 0);

	assert_int_equal(ring_put(&vm->in, "abcdef", 6), 6);
	assert_int_equal(call(PL_HC_CONSOLE_READ, 0x2000, 4, 0), HC_DONE);
	assert_int_equal(rax(), 4);
	assert_memory_equal(ram(0x2000), "abcd", 4);
	ram_unchanged_except(0x2000, 4);
	ram_snapshot();
	assert_int_equal(call(PL_HC_CONSOLE_READ, 0x3000, 10, 0), HC_DONE);
	assert_int_equal(rax(), 2);                             /* never more than the ring has */
	assert_memory_equal(ram(0x3000), "ef", 2);
	ram_unchanged_except(0x3000, 2);

	/* Across a chunk boundary, the whole request available. */
	assert_int_equal(ring_put(&vm->in, typed, 300), 300);
	ram_snapshot();
	assert_int_equal(call(PL_HC_CONSOLE_READ, CHUNK - 100, 300, 0), HC_DONE);
	assert_int_equal(rax(), 300);
	assert_memory_equal(ram(CHUNK - 100), typed, 100);
	assert_memory_equal(ram(CHUNK), typed + 100, 200);
	ram_unchanged_except(CHUNK - 100, 300);

	/* Less than asked: first chunk only, then some of the second. */
	assert_int_equal(ring_put(&vm->in, typed, 50), 50);
	ram_snapshot();
	assert_int_equal(call(PL_HC_CONSOLE_READ, CHUNK - 100, 300, 0), HC_DONE);
	assert_int_equal(rax(), 50);
	assert_memory_equal(ram(CHUNK - 100), typed, 50);
	ram_unchanged_except(CHUNK - 100, 50);
	assert_int_equal(ring_put(&vm->in, typed, 150), 150);
	ram_snapshot();
	assert_int_equal(call(PL_HC_CONSOLE_READ, CHUNK - 100, 300, 0), HC_DONE);
	assert_int_equal(rax(), 150);
	assert_memory_equal(ram(CHUNK - 100), typed, 100);
	assert_memory_equal(ram(CHUNK), typed + 100, 50);
	ram_unchanged_except(CHUNK - 100, 150);
	assert_int_equal(ring_used(&vm->in), 0);

	/* Failures take nothing from the ring. */
	assert_int_equal(ring_put(&vm->in, typed, 10), 10);
	call_fails(PL_HC_CONSOLE_READ, 0, PL_CONSOLE_MAX + 1, 0, PL_EINVAL);
	call_fails(PL_HC_CONSOLE_READ, RAM_SIZE - 9, 10, 0, PL_EFAULT);
	call_fails(PL_HC_CONSOLE_READ, UINT64_MAX - 1, 4, 0, PL_EINVAL);
	assert_int_equal(ring_used(&vm->in), 10);
	assert_int_equal(call(PL_HC_CONSOLE_READ, RAM_SIZE - 10, 10, 0), HC_DONE);
	assert_int_equal(rax(), 10);
	assert_memory_equal(ram(RAM_SIZE - 10), typed, 10);
	assert_int_equal(out_calls, 0);
}

static void test_fill(void **state)
{
	(void)state;
	assert_int_equal(call(PL_HC_MEM_FILL, 0x10000, 0x30000, FILL), HC_DONE);
	assert_int_equal(rax(), 0);
	ram_expect_fill(0x10000, 0x30000, FILL);
	ram_unchanged_except(0x10000, 0x30000);

	/* Over three chunk boundaries, odd offsets, then all of RAM. */
	ram_snapshot();
	assert_int_equal(call(PL_HC_MEM_FILL, CHUNK - 0x1008, 2 * CHUNK + 0x2010, ~FILL), HC_DONE);
	assert_int_equal(rax(), 0);
	ram_expect_fill(CHUNK - 0x1008, 2 * CHUNK + 0x2010, ~FILL);
	ram_unchanged_except(CHUNK - 0x1008, 2 * CHUNK + 0x2010);
	assert_int_equal(call(PL_HC_MEM_FILL, 0, RAM_SIZE, 0x0102030405060708ull), HC_DONE);
	assert_int_equal(rax(), 0);
	ram_expect_fill(0, RAM_SIZE, 0x0102030405060708ull);
	assert_int_equal(*ram(0), 0x08);                        /* little endian */

	ram_snapshot();
	assert_int_equal(call(PL_HC_MEM_FILL, RAM_SIZE - 8, 8, FILL), HC_DONE);
	assert_int_equal(rax(), 0);
	ram_unchanged_except(RAM_SIZE - 8, 8);
	ram_snapshot();
	assert_int_equal(call(PL_HC_MEM_FILL, RAM_SIZE, 0, FILL), HC_DONE);
	assert_int_equal(rax(), 0);
	ram_unchanged_except(0, 0);
	assert_int_equal(vcpu.hc_restarts, 0);

	call_fails(PL_HC_MEM_FILL, 4, 8, FILL, PL_EINVAL);
	call_fails(PL_HC_MEM_FILL, 8, 12, FILL, PL_EINVAL);
	call_fails(PL_HC_MEM_FILL, RAM_SIZE - 8, 16, FILL, PL_EFAULT);
	call_fails(PL_HC_MEM_FILL, RAM_SIZE + 8, 0, FILL, PL_EFAULT);
	call_fails(PL_HC_MEM_FILL, 8, UINT64_MAX - 7, FILL, PL_EINVAL);
	call_fails(PL_HC_MEM_FILL, UINT64_MAX - 7, 16, FILL, PL_EINVAL);
}

#define R_GPA (CHUNK - 0x8000)          /* the first step ends at a chunk boundary */
#define R_LEN 0x100000ull
#define R_DONE (0x8000 + 2 * HC_FILL_STEP)

/* A fill preempted after three steps: RAX untouched, prefix written, rest not. */
static void fill_preempted(void)
{
	leave_after = 2;
	assert_int_equal(call(PL_HC_MEM_FILL, R_GPA, R_LEN, FILL), HC_RESTART);
	assert_int_equal(rax(), PL_HC_MEM_FILL);
	assert_int_equal(leave_calls, 3);
	assert_int_equal(vcpu.hc_restarts, 1);
	ram_expect_fill(R_GPA, R_DONE, FILL);
	ram_unchanged_except(R_GPA, R_DONE);
	assert_int_equal(out_calls + exits + reboots + yields, 0);
	ram_set(R_GPA, 0, R_DONE);
	leave_after = -1;
}

static void test_fill_restart_continues(void **state)
{
	(void)state;
	fill_preempted();
	assert_int_equal(call(PL_HC_MEM_FILL, R_GPA, R_LEN, FILL), HC_DONE);
	assert_int_equal(rax(), 0);
	/* The prefix stayed zero: the second call began where the first stopped. */
	for (uint64_t i = 0; i < R_DONE; i++)
		assert_int_equal(*ram(R_GPA + i), 0);
	ram_expect_fill(R_GPA + R_DONE, R_LEN - R_DONE, FILL);
	ram_unchanged_except(R_GPA, R_LEN);
	assert_int_equal(vcpu.hc_restarts, 1);
	assert_int_equal(vcpu.hypercalls, 2);
	assert_false(vcpu.arch.hc.valid);

	/* Progress is used once: the same call again starts from the beginning. */
	assert_int_equal(call(PL_HC_MEM_FILL, R_GPA, R_LEN, FILL), HC_DONE);
	ram_expect_fill(R_GPA, R_LEN, FILL);
}

/* Any difference in RIP or arguments means a new call, started from scratch. */
static void test_fill_restart_other_call(void **state)
{
	static const uint64_t other[][4] = {
		{ RIP + 3, R_GPA, R_LEN, FILL },
		{ RIP, R_GPA + 8, R_LEN, FILL },
		{ RIP, R_GPA, R_LEN - 8, FILL },
		{ RIP, R_GPA, R_LEN, ~FILL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		setup(NULL);
		fill_preempted();
		vmcb->save.rip = other[i][0];
		assert_int_equal(call(PL_HC_MEM_FILL, other[i][1], other[i][2], other[i][3]),
				 HC_DONE);
		assert_int_equal(rax(), 0);
		ram_expect_fill(other[i][1], other[i][2], other[i][3]);
		assert_false(vcpu.arch.hc.valid);
	}
}

/* Always wanted elsewhere: each entry still makes one step of progress. */
static void test_fill_always_preempted(void **state)
{
	uint64_t gpa = CHUNK - 0x8000, len = 3 * CHUNK, calls = 0;
	uint64_t steps = 1 + (len - 0x8000 + HC_FILL_STEP - 1) / HC_FILL_STEP;

	(void)state;
	leave_after = 0;
	while (call(PL_HC_MEM_FILL, gpa, len, FILL) == HC_RESTART) {
		assert_int_equal(rax(), PL_HC_MEM_FILL);
		assert_true(++calls < steps);
	}
	assert_int_equal(rax(), 0);
	assert_int_equal(calls, steps - 1);
	assert_int_equal(vcpu.hc_restarts, steps - 1);
	ram_expect_fill(gpa, len, FILL);
	ram_unchanged_except(gpa, len);

	/* One step's worth never leaves, whatever is pending. */
	assert_int_equal(call(PL_HC_MEM_FILL, 0, HC_FILL_STEP, ~FILL), HC_DONE);
	assert_int_equal(vcpu.hc_restarts, steps - 1);
	ram_expect_fill(0, HC_FILL_STEP, ~FILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simple_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stub_answers_match_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_mode_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_restart_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_restart_other_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_always_preempted, setup, teardown),
	};

	for (int i = 0; i < NCHUNKS; i++)
		chunk[i] = malloc(CHUNK);
	snap = malloc(RAM_SIZE);
	vm = calloc(1, sizeof(*vm));
	vmcb = aligned_alloc(4096, sizeof(*vmcb));
	if (!chunk[0] || !chunk[1] || !chunk[2] || !chunk[3] || !snap || !vm || !vmcb)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
