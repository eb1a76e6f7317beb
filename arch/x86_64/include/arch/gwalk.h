/*
 * Guest page-table walker: translates a guest linear address the way the
 * guest's own MMU would, through the guest's page tables in guest-physical
 * memory.  The instruction emulator needs it where hardware gives only a
 * linear address: the bytes at CS:RIP, the RSI/RDI operands of string I/O.
 *
 * Pure logic: guest memory is reached only through the env's callbacks, so
 * host unit tests link this file as it is.
 *
 * Modes (Intel SDM vol.3 ch.4, APM vol.2 ch.5):
 *   paging off        linear = physical, 32 bits wide (no long mode without paging)
 *   32-bit paging     4 KiB pages; 4 MiB pages with CR4.PSE; PSE-36 high bits
 *   PAE paging        4 KiB and 2 MiB pages; PDPTEs read from memory at each
 *                     walk, as AMD does (a bad PDPTE is a #PF, not a #GP at MOV CR3)
 *   4-level paging    4 KiB, 2 MiB and 1 GiB pages
 * gva is a linear address: the segment base is already added (and, in
 * compatibility mode, the sum truncated to 32 bits by the caller).  Outside
 * long mode a linear address is 32 bits: gva wraps at 4 GiB.
 * 5-level paging (CR4.LA57 in long mode) and supervisor protection keys
 * (CR4.PKS) are refused with -GWALK_EINVAL.
 *
 * Checks, as hardware makes them: present bits; reserved bits, with the
 * masks taken from the VM's policy MAXPHYADDR and features (DESIGN
 * invariant 5), never from the host; R/W with CR0.WP; U/S; NX when
 * EFER.NXE; SMEP, SMAP (with RFLAGS.AC) and protection keys (CR4.PKE, PKRU).
 *
 * Accessed and dirty bits: when, and only when, the env has a cmpxchg_gpa
 * callback, a successful translation sets A in every entry it used and D in
 * the leaf of a write, as hardware does; a fault sets nothing.  An emulated
 * string store (INS,
 * MOVS) must leave the page dirty or the guest may drop the data it wrote;
 * an entry changed by another vCPU between the read and the update is
 * never overwritten: the walk starts again.  Without the callback the walker
 * never writes guest memory.
 */
#ifndef ARCH_GWALK_H
#define ARCH_GWALK_H

#include <stddef.h>
#include <stdint.h>

/* Errors, returned negated (-GWALK_EPF); 0 is success. */
enum gwalk_err {
	GWALK_EPF = 1,          /* inject #PF(res->error_code) with CR2 = res->fault_gva */
	GWALK_EGP,              /* non-canonical res->fault_gva: #GP(0), or #SS(0) for a stack access */
	GWALK_ETABLE,           /* a paging structure (at res->gpa) is not guest RAM */
	GWALK_EDATA,            /* gwalk_read: the data (at res->gpa) is not guest RAM */
	GWALK_ERETRY,           /* the tables kept changing under the walk: resume the guest
				   without emulating, it executes the instruction again */
	GWALK_EINVAL,           /* an env or access the walker refuses (see gwalk) */
};

/* access: a data read unless WRITE or FETCH is given. */
#define GWALK_WRITE     (1u << 0)
#define GWALK_USER      (1u << 1)       /* a user-mode access whatever the CPL */
#define GWALK_FETCH     (1u << 2)
#define GWALK_IMPLICIT  (1u << 3)       /* an implicit supervisor access (descriptor
					   tables): never user, SMAP ignores RFLAGS.AC */

/* res->perm: what the translation allows, combined over every level. */
#define GWALK_PERM_W    (1u << 0)
#define GWALK_PERM_U    (1u << 1)
#define GWALK_PERM_X    (1u << 2)

/* res->error_code: the #PF error code (SDM vol.3 4.7, APM vol.2 8.4.2). */
#define GWALK_PF_P      (1u << 0)       /* protection or reserved bit, not a non-present entry */
#define GWALK_PF_W      (1u << 1)
#define GWALK_PF_U      (1u << 2)
#define GWALK_PF_RSVD   (1u << 3)
#define GWALK_PF_ID     (1u << 4)       /* a fetch, reported with SMEP or (PAE and EFER.NXE) */
#define GWALK_PF_PK     (1u << 5)

/* env->features: from the VM's CPUID policy. */
#define GWALK_F_PSE36   (1u << 0)       /* 4 MiB pages reach min(MAXPHYADDR, 40) bits */
#define GWALK_F_1G      (1u << 1)       /* 1 GiB pages; without it PDPTE.PS is reserved */
#define GWALK_F_AMD     (1u << 2)       /* AMD vendor: PML4E bit 8 is reserved too */

struct gwalk_env {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t rflags;                /* AC, for SMAP */
	uint32_t pkru;                  /* for CR4.PKE */
	unsigned cpl;                   /* 0..3 */
	unsigned maxphyaddr;            /* the VM's policy MAXPHYADDR: 32..52 */
	unsigned features;              /* GWALK_F_* */
	/*
	 * Read size (1, 4 or 8) bytes at gpa, little-endian, into *val as one
	 * naturally aligned load: other vCPUs may be writing the entry.
	 * Returns 0, or -1 if the range is not guest RAM.
	 */
	int (*read_gpa)(void *arg, uint64_t gpa, uint64_t *val, unsigned size);
	/* Optional, for gwalk_read: copy len bytes from gpa.  0, or -1 if not RAM. */
	int (*read_bulk)(void *arg, uint64_t gpa, void *buf, size_t len);
	/*
	 * Optional, for accessed/dirty bits: atomically store val in the size
	 * (4 or 8) byte entry at gpa if it still holds old.  Returns 0 if it
	 * did, 1 if the entry held something else, -1 if gpa is not RAM.
	 */
	int (*cmpxchg_gpa)(void *arg, uint64_t gpa, uint64_t old, uint64_t val, unsigned size);
	void *arg;
};

/* Fields a result does not mention are 0. */
struct gwalk_result {
	uint64_t gpa;                   /* success: the translation; ETABLE, EDATA: the failing address */
	uint64_t page_size;             /* success: 4 KiB, 2 MiB, 4 MiB or 1 GiB (4 KiB with paging off) */
	unsigned perm;                  /* success: GWALK_PERM_* (all of them with paging off) */
	uint32_t error_code;            /* EPF */
	uint64_t fault_gva;             /* EPF, EGP: the address to report (CR2 for a #PF) */
	size_t done;                    /* gwalk_read: bytes copied before it stopped */
};

/*
 * Translate gva for an access (GWALK_* flags).  The access is a user-mode
 * one when GWALK_USER is given or CPL is 3, unless GWALK_IMPLICIT is given.
 * Returns 0 with res->gpa, page_size and perm, or a negated GWALK_E* code
 * with res filled as its comment says.  -GWALK_EINVAL: CPL above 3,
 * MAXPHYADDR outside 32..52, EFER.LMA without CR0.PG and CR4.PAE, CR4.LA57
 * or CR4.PKS in long mode, a long-mode CR3 with bits above MAXPHYADDR, or
 * GWALK_WRITE with GWALK_FETCH.
 */
int gwalk(const struct gwalk_env *env, uint64_t gva, unsigned access, struct gwalk_result *res);

/*
 * Copy len bytes at guest-linear gva into buf, page by page, through
 * read_bulk when the env has one, else read_gpa one byte at a time.
 * Returns 0 or gwalk's codes and -GWALK_EDATA.  On a failure res tells
 * about the page that failed (a #PF on the second page of an instruction
 * reports that page's first byte as CR2), and res->done bytes of buf are
 * already filled.  A decoder that may not need the next page should read
 * up to the page end first, as hardware only faults on bytes it fetches.
 */
int gwalk_read(const struct gwalk_env *env, uint64_t gva, void *buf, size_t len,
	       unsigned access, struct gwalk_result *res);

#endif
