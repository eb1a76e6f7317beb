/* A vCPU's MTRR and PAT MSRs: stored and validated.  See mtrr.h. */
#include "mtrr.h"

#define DEF_TYPE_BITS   0xcffull        /* type 7:0, FE 10, E 11 (SDM 11.11.2.1) */
#define PHYSBASE_LOW    0x0ffull        /* type; 11:8 reserved (SDM 11.11.2.3) */
#define PHYSMASK_LOW    0x800ull        /* valid; 10:0 reserved */
#define FIXED_WB        0x0606060606060606ull

/* The fixed-range MSRs in the order of vmtrr.fixed[], or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_MTRR_FIX64K)
		return 0;
	if (msr == MSR_MTRR_FIX16K_80000)
		return 1;
	if (msr == MSR_MTRR_FIX16K_A0000)
		return 2;
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_F8000)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
	return -1;
}

static bool var_msr(uint32_t msr)
{
	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * VMTRR_VCNT;
}

/* UC, WC, WT, WP, WB (SDM table 11-8); 2, 3 and 7 up are reserved. */
static bool mtrr_type_ok(uint64_t t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* PAT adds UC- (7) to the MTRR types (SDM table 11-10). */
static bool pat_type_ok(uint64_t t)
{
	return mtrr_type_ok(t) || t == 7;
}

static bool all_bytes_mtrr_types(uint64_t v)
{
	for (int i = 0; i < 8; i++)
		if (!mtrr_type_ok(v >> (8 * i) & 0xff))
			return false;
	return true;
}

static bool all_bytes_pat_types(uint64_t v)
{
	for (int i = 0; i < 8; i++)
		if (!pat_type_ok(v >> (8 * i) & 0xff))
			return false;
	return true;
}

void vmtrr_init(struct vmtrr *m, uint8_t maxphyaddr)
{
	unsigned bits = maxphyaddr < 36 ? 36 : maxphyaddr > 52 ? 52 : maxphyaddr;

	*m = (struct vmtrr){ .def_type = VMTRR_DEF_RESET, .pat = VMTRR_PAT_RESET };
	for (int i = 0; i < VMTRR_NFIXED; i++)
		m->fixed[i] = FIXED_WB;
	m->addr_mask = ((1ull << bits) - 1) & ~0xfffull;
}

bool vmtrr_is_ours(uint32_t msr)
{
	return msr == MSR_MTRRCAP || msr == MSR_MTRR_DEF_TYPE || msr == MSR_PAT ||
	       fixed_index(msr) >= 0 || var_msr(msr);
}

int vmtrr_read(struct vmtrr *m, uint32_t msr, uint64_t *val)
{
	int i = fixed_index(msr);

	if (msr == MSR_MTRRCAP)
		*val = VMTRR_CAP;
	else if (msr == MSR_MTRR_DEF_TYPE)
		*val = m->def_type;
	else if (msr == MSR_PAT)
		*val = m->pat;
	else if (i >= 0)
		*val = m->fixed[i];
	else if (var_msr(msr))
		*val = m->var[msr - MSR_MTRR_PHYSBASE0];
	else
		return -1;
	return 0;
}

int vmtrr_write(struct vmtrr *m, uint32_t msr, uint64_t val)
{
	int i = fixed_index(msr);

	if (!vmtrr_is_ours(msr))
		return -1;
	if (msr == MSR_MTRRCAP)
		return VMTRR_GP;
	if (msr == MSR_MTRR_DEF_TYPE) {
		if ((val & ~DEF_TYPE_BITS) || !mtrr_type_ok(val & 0xff))
			return VMTRR_GP;
		m->def_type = val;
	} else if (msr == MSR_PAT) {
		if (!all_bytes_pat_types(val))
			return VMTRR_GP;
		m->pat = val;
	} else if (i >= 0) {
		if (!all_bytes_mtrr_types(val))
			return VMTRR_GP;
		m->fixed[i] = val;
	} else if ((msr - MSR_MTRR_PHYSBASE0) % 2 == 0) {
		if ((val & ~(m->addr_mask | PHYSBASE_LOW)) || !mtrr_type_ok(val & 0xff))
			return VMTRR_GP;
		m->var[msr - MSR_MTRR_PHYSBASE0] = val;
	} else {
		if (val & ~(m->addr_mask | PHYSMASK_LOW))
			return VMTRR_GP;
		m->var[msr - MSR_MTRR_PHYSBASE0] = val;
	}
	return 0;
}
