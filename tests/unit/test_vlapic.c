/*
 * Host tests of the guest local APIC model (arch/x86_64/vdev/lapic.c): both
 * register interfaces, priorities, EOI, IPIs, INIT/SIPI, the timer against
 * fake time, and exactly-once delivery against a reference model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arch/cpu.h>
#include "arch/x86_64/vdev/lapic.h"

__extension__ typedef unsigned __int128 u128;

#define HZ2G       2000000000ull        /* two TSC ticks per timer tick */
#define BASE_EN    ((uint64_t)APIC_BASE_EN)
#define BASE_X2    ((uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD))
#define NSENT      32

static uint64_t now;
static struct vlapic_ipi sent[NSENT];
static int nsent;

static void record_ipi(void *arg, const struct vlapic_ipi *ipi)
{
	assert_ptr_equal(arg, sent);
	assert_true(nsent < NSENT);
	sent[nsent++] = *ipi;
}

static void make(struct vlapic *l, uint32_t id, bool bsp, uint64_t hz)
{
	struct vlapic_config c = {
		.id = id, .bsp = bsp, .tsc_hz = hz, .maxphyaddr = 48,
		.send_ipi = record_ipi, .arg = sent,
	};

	assert_int_equal(vlapic_init(l, &c), 0);
	nsent = 0;
	now = 1000;
}

static uint32_t rd(struct vlapic *l, uint32_t off)
{
	return (uint32_t)vlapic_mmio_read(l, off, 4, now);
}

static int wr(struct vlapic *l, uint32_t off, uint32_t v)
{
	return vlapic_mmio_write(l, off, 4, v, now);
}

static uint64_t mrd(struct vlapic *l, uint32_t msr)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(vlapic_msr_read(l, msr, &v, now), 0);
	return v;
}

static int mwr(struct vlapic *l, uint32_t msr, uint64_t v)
{
	return vlapic_msr_write(l, msr, v, now);
}

static void to_x2apic(struct vlapic *l)
{
	assert_int_equal(mwr(l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | BASE_X2), 0);
}

/* An enabled xAPIC with sw enable, the LVT timer at vector, mode and divide given. */
static void timer_setup(struct vlapic *l, uint64_t hz, uint32_t lvt, uint32_t tdcr)
{
	make(l, 0, true, hz);
	wr(l, APIC_SVR, 0x1ff);
	wr(l, APIC_LVT_TIMER, lvt);
	wr(l, APIC_TIMER_DIV, tdcr);
}

/* ---------------------------------------------------------------- registers */

static void test_init_state(void **state)
{
	struct vlapic l;
	struct vlapic_config bad = { .tsc_hz = 0, .maxphyaddr = 48 };
	(void)state;

	assert_int_equal(vlapic_init(&l, &bad), -1);
	bad.tsc_hz = 1;
	bad.maxphyaddr = 31;
	assert_int_equal(vlapic_init(&l, &bad), -1);
	bad.maxphyaddr = 53;
	assert_int_equal(vlapic_init(&l, &bad), -1);

	make(&l, 5, false, HZ2G);
	assert_int_equal(mrd(&l, MSR_APIC_BASE), 0xfee00800);
	assert_int_equal(rd(&l, APIC_ID), 0x05000000);
	assert_int_equal(rd(&l, APIC_VER), 0x00050014);
	assert_int_equal(rd(&l, APIC_DFR), 0xffffffff);
	assert_int_equal(rd(&l, APIC_SVR), 0xff);
	for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
		assert_int_equal(rd(&l, off), APIC_LVT_MASKED);
	static const uint32_t zero[] = {
		APIC_TPR, APIC_APR, APIC_PPR, APIC_EOI, APIC_RRD, APIC_LDR, APIC_ESR,
		APIC_ICR_LO, APIC_ICR_HI, APIC_TIMER_INIT, APIC_TIMER_CUR, APIC_TIMER_DIV,
	};
	for (unsigned i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		assert_int_equal(rd(&l, zero[i]), 0);
	for (uint32_t off = APIC_ISR; off < APIC_IRR + 0x80; off += 0x10)
		assert_int_equal(rd(&l, off), 0);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	assert_true(vlapic_mmio_claims(&l, 0xfee00000));
	assert_true(vlapic_mmio_claims(&l, 0xfee00fff));
	assert_false(vlapic_mmio_claims(&l, 0xfee01000));
	assert_false(vlapic_mmio_claims(&l, 0xfedfffff));

	make(&l, 0, true, HZ2G);
	assert_int_equal(mrd(&l, MSR_APIC_BASE), 0xfee00900);
	assert_int_equal(rd(&l, APIC_ID), 0);

	assert_true(vlapic_msr_is_lapic(0x1b));
	assert_true(vlapic_msr_is_lapic(0x6e0));
	assert_true(vlapic_msr_is_lapic(0x800));
	assert_true(vlapic_msr_is_lapic(0x8ff));
	assert_false(vlapic_msr_is_lapic(0x7ff));
	assert_false(vlapic_msr_is_lapic(0x900));
}

static void test_xapic_read_write(void **state)
{
	static const struct { uint32_t off, val, want; } rw[] = {
		{ APIC_TPR, 0xffffffff, 0xff },
		{ APIC_LDR, 0xffffffff, 0xff000000 },
		{ APIC_DFR, 0x00000000, 0x0fffffff },
		{ APIC_DFR, 0xf0000000, 0xffffffff },
		{ APIC_ICR_HI, 0xffffffff, 0xff000000 },
		{ APIC_LVT_TIMER, 0xffffffff, 0x000700ff },
		{ APIC_LVT_THERMAL, 0xffffffff, 0x000107ff },
		{ APIC_LVT_PERF, 0xffffffff, 0x000107ff },
		{ APIC_LVT_LINT0, 0xffffffff, 0x0001a7ff },
		{ APIC_LVT_LINT1, 0xffffffff, 0x0001a7ff },
		{ APIC_LVT_ERROR, 0xffffffff, 0x000100ff },
		{ APIC_LVT_LINT0, 0x00000000, 0x00000000 },
		{ APIC_TIMER_DIV, 0xffffffff, 0xb },
		{ APIC_TIMER_DIV, 0xfffffff4, 0x0 },
		{ APIC_TIMER_INIT, 0x12345678, 0x12345678 },
		{ APIC_SVR, 0xffffffff, 0x3ff },
	};
	static const uint32_t ro[] = {
		APIC_ID, APIC_VER, APIC_APR, APIC_PPR, APIC_RRD, APIC_ISR, APIC_TMR + 0x70,
		APIC_IRR + 0x30, APIC_TIMER_CUR,
	};
	static const uint32_t reserved[] = {
		0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x290, 0x2e0, APIC_LVT_CMCI,
		0x3a0, 0x3b0, 0x3c0, 0x3d0, APIC_SELF_IPI, 0x400, 0x800, 0xff0,
	};
	struct vlapic l;
	(void)state;

	make(&l, 5, false, HZ2G);
	wr(&l, APIC_SVR, 0x100);
	for (unsigned i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		assert_int_equal(wr(&l, rw[i].off, rw[i].val), 0);
		assert_int_equal(rd(&l, rw[i].off), rw[i].want);
	}
	for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = rd(&l, ro[i]);

		assert_int_equal(wr(&l, ro[i], 0xa5a5a5a5), 0);
		assert_int_equal(rd(&l, ro[i]), before);
	}
	assert_int_equal(rd(&l, APIC_ID), 0x05000000);
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		assert_int_equal(wr(&l, reserved[i], 0xffffffff), 0);
		assert_int_equal(rd(&l, reserved[i]), 0);
	}
	assert_int_equal(nsent, 0);     /* SELF IPI does not exist in xAPIC mode */
	assert_int_equal(vlapic_pending(&l), -1);
	/* A write of ICR high alone sends nothing. */
	wr(&l, APIC_ICR_HI, 0x01000000);
	assert_int_equal(nsent, 0);
}

static void test_xapic_access_widths(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 5, false, HZ2G);
	wr(&l, APIC_TPR, 0x5a);
	assert_int_equal(vlapic_mmio_read(&l, 0x23, 1, now), 0x05);
	assert_int_equal(vlapic_mmio_read(&l, 0x20, 1, now), 0);
	assert_int_equal(vlapic_mmio_read(&l, 0x22, 2, now), 0x0500);
	assert_int_equal(vlapic_mmio_read(&l, 0x20, 8, now), 0x05000000);
	assert_int_equal(vlapic_mmio_read(&l, 0x24, 4, now), 0);
	assert_int_equal(vlapic_mmio_read(&l, 0x7e, 8, now), 0x005a0000);
	assert_int_equal(vlapic_mmio_read(&l, 0x80, 0, now), 0);
	assert_int_equal(vlapic_mmio_read(&l, 0x80, 9, now), 0);
	assert_int_equal(vlapic_mmio_read(&l, 0x1000, 4, now), 0);
	assert_int_equal(vlapic_mmio_read(&l, 0xffe, 8, now), 0);

	assert_int_equal(vlapic_mmio_write(&l, 0x80, 2, 0x11, now), 0);
	assert_int_equal(vlapic_mmio_write(&l, 0x80, 1, 0x11, now), 0);
	assert_int_equal(vlapic_mmio_write(&l, 0x80, 8, 0x11, now), 0);
	assert_int_equal(vlapic_mmio_write(&l, 0x84, 4, 0x11, now), 0);
	assert_int_equal(vlapic_mmio_write(&l, 0x81, 4, 0x11, now), 0);
	assert_int_equal(vlapic_mmio_write(&l, 0x1080, 4, 0x11, now), 0);
	assert_int_equal(rd(&l, APIC_TPR), 0x5a);
	assert_int_equal(vlapic_mmio_write(&l, 0x80, 4, 0xffffffff00000011ull, now), 0);
	assert_int_equal(rd(&l, APIC_TPR), 0x11);
}

/* MSR n of 0x800-0x8ff: readable and writable sets of SDM table 11-6, less APR, CMCI. */
static bool x2_readable(uint32_t msr)
{
	uint32_t r = msr - 0x800;

	return r == 0x02 || r == 0x03 || r == 0x08 || r == 0x0a || r == 0x0d || r == 0x0f ||
	       (r >= 0x10 && r <= 0x28) || r == 0x30 || (r >= 0x32 && r <= 0x39) || r == 0x3e;
}

static bool x2_writable(uint32_t msr)
{
	uint32_t r = msr - 0x800;

	return r == 0x08 || r == 0x0b || r == 0x0f || r == 0x28 || r == 0x30 ||
	       (r >= 0x32 && r <= 0x38) || r == 0x3e || r == 0x3f;
}

static void test_x2apic_msr_map(void **state)
{
	struct vlapic l;
	uint64_t v;
	(void)state;

	for (uint32_t msr = 0x800; msr <= 0x8ff; msr++) {
		make(&l, 7, false, HZ2G);
		assert_int_equal(vlapic_msr_read(&l, msr, &v, now), VLAPIC_GP);
		assert_int_equal(mwr(&l, msr, 0), VLAPIC_GP);
		to_x2apic(&l);
		assert_int_equal(vlapic_msr_read(&l, msr, &v, now),
				 x2_readable(msr) ? 0 : VLAPIC_GP);
		assert_int_equal(mwr(&l, msr, 0), x2_writable(msr) ? 0 : VLAPIC_GP);
	}
	assert_int_equal(vlapic_msr_read(&l, 0x10, &v, now), VLAPIC_GP);
	assert_int_equal(mwr(&l, 0x10, 0), VLAPIC_GP);
}

static void test_x2apic_registers(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 0x23, false, HZ2G);
	wr(&l, APIC_TPR, 0x30);
	wr(&l, APIC_SVR, 0x1ff);
	wr(&l, APIC_LVT_LINT0, 0x700);
	wr(&l, APIC_DFR, 0x0fffffff);
	to_x2apic(&l);
	/* The switch keeps the register file; id and LDR follow from the vCPU id. */
	assert_int_equal(mrd(&l, 0x808), 0x30);
	assert_int_equal(mrd(&l, 0x80f), 0x1ff);
	assert_int_equal(mrd(&l, 0x835), 0x700);
	assert_int_equal(mrd(&l, 0x802), 0x23);
	assert_int_equal(mrd(&l, 0x80d), 0x00020008);
	assert_int_equal(mrd(&l, 0x803), 0x00050014);

	static const struct { uint32_t msr, val, want; } rw[] = {
		{ 0x808, 0xffffffff, 0xff },
		{ 0x80f, 0xffffffff, 0x3ff },
		{ 0x832, 0xffffffff, 0x000700ff },
		{ 0x833, 0xffffffff, 0x000107ff },
		{ 0x834, 0xffffffff, 0x000107ff },
		{ 0x835, 0xffffffff, 0x0001a7ff },
		{ 0x836, 0xffffffff, 0x0001a7ff },
		{ 0x837, 0xffffffff, 0x000100ff },
		{ 0x83e, 0xffffffff, 0xb },
		{ 0x838, 0x12345678, 0x12345678 },
		{ 0x832, 0x00000030, 0x00000030 },
		{ 0x838, 1000, 1000 },
	};
	for (unsigned i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
		assert_int_equal(mwr(&l, rw[i].msr, rw[i].val), 0);
		assert_int_equal(mrd(&l, rw[i].msr), rw[i].want);
	}
	assert_int_equal(mrd(&l, 0x839), 1000);
	now += 1000;
	assert_int_equal(mrd(&l, 0x839), 500);
	assert_int_equal(mwr(&l, 0x808, 0), 0);
	assert_true(vlapic_set_irq(&l, 0x45, false));
	assert_true(vlapic_ack(&l, 0x45));
	assert_int_equal(mrd(&l, 0x80a), 0x40);
	assert_int_equal(mrd(&l, 0x814), 0);
	assert_int_equal(mrd(&l, 0x812), 1u << 5);
	assert_int_equal(mwr(&l, 0x80b, 0), 0);
	assert_int_equal(mrd(&l, 0x80a), 0);

	assert_int_equal(mwr(&l, 0x808, 0x1ff), 0);
	assert_int_equal(mrd(&l, 0x808), 0xff);
	assert_int_equal(mwr(&l, 0x808, 1ull << 32), VLAPIC_GP);
	assert_int_equal(mrd(&l, 0x808), 0xff);
	assert_int_equal(mwr(&l, 0x80b, 1), VLAPIC_GP);
	assert_int_equal(mwr(&l, 0x80b, 0), 0);
	assert_int_equal(mwr(&l, 0x828, 1), VLAPIC_GP);
	assert_int_equal(mwr(&l, 0x828, 0), 0);
	assert_int_equal(mwr(&l, 0x838, 0x100000000ull), VLAPIC_GP);

	assert_int_equal(mwr(&l, 0x83f, 0x140), VLAPIC_GP);
	assert_int_equal(nsent, 0);
	assert_int_equal(mwr(&l, 0x83f, 0x40), 0);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent[0].shorthand, VLAPIC_SH_SELF);
	assert_int_equal(sent[0].mode, VLAPIC_DM_FIXED);
	assert_int_equal(sent[0].vector, 0x40);
	assert_int_equal(sent[0].dest, 0x23);
	assert_true(sent[0].x2apic);
	assert_false(sent[0].level);

	/* 64-bit ICR; delivery status is ignored and reads idle. */
	assert_int_equal(mwr(&l, 0x830, (0x1234ull << 32) | 0x5c40), 0);
	assert_int_equal(mrd(&l, 0x830), (0x1234ull << 32) | 0x4c40);
	assert_int_equal(nsent, 2);
	assert_int_equal(sent[1].dest, 0x1234);
	assert_int_equal(sent[1].vector, 0x40);
	assert_int_equal(sent[1].mode, VLAPIC_DM_NMI);
	assert_true(sent[1].logical);
	assert_true(sent[1].x2apic);
	static const uint64_t bad[] = { 1ull << 13, 1ull << 16, 1ull << 17, 1ull << 20, 1ull << 31 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mwr(&l, 0x830, 0x40 | bad[i]), VLAPIC_GP);
	assert_int_equal(nsent, 2);
	assert_int_equal(mrd(&l, 0x830), (0x1234ull << 32) | 0x4c40);
}

static void test_mmio_outside_xapic(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 2, false, HZ2G);
	to_x2apic(&l);
	assert_false(vlapic_mmio_claims(&l, 0xfee00000));
	assert_int_equal(rd(&l, APIC_ID), 0);
	assert_int_equal(rd(&l, APIC_VER), 0);
	assert_int_equal(wr(&l, APIC_TPR, 0x44), 0);
	assert_int_equal(mrd(&l, 0x808), 0);

	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
	assert_false(vlapic_mmio_claims(&l, 0xfee00000));
	assert_int_equal(rd(&l, APIC_VER), 0);
	uint64_t v;
	assert_int_equal(vlapic_msr_read(&l, 0x803, &v, now), VLAPIC_GP);
	assert_false(vlapic_set_irq(&l, 0x40, false));
	assert_int_equal(vlapic_pending(&l), -1);
}

static void test_apic_base_transitions(void **state)
{
	enum { DIS, XA, X2 };
	static const uint64_t mode_bits[] = { [DIS] = 0, [XA] = BASE_EN, [X2] = BASE_X2 };
	static const struct { int from; uint64_t bits; int r; } t[] = {
		{ XA, BASE_EN, 0 }, { XA, BASE_X2, 0 },
		{ XA, 0, 0 }, { XA, APIC_BASE_EXTD, VLAPIC_GP },
		{ X2, BASE_EN, VLAPIC_GP }, { X2, BASE_X2, 0 },
		{ X2, 0, 0 }, { X2, APIC_BASE_EXTD, VLAPIC_GP },
		{ DIS, BASE_EN, 0 }, { DIS, BASE_X2, VLAPIC_GP },
		{ DIS, 0, 0 }, { DIS, APIC_BASE_EXTD, VLAPIC_GP },
	};
	struct vlapic l;
	(void)state;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t before;

		make(&l, 1, false, HZ2G);
		if (t[i].from == X2)
			to_x2apic(&l);
		if (t[i].from == DIS)
			assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
		before = mrd(&l, MSR_APIC_BASE);
		assert_int_equal(before, VLAPIC_DEFAULT_BASE | mode_bits[t[i].from]);
		assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | t[i].bits), t[i].r);
		assert_int_equal(mrd(&l, MSR_APIC_BASE),
				 t[i].r ? before : VLAPIC_DEFAULT_BASE | t[i].bits);
	}

	make(&l, 1, false, HZ2G);
	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | BASE_EN | 1), VLAPIC_GP);
	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | BASE_EN | 0x200), VLAPIC_GP);
	assert_int_equal(mwr(&l, MSR_APIC_BASE, (1ull << 48) | BASE_EN), VLAPIC_GP);
	/* Relocation up to MAXPHYADDR; BSP is read-only. */
	assert_int_equal(mwr(&l, MSR_APIC_BASE, (1ull << 47) | BASE_EN | APIC_BASE_BSP), 0);
	assert_int_equal(mrd(&l, MSR_APIC_BASE), (1ull << 47) | BASE_EN);
	assert_true(vlapic_mmio_claims(&l, (1ull << 47) + 0x30));
	assert_false(vlapic_mmio_claims(&l, VLAPIC_DEFAULT_BASE));
	make(&l, 0, true, HZ2G);
	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | BASE_EN), 0);
	assert_int_equal(mrd(&l, MSR_APIC_BASE), 0xfee00900);

	/* A global disable returns the registers to their power-up values. */
	make(&l, 1, false, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	wr(&l, APIC_TPR, 0x40);
	wr(&l, APIC_LVT_TIMER, 0x30);
	wr(&l, APIC_TIMER_INIT, 100);
	assert_true(vlapic_set_irq(&l, 0x80, false));
	to_x2apic(&l);
	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE | BASE_EN), 0);
	assert_int_equal(rd(&l, APIC_TPR), 0);
	assert_int_equal(rd(&l, APIC_SVR), 0xff);
	assert_int_equal(rd(&l, APIC_IRR + 0x40), 0);
	assert_int_equal(rd(&l, APIC_LVT_TIMER), APIC_LVT_MASKED);
	assert_int_equal(rd(&l, APIC_ID), 0x01000000);
	assert_int_equal(vlapic_pending(&l), -1);
}

/* ---------------------------------------------------------------- priorities */

static void test_tpr_ppr(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	wr(&l, APIC_TPR, 0x30);
	assert_int_equal(rd(&l, APIC_PPR), 0x30);
	assert_true(vlapic_set_irq(&l, 0x45, false));
	assert_int_equal(vlapic_pending(&l), 0x45);
	assert_true(vlapic_ack(&l, 0x45));
	assert_int_equal(rd(&l, APIC_ISR + 0x20), 1u << 5);
	assert_int_equal(rd(&l, APIC_PPR), 0x40);
	wr(&l, APIC_TPR, 0x4f);
	assert_int_equal(rd(&l, APIC_PPR), 0x4f);
	wr(&l, APIC_TPR, 0x52);
	assert_int_equal(rd(&l, APIC_PPR), 0x52);
	wr(&l, APIC_TPR, 0x3f);
	assert_int_equal(rd(&l, APIC_PPR), 0x40);
	assert_int_equal(wr(&l, APIC_EOI, 0), 0);
	assert_int_equal(rd(&l, APIC_PPR), 0x3f);

	vlapic_set_tpr(&l, 0x60);
	assert_int_equal(rd(&l, APIC_TPR), 0x60);
	assert_int_equal(vlapic_tpr(&l), 0x60);
	wr(&l, APIC_TPR, 0x7c);
	assert_int_equal(vlapic_tpr(&l), 0x7c);
}

static void test_apr(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	wr(&l, APIC_TPR, 0x35);
	assert_int_equal(rd(&l, APIC_APR), 0x35);
	vlapic_set_irq(&l, 0x51, false);
	assert_int_equal(rd(&l, APIC_APR), 0x50);
	assert_true(vlapic_ack(&l, 0x51));
	assert_int_equal(rd(&l, APIC_APR), 0x50);
	wr(&l, APIC_TPR, 0x6a);
	assert_int_equal(rd(&l, APIC_APR), 0x6a);
	vlapic_set_irq(&l, 0x71, false);
	assert_int_equal(rd(&l, APIC_APR), 0x70);
}

static void test_priority_masking(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	wr(&l, APIC_TPR, 0x50);
	vlapic_set_irq(&l, 0x51, false);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_false(vlapic_ack(&l, 0x51));
	wr(&l, APIC_TPR, 0x4f);
	assert_int_equal(vlapic_pending(&l), 0x51);
	vlapic_set_irq(&l, 0x5f, false);
	assert_int_equal(vlapic_pending(&l), 0x5f);
	assert_true(vlapic_ack(&l, 0x5f));
	/* Same class as the one in service: blocked until its EOI. */
	assert_int_equal(vlapic_pending(&l), -1);
	assert_false(vlapic_ack(&l, 0x51));
	vlapic_set_irq(&l, 0x61, false);
	assert_int_equal(vlapic_pending(&l), 0x61);
	assert_false(vlapic_ack(&l, 0x62));
	assert_false(vlapic_ack(&l, -1));
	assert_false(vlapic_ack(&l, 300));
	wr(&l, APIC_EOI, 0);
	assert_int_equal(vlapic_pending(&l), 0x61);
	assert_true(vlapic_ack(&l, 0x51));        /* deliverable, if not the highest */
	assert_int_equal(rd(&l, APIC_ISR + 0x20), 1u << 17);
}

static void test_eoi_order(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	vlapic_set_irq(&l, 0x40, false);
	assert_true(vlapic_ack(&l, 0x40));
	vlapic_set_irq(&l, 0x80, false);
	assert_int_equal(vlapic_pending(&l), 0x80);
	assert_true(vlapic_ack(&l, 0x80));
	assert_int_equal(rd(&l, APIC_ISR + 0x20), 1);
	assert_int_equal(rd(&l, APIC_ISR + 0x40), 1);
	assert_int_equal(wr(&l, APIC_EOI, 0), 0);
	assert_int_equal(rd(&l, APIC_ISR + 0x40), 0);
	assert_int_equal(rd(&l, APIC_ISR + 0x20), 1);
	assert_int_equal(wr(&l, APIC_EOI, 0), 0);
	assert_int_equal(rd(&l, APIC_ISR + 0x20), 0);
	assert_int_equal(wr(&l, APIC_EOI, 0), 0);
	for (uint32_t off = APIC_ISR; off < APIC_TMR; off += 0x10)
		assert_int_equal(rd(&l, off), 0);
}

static void test_level_eoi_report(void **state)
{
	struct vlapic l;
	struct vlapic_ipi ipi = { .mode = VLAPIC_DM_FIXED, .vector = 0x70, .level = true };
	(void)state;

	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	vlapic_set_irq(&l, 0x50, true);
	assert_int_equal(rd(&l, APIC_TMR + 0x20), 1u << 16);
	assert_true(vlapic_ack(&l, 0x50));
	vlapic_set_irq(&l, 0x60, false);
	assert_true(vlapic_ack(&l, 0x60));
	assert_int_equal(wr(&l, APIC_EOI, 0), 0);
	assert_int_equal(wr(&l, APIC_EOI, 0), VLAPIC_EOI_LEVEL | 0x50);
	/* An edge arrival of the vector clears its TMR bit. */
	vlapic_set_irq(&l, 0x50, false);
	assert_int_equal(rd(&l, APIC_TMR + 0x20), 0);

	assert_true(vlapic_deliver(&l, &ipi));
	assert_int_equal(rd(&l, APIC_TMR + 0x30), 1u << 16);
	to_x2apic(&l);
	assert_true(vlapic_ack(&l, 0x70));
	assert_int_equal(mwr(&l, 0x80b, 0), VLAPIC_EOI_LEVEL | 0x70);
}

static void test_irr_isr_tmr_readback(void **state)
{
	static const uint8_t vecs[] = { 16, 31, 32, 63, 100, 200, 255 };
	uint32_t irr[8] = { 0 }, tmr[8] = { 0 };
	struct vlapic l;
	(void)state;

	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	for (unsigned i = 0; i < sizeof(vecs); i++) {
		assert_true(vlapic_set_irq(&l, vecs[i], i & 1));
		irr[vecs[i] / 32] |= 1u << (vecs[i] % 32);
		if (i & 1)
			tmr[vecs[i] / 32] |= 1u << (vecs[i] % 32);
	}
	for (unsigned r = 0; r < 8; r++) {
		assert_int_equal(rd(&l, APIC_IRR + 0x10 * r), irr[r]);
		assert_int_equal(rd(&l, APIC_TMR + 0x10 * r), tmr[r]);
		assert_int_equal(rd(&l, APIC_ISR + 0x10 * r), 0);
	}
	assert_true(vlapic_ack(&l, 255));
	to_x2apic(&l);
	irr[7] &= ~(1u << 31);
	for (unsigned r = 0; r < 8; r++) {
		assert_int_equal(mrd(&l, 0x820 + r), irr[r]);
		assert_int_equal(mrd(&l, 0x818 + r), tmr[r]);
		assert_int_equal(mrd(&l, 0x810 + r), r == 7 ? 1u << 31 : 0);
	}
}

static void test_illegal_vectors(void **state)
{
	struct vlapic l;
	(void)state;

	make(&l, 1, false, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	for (unsigned v = 0; v < 16; v++)
		assert_false(vlapic_set_irq(&l, (uint8_t)v, false));
	for (uint32_t off = APIC_IRR; off < APIC_IRR + 0x80; off += 0x10)
		assert_int_equal(rd(&l, off), 0);
	assert_false(vlapic_ack(&l, 5));
	/* ESR: errors show after a write, and the next write clears them. */
	assert_int_equal(rd(&l, APIC_ESR), 0);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), APIC_ESR_RECV_ILLEGAL);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), 0);

	wr(&l, APIC_ICR_LO, 0x005);
	wr(&l, APIC_ICR_LO, 0x100);
	assert_int_equal(nsent, 0);
	wr(&l, APIC_ICR_LO, 0x400);             /* NMI has no vector to check */
	assert_int_equal(nsent, 1);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), APIC_ESR_SEND_ILLEGAL);

	wr(&l, APIC_LVT_ERROR, 0xee);
	vlapic_set_irq(&l, 3, false);
	assert_int_equal(vlapic_pending(&l), 0xee);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), APIC_ESR_RECV_ILLEGAL);

	make(&l, 1, false, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	wr(&l, APIC_LVT_ERROR, 0x05);
	wr(&l, APIC_ICR_LO, 0x001);
	assert_int_equal(vlapic_pending(&l), -1);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), APIC_ESR_SEND_ILLEGAL | APIC_ESR_RECV_ILLEGAL);

	/* A timer with an illegal vector raises a receive error, not the vector. */
	wr(&l, APIC_LVT_ERROR, APIC_LVT_MASKED);
	wr(&l, APIC_LVT_TIMER, 0x08);
	wr(&l, APIC_TIMER_INIT, 1);              /* divide by 2: due 4 TSC ticks on */
	vlapic_advance(&l, now + 3);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 1);
	vlapic_advance(&l, now + 4);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(rd(&l, APIC_IRR), 0);
	wr(&l, APIC_ESR, 0);
	assert_int_equal(rd(&l, APIC_ESR), APIC_ESR_RECV_ILLEGAL);

	to_x2apic(&l);
	nsent = 0;
	assert_int_equal(mwr(&l, 0x83f, 0x0f), 0);
	assert_int_equal(nsent, 0);
	assert_int_equal(mwr(&l, 0x828, 0), 0);
	assert_int_equal(mrd(&l, 0x828), APIC_ESR_RECV_ILLEGAL);
}

static void test_software_disable(void **state)
{
	struct vlapic l;
	struct vlapic_ipi nmi = { .mode = VLAPIC_DM_NMI };
	(void)state;

	make(&l, 1, false, HZ2G);
	assert_false(vlapic_set_irq(&l, 0x40, false));
	wr(&l, APIC_LVT_LINT0, 0x40);
	assert_int_equal(rd(&l, APIC_LVT_LINT0), APIC_LVT_MASKED | 0x40);
	assert_true(vlapic_deliver(&l, &nmi));
	assert_true(vlapic_nmi_pending(&l));

	wr(&l, APIC_SVR, 0x1ff);
	assert_int_equal(rd(&l, APIC_LVT_LINT0), APIC_LVT_MASKED | 0x40);
	wr(&l, APIC_LVT_LINT0, 0x40);
	wr(&l, APIC_LVT_TIMER, 0x41);
	assert_int_equal(rd(&l, APIC_LVT_LINT0), 0x40);
	assert_true(vlapic_set_irq(&l, 0x50, false));

	wr(&l, APIC_SVR, 0x0ff);
	for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
		assert_true(rd(&l, off) & APIC_LVT_MASKED);
	assert_int_equal(rd(&l, APIC_LVT_TIMER), APIC_LVT_MASKED | 0x41);
	assert_false(vlapic_set_irq(&l, 0x60, false));
	assert_int_equal(vlapic_pending(&l), 0x50);      /* held interrupts still go */
}

/* ---------------------------------------------------------------- IPIs */

static void test_icr_encodings(void **state)
{
	static const struct {
		uint32_t hi, lo;
		bool sent;
		uint32_t dest;
		uint8_t vector, mode, shorthand;
		bool logical, level;
	} t[] = {
		{ 0x02000000, 0x00000040, true, 0x02, 0x40, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, false, false },
		{ 0x0f000000, 0x00000841, true, 0x0f, 0x41, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, true, false },
		{ 0x03000000, 0x00000142, true, 0x03, 0x42, VLAPIC_DM_LOWEST, VLAPIC_SH_NONE, false, false },
		{ 0x03000000, 0x0000c043, true, 0x03, 0x43, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, false, true },
		{ 0x03000000, 0x0000c144, true, 0x03, 0x44, VLAPIC_DM_LOWEST, VLAPIC_SH_NONE, false, true },
		{ 0x04000000, 0x00000400, true, 0x04, 0x00, VLAPIC_DM_NMI, VLAPIC_SH_NONE, false, false },
		{ 0x04000000, 0x0000c500, true, 0x04, 0x00, VLAPIC_DM_INIT, VLAPIC_SH_NONE, false, false },
		{ 0x04000000, 0x00004500, true, 0x04, 0x00, VLAPIC_DM_INIT, VLAPIC_SH_NONE, false, false },
		{ 0x04000000, 0x00000500, true, 0x04, 0x00, VLAPIC_DM_INIT, VLAPIC_SH_NONE, false, false },
		{ 0x04000000, 0x00008500, false, 0, 0, 0, 0, false, false },
		{ 0x04000000, 0x0000469a, true, 0x04, 0x9a, VLAPIC_DM_SIPI, VLAPIC_SH_NONE, false, false },
		{ 0x04000000, 0x00000200, false, 0, 0, 0, 0, false, false },
		{ 0x04000000, 0x00000300, false, 0, 0, 0, 0, false, false },
		{ 0x04000000, 0x00000700, false, 0, 0, 0, 0, false, false },
		{ 0x00000000, 0x00040050, true, 0x00, 0x50, VLAPIC_DM_FIXED, VLAPIC_SH_SELF, false, false },
		{ 0x00000000, 0x00080051, true, 0x00, 0x51, VLAPIC_DM_FIXED, VLAPIC_SH_ALL, false, false },
		{ 0x00000000, 0x000c0452, true, 0x00, 0x52, VLAPIC_DM_NMI, VLAPIC_SH_OTHERS, false, false },
		{ 0x00000000, 0x000c4500, true, 0x00, 0x00, VLAPIC_DM_INIT, VLAPIC_SH_OTHERS, false, false },
		{ 0xff000000, 0x00001053, true, 0xff, 0x53, VLAPIC_DM_FIXED, VLAPIC_SH_NONE, false, false },
	};
	struct vlapic l;
	(void)state;

	make(&l, 1, false, HZ2G);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		nsent = 0;
		memset(sent, 0x5a, sizeof(sent));
		wr(&l, APIC_ICR_HI, t[i].hi);
		wr(&l, APIC_ICR_LO, t[i].lo);
		assert_int_equal(rd(&l, APIC_ICR_LO), t[i].lo & ~APIC_ICR_BUSY);
		assert_int_equal(rd(&l, APIC_ICR_HI), t[i].hi);
		assert_int_equal(nsent, t[i].sent ? 1 : 0);
		if (!t[i].sent)
			continue;
		assert_int_equal(sent[0].dest, t[i].dest);
		assert_int_equal(sent[0].vector, t[i].vector);
		assert_int_equal(sent[0].mode, t[i].mode);
		assert_int_equal(sent[0].shorthand, t[i].shorthand);
		assert_int_equal(sent[0].logical, t[i].logical);
		assert_int_equal(sent[0].level, t[i].level);
		assert_false(sent[0].x2apic);
	}
}

static void test_match_dest(void **state)
{
	enum { A, B, C, D, N };
	static const struct {
		struct vlapic_ipi ipi;
		uint32_t src;
		bool want[N];
	} t[] = {
		{ { .dest = 0x03 }, 9, { true, false, false, false } },
		{ { .dest = 0x12 }, 9, { false, true, false, false } },
		{ { .dest = 0x23 }, 9, { false, false, true, false } },
		{ { .dest = 0xff }, 9, { true, true, true, false } },
		{ { .dest = 0x23, .x2apic = true }, 9, { false, false, true, false } },
		{ { .dest = 0xff, .x2apic = true }, 9, { false, false, false, false } },
		{ { .dest = 0x103, .x2apic = true }, 9, { false, false, false, false } },
		{ { .dest = 0xffffffff, .x2apic = true }, 9, { true, true, true, false } },
		{ { .dest = 0x08, .logical = true }, 9, { true, false, false, false } },
		{ { .dest = 0x0c, .logical = true }, 9, { true, false, false, false } },
		{ { .dest = 0x04, .logical = true }, 9, { false, false, false, false } },
		{ { .dest = 0x21, .logical = true }, 9, { false, true, false, false } },
		{ { .dest = 0x23, .logical = true }, 9, { false, true, false, false } },
		{ { .dest = 0x22, .logical = true }, 9, { false, false, false, false } },
		{ { .dest = 0x31, .logical = true }, 9, { false, false, false, false } },
		{ { .dest = 0xff, .logical = true }, 9, { true, true, true, false } },
		{ { .dest = 0x00020008, .logical = true, .x2apic = true }, 9, { false, false, true, false } },
		{ { .dest = 0x0002ffff, .logical = true, .x2apic = true }, 9, { false, false, true, false } },
		{ { .dest = 0x00020010, .logical = true, .x2apic = true }, 9, { false, false, false, false } },
		{ { .dest = 0x00030008, .logical = true, .x2apic = true }, 9, { false, false, false, false } },
		{ { .dest = 0xffffffff, .logical = true, .x2apic = true }, 9, { true, true, true, false } },
		{ { .shorthand = VLAPIC_SH_SELF, .dest = 0x12 }, 3, { true, false, false, false } },
		{ { .shorthand = VLAPIC_SH_SELF }, 0x23, { false, false, true, false } },
		{ { .shorthand = VLAPIC_SH_ALL }, 3, { true, true, true, false } },
		{ { .shorthand = VLAPIC_SH_OTHERS }, 3, { false, true, true, false } },
		{ { .shorthand = VLAPIC_SH_OTHERS }, 4, { true, true, true, false } },
	};
	struct vlapic l[N];
	(void)state;

	make(&l[A], 0x03, false, HZ2G);           /* xAPIC flat, logical bit 3 */
	wr(&l[A], APIC_LDR, 0x08000000);
	make(&l[B], 0x12, false, HZ2G);           /* xAPIC cluster 2, member bit 0 */
	wr(&l[B], APIC_DFR, 0x0fffffff);
	wr(&l[B], APIC_LDR, 0x21000000);
	make(&l[C], 0x23, false, HZ2G);           /* x2APIC cluster 2, member bit 3 */
	to_x2apic(&l[C]);
	make(&l[D], 0x04, false, HZ2G);           /* globally disabled */
	assert_int_equal(mwr(&l[D], MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (unsigned j = 0; j < N; j++)
			if (vlapic_match_dest(&l[j], &t[i].ipi, t[i].src) != t[i].want[j])
				fail_msg("case %u, target %u: want %d", i, j, t[i].want[j]);
}

/* A VM of a few vCPUs whose IPIs reach each other as the caller would route them. */
struct vm_bus;

struct bus_port {
	struct vm_bus *bus;
	uint32_t id;
};

struct vm_bus {
	struct vlapic cpu[3];
	struct bus_port port[3];
	int ncpu;
};

static void bus_send(void *arg, const struct vlapic_ipi *ipi)
{
	const struct bus_port *p = arg;

	for (int i = 0; i < p->bus->ncpu; i++)
		if (vlapic_match_dest(&p->bus->cpu[i], ipi, p->id))
			vlapic_deliver(&p->bus->cpu[i], ipi);
}

static void bus_make(struct vm_bus *bus, int n)
{
	bus->ncpu = n;
	for (int i = 0; i < n; i++) {
		struct vlapic_config c = {
			.id = (uint32_t)i, .bsp = i == 0, .tsc_hz = HZ2G, .maxphyaddr = 48,
			.send_ipi = bus_send, .arg = &bus->port[i],
		};

		bus->port[i] = (struct bus_port){ bus, (uint32_t)i };
		assert_int_equal(vlapic_init(&bus->cpu[i], &c), 0);
	}
}

static void test_init_sipi_sequence(void **state)
{
	struct vm_bus bus;
	struct vlapic *bsp = &bus.cpu[0], *ap = &bus.cpu[1], *other = &bus.cpu[2];
	(void)state;

	now = 1000;
	bus_make(&bus, 3);
	wr(ap, APIC_SVR, 0x1ff);
	wr(ap, APIC_TPR, 0x20);
	wr(ap, APIC_LVT_TIMER, 0x30);
	wr(ap, APIC_TIMER_INIT, 1000);
	vlapic_set_irq(ap, 0x40, false);
	assert_int_equal(vlapic_take_sipi(ap), -1);

	/* INIT assert, INIT de-assert, SIPI, SIPI: how an OS starts an AP in xAPIC mode. */
	wr(bsp, APIC_ICR_HI, 0x01000000);
	wr(bsp, APIC_ICR_LO, 0x0000c500);
	assert_true(vlapic_take_init(ap));
	assert_false(vlapic_take_init(ap));
	assert_false(vlapic_take_init(other));
	assert_true(vlapic_init_received(ap));
	assert_int_equal(rd(ap, APIC_TPR), 0);
	assert_int_equal(rd(ap, APIC_SVR), 0xff);
	assert_int_equal(rd(ap, APIC_IRR + 0x20), 0);
	assert_int_equal(rd(ap, APIC_ID), 0x01000000);
	assert_true(vlapic_next_event(ap) == UINT64_MAX);
	wr(bsp, APIC_ICR_LO, 0x00008500);
	assert_true(vlapic_init_received(ap));
	assert_int_equal(vlapic_take_sipi(ap), -1);
	wr(bsp, APIC_ICR_LO, 0x0000069a);
	wr(bsp, APIC_ICR_LO, 0x00000677);
	assert_int_equal(vlapic_take_sipi(ap), 0x9a);
	assert_false(vlapic_init_received(ap));
	assert_int_equal(vlapic_take_sipi(ap), -1);
	assert_int_equal(vlapic_take_sipi(other), -1);
	wr(bsp, APIC_ICR_LO, 0x0000069b);
	assert_int_equal(vlapic_take_sipi(ap), -1);

	/* INIT to all including self: the BSP resets but does not wait for a SIPI. */
	wr(bsp, APIC_TPR, 0x10);
	wr(bsp, APIC_ICR_LO, 0x00080500);
	assert_true(vlapic_take_init(bsp));
	assert_false(vlapic_init_received(bsp));
	assert_int_equal(rd(bsp, APIC_TPR), 0);
	assert_true(vlapic_init_received(other));

	/* INIT keeps x2APIC mode. */
	to_x2apic(ap);
	mwr(ap, 0x808, 0x20);
	wr(bsp, APIC_ICR_LO, 0x000c0500);
	assert_true(vlapic_take_init(ap));
	assert_int_equal(mrd(ap, MSR_APIC_BASE), VLAPIC_DEFAULT_BASE | BASE_X2);
	assert_int_equal(mrd(ap, 0x808), 0);
	assert_int_equal(mrd(ap, 0x80d), 0x00000002);
}

static void test_nmi_and_other_modes(void **state)
{
	struct vlapic l;
	struct vlapic_ipi nmi = { .mode = VLAPIC_DM_NMI };
	struct vlapic_ipi init = { .mode = VLAPIC_DM_INIT };
	struct vlapic_ipi smi = { .mode = 2 }, extint = { .mode = 7, .vector = 0x40 };
	(void)state;

	make(&l, 1, false, HZ2G);
	assert_false(vlapic_nmi_pending(&l));
	assert_true(vlapic_deliver(&l, &nmi));
	assert_true(vlapic_deliver(&l, &nmi));
	assert_true(vlapic_nmi_pending(&l));
	vlapic_nmi_ack(&l);
	assert_false(vlapic_nmi_pending(&l));
	assert_int_equal(vlapic_nmi_cancel(&l), VLAPIC_CANCEL_PENDING);
	assert_true(vlapic_nmi_pending(&l));
	vlapic_nmi_ack(&l);
	vlapic_deliver(&l, &nmi);
	assert_int_equal(vlapic_nmi_cancel(&l), VLAPIC_CANCEL_REINJECT);
	assert_true(vlapic_nmi_pending(&l));
	assert_true(vlapic_deliver(&l, &init));
	assert_false(vlapic_nmi_pending(&l));
	assert_true(vlapic_take_init(&l));

	wr(&l, APIC_SVR, 0x1ff);
	assert_false(vlapic_deliver(&l, &smi));
	assert_false(vlapic_deliver(&l, &extint));
	assert_int_equal(vlapic_pending(&l), -1);
	struct vlapic_ipi sipi = { .mode = VLAPIC_DM_SIPI, .vector = 0x10 };
	assert_true(vlapic_deliver(&l, &sipi));
	assert_int_equal(vlapic_take_sipi(&l), 0x10);

	assert_int_equal(mwr(&l, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
	assert_false(vlapic_deliver(&l, &nmi));
	assert_false(vlapic_deliver(&l, &init));
	assert_false(vlapic_nmi_pending(&l));
	assert_false(vlapic_take_init(&l));
}

/* ---------------------------------------------------------------- timer */

static void test_timer_oneshot_exact(void **state)
{
	struct vlapic l;
	(void)state;

	timer_setup(&l, HZ2G, 0x30, 0xb);
	wr(&l, APIC_TIMER_INIT, 1000);
	assert_int_equal(vlapic_next_event(&l), 3000);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 1000);
	now = 2000;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 500);
	now = 2999;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 1);
	vlapic_advance(&l, 2999);
	assert_int_equal(vlapic_pending(&l), -1);
	vlapic_advance(&l, 3000);
	assert_int_equal(vlapic_pending(&l), 0x30);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	now = 3000;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 0);
	assert_int_equal(rd(&l, APIC_TIMER_INIT), 1000);
	vlapic_advance(&l, 100000);
	assert_true(vlapic_ack(&l, 0x30));
	wr(&l, APIC_EOI, 0);
	assert_int_equal(vlapic_pending(&l), -1);

	/* 2.5 TSC ticks per timer tick: the expiry rounds up to a whole TSC tick. */
	timer_setup(&l, 2500000000ull, 0x30, 0xb);
	wr(&l, APIC_TIMER_INIT, 1);
	assert_int_equal(vlapic_next_event(&l), 1003);
	vlapic_advance(&l, 1002);
	assert_int_equal(vlapic_pending(&l), -1);
	vlapic_advance(&l, 1003);
	assert_int_equal(vlapic_pending(&l), 0x30);

	/* A count of 0 stops the timer. */
	timer_setup(&l, HZ2G, 0x30, 0xb);
	wr(&l, APIC_TIMER_INIT, 1000);
	wr(&l, APIC_TIMER_INIT, 0);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 0);
}

static void test_timer_divide(void **state)
{
	static const struct { uint32_t tdcr, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 }, { 0xfffffff7, 16 },
	};
	struct vlapic l;
	(void)state;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		timer_setup(&l, HZ2G, 0x30, t[i].tdcr);
		wr(&l, APIC_TIMER_INIT, 100);
		assert_int_equal(vlapic_next_event(&l), 1000 + 100 * t[i].div * 2);
		now = 1000 + 50 * t[i].div * 2;
		assert_int_equal(rd(&l, APIC_TIMER_CUR), 50);
	}

	/* A divide write keeps the current count and goes on at the new rate. */
	timer_setup(&l, HZ2G, 0x30, 0xb);
	wr(&l, APIC_TIMER_INIT, 1000);
	now = 2000;
	wr(&l, APIC_TIMER_DIV, 0x0);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 500);
	assert_int_equal(vlapic_next_event(&l), 2000 + 500 * 2 * 2);
	now = 2004;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 499);
}

static uint64_t ceil_tsc(uint64_t ns, uint64_t hz)
{
	u128 p = (u128)ns * hz;

	return (uint64_t)(p / 1000000000u + (p % 1000000000u != 0));
}

static void test_timer_periodic_no_drift(void **state)
{
	const uint64_t hz = 1500000001ull, t0 = 12345;
	struct vlapic l;
	(void)state;

	timer_setup(&l, hz, 0x20031, 0xb);
	now = t0;
	wr(&l, APIC_TIMER_INIT, 1001);
	for (uint64_t j = 1; j <= 1000; j++) {
		uint64_t due = vlapic_next_event(&l);

		assert_int_equal(due, t0 + ceil_tsc(j * 1001, hz));
		vlapic_advance(&l, due - 1);
		assert_int_equal(vlapic_pending(&l), -1);
		vlapic_advance(&l, due);
		assert_int_equal(vlapic_pending(&l), 0x31);
		assert_true(vlapic_ack(&l, 0x31));
		now = due;
		assert_int_equal(rd(&l, APIC_TIMER_CUR), 1001);
		wr(&l, APIC_EOI, 0);
	}
	/* Rounding each period up on its own would have drifted by 499 ticks. */
	assert_int_equal(vlapic_next_event(&l), t0 + ceil_tsc(1001 * 1001, hz));
	assert_int_equal(now, t0 + 1501501);
	assert_true(now < t0 + 1000 * ceil_tsc(1001, hz));

	/* Late by several periods: one interrupt, and the schedule stays. */
	timer_setup(&l, HZ2G, 0x20031, 0xb);
	wr(&l, APIC_TIMER_INIT, 1000);          /* 2000 TSC ticks a period */
	vlapic_advance(&l, 1000 + 5 * 2000 + 10);
	assert_int_equal(vlapic_pending(&l), 0x31);
	assert_true(vlapic_ack(&l, 0x31));
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_next_event(&l), 1000 + 6 * 2000);
}

static void test_timer_current_count(void **state)
{
	struct vlapic l;
	uint32_t prev = 500;
	(void)state;

	timer_setup(&l, HZ2G, 0x20031, 0x0);     /* divide by 2: 4 TSC ticks a count */
	wr(&l, APIC_TIMER_INIT, 500);
	now = 1004;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 499);
	now = 2999;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 1);
	now = 3000;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 500);
	assert_int_equal(vlapic_pending(&l), 0x31);
	now = 3004;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 499);
	for (now = 3004; now < 3004 + 2000 - 4; now += 7) {
		uint32_t cur = rd(&l, APIC_TIMER_CUR);

		assert_true(cur >= 1 && cur <= prev);
		prev = cur;
	}

	/* One-shot to periodic mid-count: fires on time, then reloads. */
	timer_setup(&l, HZ2G, 0x30, 0xb);
	wr(&l, APIC_TIMER_INIT, 1000);
	now = 2000;
	wr(&l, APIC_LVT_TIMER, 0x20030);
	assert_int_equal(vlapic_next_event(&l), 3000);
	vlapic_advance(&l, 3000);
	assert_int_equal(vlapic_next_event(&l), 5000);
	now = 3000;
	wr(&l, APIC_LVT_TIMER, 0x30);
	vlapic_advance(&l, 5000);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
}

static void test_timer_masked(void **state)
{
	struct vlapic l;
	(void)state;

	timer_setup(&l, HZ2G, APIC_LVT_MASKED | 0x30, 0xb);
	wr(&l, APIC_TIMER_INIT, 100);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	now = 1100;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 50);
	now = 5000;
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 0);
	wr(&l, APIC_LVT_TIMER, 0x30);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);

	/* Periods missed while masked raise nothing when unmasked. */
	timer_setup(&l, HZ2G, APIC_LVT_MASKED | 0x20030, 0xb);
	wr(&l, APIC_TIMER_INIT, 1000);
	now = 1000 + 5500;
	wr(&l, APIC_LVT_TIMER, 0x20030);
	assert_int_equal(vlapic_pending(&l), -1);
	assert_int_equal(vlapic_next_event(&l), 1000 + 6000);
	vlapic_advance(&l, 1000 + 5999);
	assert_int_equal(vlapic_pending(&l), -1);
	vlapic_advance(&l, 1000 + 6000);
	assert_int_equal(vlapic_pending(&l), 0x30);
}

static void test_timer_tsc_deadline(void **state)
{
	struct vlapic l;
	(void)state;

	timer_setup(&l, HZ2G, 0x40032, 0xb);
	assert_int_equal(mwr(&l, MSR_TSC_DEADLINE, 1500), 0);
	assert_int_equal(mrd(&l, MSR_TSC_DEADLINE), 1500);
	assert_int_equal(vlapic_next_event(&l), 1500);
	vlapic_advance(&l, 1499);
	assert_int_equal(vlapic_pending(&l), -1);
	vlapic_advance(&l, 1500);
	assert_int_equal(vlapic_pending(&l), 0x32);
	assert_int_equal(mrd(&l, MSR_TSC_DEADLINE), 0);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	assert_true(vlapic_ack(&l, 0x32));
	wr(&l, APIC_EOI, 0);

	/* 0 disarms; a deadline already past fires at the write. */
	mwr(&l, MSR_TSC_DEADLINE, 9000);
	mwr(&l, MSR_TSC_DEADLINE, 0);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	vlapic_advance(&l, 20000);
	assert_int_equal(vlapic_pending(&l), -1);
	now = 20000;
	mwr(&l, MSR_TSC_DEADLINE, 19999);
	assert_int_equal(vlapic_pending(&l), 0x32);
	assert_int_equal(mrd(&l, MSR_TSC_DEADLINE), 0);

	/* The counter is off in this mode. */
	wr(&l, APIC_TIMER_INIT, 100);
	assert_int_equal(rd(&l, APIC_TIMER_INIT), 0);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 0);

	/* Leaving the mode clears the deadline; other modes ignore the MSR. */
	mwr(&l, MSR_TSC_DEADLINE, 50000);
	wr(&l, APIC_LVT_TIMER, 0x32);
	assert_int_equal(mrd(&l, MSR_TSC_DEADLINE), 0);
	mwr(&l, MSR_TSC_DEADLINE, 60000);
	assert_int_equal(mrd(&l, MSR_TSC_DEADLINE), 0);
	wr(&l, APIC_LVT_TIMER, 0x40032);
	assert_int_equal(mrd(&l, MSR_TSC_DEADLINE), 0);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);

	/* Entering it disarms a running count. */
	wr(&l, APIC_LVT_TIMER, 0x32);
	wr(&l, APIC_TIMER_INIT, 100);
	wr(&l, APIC_LVT_TIMER, 0x40032);
	assert_int_equal(rd(&l, APIC_TIMER_INIT), 0);
	wr(&l, APIC_LVT_TIMER, 0x32);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);

	/* The reserved mode 3 never runs. */
	wr(&l, APIC_LVT_TIMER, 0x60032);
	wr(&l, APIC_TIMER_INIT, 100);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 0);

	/* x2APIC: same MSR, LVT through 0x832. */
	timer_setup(&l, HZ2G, 0x32, 0xb);
	to_x2apic(&l);
	assert_int_equal(mwr(&l, 0x832, 0x40033), 0);
	mwr(&l, MSR_TSC_DEADLINE, 4242);
	assert_int_equal(vlapic_next_event(&l), 4242);
}

static void test_timer_extremes(void **state)
{
	struct vlapic l;
	(void)state;

	timer_setup(&l, 4000000000ull, 0x20030, 0xa);
	now = UINT64_MAX - 1000;
	wr(&l, APIC_TIMER_INIT, 0xffffffff);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
	assert_int_equal(rd(&l, APIC_TIMER_CUR), 0xffffffff);
	vlapic_advance(&l, UINT64_MAX);
	assert_int_equal(vlapic_pending(&l), -1);

	/* A 1 Hz TSC: one TSC tick is 10^9 timer ticks. */
	timer_setup(&l, 1, 0x20030, 0xb);
	wr(&l, APIC_TIMER_INIT, 1);
	assert_int_equal(vlapic_next_event(&l), 1001);
	vlapic_advance(&l, UINT64_MAX - 1);
	assert_int_equal(vlapic_pending(&l), 0x30);
	assert_true(vlapic_next_event(&l) == UINT64_MAX);
}

/* ---------------------------------------------------------------- exactly once */

struct ref {
	bool irr[256], isr[256], tmr[256];
	uint8_t tpr;
	unsigned raised[256], delivered[256];
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static int ref_highest(const bool *v)
{
	for (int i = 255; i >= 0; i--)
		if (v[i])
			return i;
	return -1;
}

static int ref_pending(const struct ref *r)
{
	int isrv = ref_highest(r->isr), irrv = ref_highest(r->irr);
	int ppr_class = isrv >= 0 && (isrv & 0xf0) > (r->tpr & 0xf0) ? isrv & 0xf0 : r->tpr & 0xf0;

	return irrv >= 0 && (irrv & 0xf0) > ppr_class ? irrv : -1;
}

static void ref_check(struct vlapic *l, const struct ref *r)
{
	for (unsigned reg = 0; reg < 8; reg++) {
		uint32_t irr = 0, isr = 0;

		for (unsigned b = 0; b < 32; b++) {
			irr |= (uint32_t)r->irr[reg * 32 + b] << b;
			isr |= (uint32_t)r->isr[reg * 32 + b] << b;
		}
		assert_int_equal(rd(l, APIC_IRR + 0x10 * reg), irr);
		assert_int_equal(rd(l, APIC_ISR + 0x10 * reg), isr);
	}
	assert_int_equal(vlapic_pending(l), ref_pending(r));
}

static void ref_raise(struct vlapic *l, struct ref *r, int v)
{
	bool level = rnd(2);

	assert_true(vlapic_set_irq(l, (uint8_t)v, level));
	r->tmr[v] = level;
	if (!r->irr[v]) {
		r->irr[v] = true;
		r->raised[v]++;
	}
}

static void test_exactly_once_random(void **state)
{
	static struct ref r;
	struct vlapic l;
	unsigned reinjected = 0, cancelled = 0, total = 0;
	(void)state;

	memset(&r, 0, sizeof(r));
	make(&l, 0, true, HZ2G);
	wr(&l, APIC_SVR, 0x1ff);
	for (int step = 0; step < 200000; step++) {
		uint32_t op = rnd(100);
		int v;

		if (op < 35) {
			ref_raise(&l, &r, 16 + (int)rnd(240));
		} else if (op < 70) {
			v = vlapic_pending(&l);
			assert_int_equal(v, ref_pending(&r));
			if (v < 0)
				continue;
			assert_true(vlapic_ack(&l, v));
			r.irr[v] = false;
			r.isr[v] = true;
			op = rnd(100);
			if (op < 60) {
				r.delivered[v]++;
			} else if (op < 85) {
				assert_int_equal(vlapic_cancel(&l, v), VLAPIC_CANCEL_PENDING);
				r.isr[v] = false;
				r.irr[v] = true;
				cancelled++;
			} else {
				/* A new instance arrives before the exit is handled. */
				ref_raise(&l, &r, v);
				assert_int_equal(vlapic_cancel(&l, v), VLAPIC_CANCEL_REINJECT);
				r.delivered[v]++;
				reinjected++;
			}
		} else if (op < 90) {
			v = ref_highest(r.isr);
			assert_int_equal(wr(&l, APIC_EOI, 0),
					 v >= 0 && r.tmr[v] ? VLAPIC_EOI_LEVEL | v : 0);
			if (v >= 0)
				r.isr[v] = false;
		} else if (op < 95) {
			r.tpr = rnd(2) ? 0 : (uint8_t)rnd(256);
			wr(&l, APIC_TPR, r.tpr);
		} else {
			/* Calls off the protocol: any vector acked, cancel of one not on top. */
			v = (int)rnd(300) - 20;
			if (v != ref_highest(r.isr))
				assert_int_equal(vlapic_cancel(&l, v), -1);
			bool ok = v >= 16 && v < 256 && r.irr[v] &&
				  (v & 0xf0) > (int)(rd(&l, APIC_PPR) & 0xf0);
			assert_int_equal(vlapic_ack(&l, v), ok);
			if (ok) {
				r.irr[v] = false;
				r.isr[v] = true;
				r.delivered[v]++;
			}
		}
		ref_check(&l, &r);
	}
	/* Drain: everything raised is delivered exactly once. */
	wr(&l, APIC_TPR, 0);
	r.tpr = 0;
	for (;;) {
		while ((total = (unsigned)vlapic_pending(&l)) <= 255) {
			assert_true(vlapic_ack(&l, (int)total));
			r.irr[total] = false;
			r.delivered[total]++;
			wr(&l, APIC_EOI, 0);
		}
		if (ref_highest(r.isr) < 0)
			break;
		r.isr[ref_highest(r.isr)] = false;
		wr(&l, APIC_EOI, 0);
	}
	ref_check(&l, &r);
	assert_int_equal(ref_highest(r.irr), -1);
	total = 0;
	for (int v = 0; v < 256; v++) {
		assert_int_equal(r.raised[v], r.delivered[v]);
		total += r.raised[v];
	}
	assert_true(total > 20000);
	assert_true(cancelled > 5000);
	assert_true(reinjected > 3000);
	assert_int_equal(vlapic_cancel(&l, 0x40), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_state),
		cmocka_unit_test(test_xapic_read_write),
		cmocka_unit_test(test_xapic_access_widths),
		cmocka_unit_test(test_x2apic_msr_map),
		cmocka_unit_test(test_x2apic_registers),
		cmocka_unit_test(test_mmio_outside_xapic),
		cmocka_unit_test(test_apic_base_transitions),
		cmocka_unit_test(test_tpr_ppr),
		cmocka_unit_test(test_apr),
		cmocka_unit_test(test_priority_masking),
		cmocka_unit_test(test_eoi_order),
		cmocka_unit_test(test_level_eoi_report),
		cmocka_unit_test(test_irr_isr_tmr_readback),
		cmocka_unit_test(test_illegal_vectors),
		cmocka_unit_test(test_software_disable),
		cmocka_unit_test(test_icr_encodings),
		cmocka_unit_test(test_match_dest),
		cmocka_unit_test(test_init_sipi_sequence),
		cmocka_unit_test(test_nmi_and_other_modes),
		cmocka_unit_test(test_timer_oneshot_exact),
		cmocka_unit_test(test_timer_divide),
		cmocka_unit_test(test_timer_periodic_no_drift),
		cmocka_unit_test(test_timer_current_count),
		cmocka_unit_test(test_timer_masked),
		cmocka_unit_test(test_timer_tsc_deadline),
		cmocka_unit_test(test_timer_extremes),
		cmocka_unit_test(test_exactly_once_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
