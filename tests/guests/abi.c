/*
 * abi: the conformance guest.  vCPU 0 checks every part of the guest ABI
 * (guest-abi/plinth_abi.h) with valid and invalid arguments and prints one
 * TAP-like line per check, then "abi: PASS n/n" and test exit 0, or
 * "abi: FAIL f of n" and test exit 1.  The other vCPUs report their start
 * state and wait.
 */
#include "pl.h"

#define ALL_FEATURES (PL_FEAT_CONSOLE | PL_FEAT_TIME | PL_FEAT_MEM_FILL | PL_FEAT_POWER)

#define MSR_TSC          0x10u
#define MSR_EFER         0xc0000080u
#define MSR_VM_HSAVE_PA  0xc0010117u
#define MSR_BOGUS        0x12345678u
#define EFER_LME         (1ull << 8)
#define EFER_LMA         (1ull << 10)
#define EFER_SVME        (1ull << 12)
#define CR0_PE           (1ull << 0)
#define CR0_PG           (1ull << 31)
#define CR4_PAE          (1ull << 5)
#define RFLAGS_IF        (1ull << 9)
#define VEC_GP           13

#define FILL_QWORDS 8192                /* 64 KiB */
#define CANARY      0x5a5a5a5a5a5a5a5aull
#define PATTERN     0x0123456789abcdefull
#define OLD         0x1111111111111111ull
#define ABOVE_2_52  (1ull << 52)
#define OVERFLOW_GPA 0xfffffffffffffff0ull

static const struct pl_start_info *si;
static unsigned nchecks, nfailed;

static struct {
	uint64_t pre;
	uint64_t buf[FILL_QWORDS];
	uint64_t post;
} fill;

static unsigned char rbuf[64];

/* Set by the other vCPUs; read by vCPU 0. */
static unsigned nstarted;
static uint64_t seen_ids;
static int dup_id;
static int done;

/* ---------------------------------------------------------------- reporting */

/* Small values (error codes, counts) read best in decimal, the rest in hex. */
static const char *fmt_val(char *b, size_t n, uint64_t v)
{
	if ((int64_t)v > -65536 && (int64_t)v < 65536)
		pl_snprintf(b, n, "%lld", (long long)v);
	else
		pl_snprintf(b, n, "0x%llx", (unsigned long long)v);
	return b;
}

static void check(int ok, const char *what, uint64_t got, const char *rel, uint64_t want)
{
	char g[24], w[24];

	nchecks++;
	if (ok) {
		pl_printf("ok %u - %s\n", nchecks, what);
		return;
	}
	nfailed++;
	pl_printf("not ok %u - %s (got %s, want %s%s)\n", nchecks, what,
		  fmt_val(g, sizeof(g), got), rel, fmt_val(w, sizeof(w), want));
}

#define EXPECT_EQ(what, got, want) do { \
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
	check(g_ == w_, what, g_, "", w_); \
} while (0)

#define EXPECT_GE(what, got, want) do { \
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
	check(g_ >= w_, what, g_, ">= ", w_); \
} while (0)

/* A boolean check; got is a number that explains a failure. */
#define EXPECT_TRUE(what, cond, got) check(!!(cond), what, (uint64_t)(got), "", 1)

/* ---------------------------------------------------------------- start state */

static void check_start_state(void)
{
	const struct pl_cpu *c0 = pl_cpu_of(0);
	uint64_t si_gpa = (uint64_t)(uintptr_t)si;
	uint64_t img_lo = (uint64_t)(uintptr_t)__image_start;
	uint64_t img_hi = (uint64_t)(uintptr_t)__image_end;
	const char *cl = pl_cmdline(si);

	EXPECT_EQ("start info magic", si->magic, PL_START_MAGIC);
	EXPECT_EQ("start info abi_version", si->abi_version, PL_ABI_VERSION);
	EXPECT_TRUE("start info inside RAM, outside the image",
		    si_gpa + sizeof(*si) <= si->ram_size &&
		    (si_gpa + sizeof(*si) <= img_lo || si_gpa >= img_hi), si_gpa);
	EXPECT_GE("ram_size covers the image and the stacks", si->ram_size,
		  img_hi + (uint64_t)si->nvcpus * PL_STACK_PER_VCPU);
	if (si->cmdline_gpa)
		EXPECT_TRUE("cmdline inside RAM, NUL-terminated at cmdline_len",
			    si->cmdline_gpa + si->cmdline_len < si->ram_size &&
			    strlen(cl) == si->cmdline_len, strlen(cl));
	else
		EXPECT_EQ("no cmdline: cmdline_len 0", si->cmdline_len, 0);
	EXPECT_GE("nvcpus >= 1", si->nvcpus, 1);
	EXPECT_EQ("vCPU 0 RSP = ram_size", c0->entry_rsp, si->ram_size);
	EXPECT_EQ("vCPU 0 starts with IF = 0", c0->entry_rflags & RFLAGS_IF, 0);
	EXPECT_EQ("vCPU 0 starts with IDTR limit 0", c0->entry_idt_limit, 0);
	EXPECT_EQ("CR0.PE and CR0.PG set", pl_read_cr0() & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
	EXPECT_EQ("CR4.PAE set", pl_read_cr4() & CR4_PAE, CR4_PAE);
}

static void check_vcpus(void)
{
	uint64_t hz = (uint64_t)pl_time_hz(), deadline;
	unsigned k, bad = 0;

	deadline = rdtsc() + 2 * (hz > 1000000 ? hz : 1000000000);
	while (__atomic_load_n(&nstarted, __ATOMIC_ACQUIRE) + 1 < si->nvcpus &&
	       rdtsc() < deadline)
		pl_yield();
	EXPECT_EQ("every vCPU entered main", __atomic_load_n(&nstarted, __ATOMIC_ACQUIRE) + 1,
		  si->nvcpus);
	EXPECT_EQ("vCPU ids are distinct", __atomic_load_n(&dup_id, __ATOMIC_RELAXED), 0);
	for (k = 1; k < si->nvcpus && k < PL_RT_MAX_VCPUS; k++) {
		const struct pl_cpu *c = pl_cpu_of(k);

		if (!(__atomic_load_n(&seen_ids, __ATOMIC_RELAXED) & (1ull << k)))
			continue;
		if (c->entry_rsp != si->ram_size - (uint64_t)k * PL_STACK_PER_VCPU ||
		    (c->entry_rflags & RFLAGS_IF) || c->entry_idt_limit) {
			if (!bad)
				pl_printf("# vcpu %u: rsp 0x%llx rflags 0x%llx idt limit %u\n", k,
					  (unsigned long long)c->entry_rsp,
					  (unsigned long long)c->entry_rflags, c->entry_idt_limit);
			bad++;
		}
	}
	EXPECT_EQ("other vCPUs: RSP = ram_size - id * 64 KiB, IF = 0, IDTR limit 0", bad, 0);
}

/* ---------------------------------------------------------------- CPUID */

static void check_cpuid(void)
{
	uint32_t r[4];

	pl_cpuid(PL_CPUID_BASE, 0, r);
	EXPECT_GE("CPUID 0x40000000 EAX (max leaf)", r[0], PL_CPUID_FEATURES);
	EXPECT_EQ("CPUID 0x40000000 EBX signature", r[1], PL_CPUID_SIG_EBX);
	EXPECT_EQ("CPUID 0x40000000 ECX signature", r[2], PL_CPUID_SIG_ECX);
	EXPECT_EQ("CPUID 0x40000000 EDX signature", r[3], PL_CPUID_SIG_EDX);
	pl_cpuid(PL_CPUID_FEATURES, 0, r);
	EXPECT_EQ("CPUID 0x40000001 EAX = ABI version", r[0], PL_ABI_VERSION);
	EXPECT_EQ("CPUID 0x40000001 EBX = features", r[1], ALL_FEATURES);
	EXPECT_EQ("CPUID 0x40000001 ECX = highest call", r[2], PL_HC_COUNT - 1);
	EXPECT_EQ("CPUID 0x40000001 EDX = 0", r[3], 0);
	pl_cpuid(1, 0, r);
	EXPECT_EQ("CPUID 1 ECX.hypervisor (bit 31) set", (r[2] >> 31) & 1, 1);
	EXPECT_EQ("CPUID 1 ECX.VMX (bit 5) clear", (r[2] >> 5) & 1, 0);
	pl_cpuid(0x80000001u, 0, r);
	EXPECT_EQ("CPUID 0x80000001 ECX.SVM (bit 2) clear", (r[2] >> 2) & 1, 0);
}

/* ---------------------------------------------------------------- simple calls */

static void check_console(void)
{
	static const char line[] = "# console write\n";
	uint64_t ram = si->ram_size, buf = (uint64_t)(uintptr_t)fill.buf;
	uint64_t rb = (uint64_t)(uintptr_t)rbuf;
	long r;
	unsigned i, bad = 0;

	EXPECT_EQ("VERSION = PL_ABI_VERSION", pl_version(), PL_ABI_VERSION);
	EXPECT_EQ("VERSION ignores unused arguments",
		  pl_hc5(PL_HC_VERSION, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull), PL_ABI_VERSION);
	EXPECT_EQ("FEATURES = the v1 features", pl_features(), ALL_FEATURES);

	EXPECT_EQ("CONSOLE_WRITE returns its length", pl_console_write(line, sizeof(line) - 1),
		  sizeof(line) - 1);
	EXPECT_EQ("CONSOLE_WRITE len 0", pl_console_write(line, 0), 0);
	EXPECT_EQ("CONSOLE_WRITE len PL_CONSOLE_MAX+1", pl_hc2(PL_HC_CONSOLE_WRITE, buf,
		  PL_CONSOLE_MAX + 1), -PL_EINVAL);
	EXPECT_EQ("CONSOLE_WRITE gpa = ram_size", pl_hc2(PL_HC_CONSOLE_WRITE, ram, 1), -PL_EFAULT);
	EXPECT_EQ("CONSOLE_WRITE across the end of RAM", pl_hc2(PL_HC_CONSOLE_WRITE, ram - 1, 2),
		  -PL_EFAULT);
	EXPECT_EQ("CONSOLE_WRITE range overflows", pl_hc2(PL_HC_CONSOLE_WRITE, OVERFLOW_GPA, 0x20),
		  -PL_EINVAL);
	EXPECT_EQ("CONSOLE_WRITE gpa 2^52", pl_hc2(PL_HC_CONSOLE_WRITE, ABOVE_2_52, 1), -PL_EFAULT);

	memset(rbuf, 0xa5, sizeof(rbuf));
	r = pl_console_read(rbuf, 16);
	EXPECT_TRUE("CONSOLE_READ returns 0..len", r >= 0 && r <= 16, r);
	for (i = r >= 0 && r <= 16 ? (unsigned)r : 0; i < sizeof(rbuf); i++)
		bad += rbuf[i] != 0xa5;
	EXPECT_EQ("CONSOLE_READ writes nothing past its count", bad, 0);
	EXPECT_EQ("CONSOLE_READ len 0", pl_console_read(rbuf, 0), 0);
	EXPECT_EQ("CONSOLE_READ len PL_CONSOLE_MAX+1", pl_hc2(PL_HC_CONSOLE_READ, buf,
		  PL_CONSOLE_MAX + 1), -PL_EINVAL);
	EXPECT_EQ("CONSOLE_READ gpa = ram_size", pl_hc2(PL_HC_CONSOLE_READ, ram, 1), -PL_EFAULT);
	EXPECT_EQ("CONSOLE_READ across the end of RAM", pl_hc2(PL_HC_CONSOLE_READ, ram - 1, 2),
		  -PL_EFAULT);
	EXPECT_EQ("CONSOLE_READ range overflows", pl_hc2(PL_HC_CONSOLE_READ, OVERFLOW_GPA, 0x20),
		  -PL_EINVAL);
	EXPECT_EQ("CONSOLE_READ gpa 2^52", pl_hc2(PL_HC_CONSOLE_READ, ABOVE_2_52, 1), -PL_EFAULT);
	EXPECT_EQ("CONSOLE_READ len 0 at an odd gpa", pl_hc2(PL_HC_CONSOLE_READ, rb + 1, 0), 0);

	EXPECT_GE("TIME > 1 MHz", pl_time_hz(), 1000001);
	EXPECT_EQ("YIELD returns 0", pl_yield(), 0);
}

/* ---------------------------------------------------------------- MEM_FILL */

static void fill_reset(void)
{
	unsigned i;

	fill.pre = fill.post = CANARY;
	for (i = 0; i < FILL_QWORDS; i++)
		fill.buf[i] = OLD;
}

/* The index of the first qword of fill.buf that is not what it should be, or -1. */
static long fill_first_bad(unsigned lo, unsigned hi, uint64_t pattern)
{
	unsigned i;

	if (fill.pre != CANARY)
		return -2;
	if (fill.post != CANARY)
		return FILL_QWORDS;
	for (i = 0; i < FILL_QWORDS; i++)
		if (fill.buf[i] != (i >= lo && i < hi ? pattern : OLD))
			return i;
	return -1;
}

static void check_mem_fill(void)
{
	uint64_t ram = si->ram_size, buf = (uint64_t)(uintptr_t)fill.buf;
	const uint64_t len = sizeof(fill.buf);

	fill_reset();
	EXPECT_EQ("MEM_FILL 64 KiB returns 0", pl_mem_fill(buf, len, PATTERN), 0);
	EXPECT_EQ("MEM_FILL wrote every qword, nothing around", fill_first_bad(0, FILL_QWORDS,
		  PATTERN), -1);
	fill_reset();
	EXPECT_EQ("MEM_FILL 16 bytes at +8 returns 0", pl_mem_fill(buf + 8, 16, PATTERN), 0);
	EXPECT_EQ("MEM_FILL wrote exactly qwords 1 and 2", fill_first_bad(1, 3, PATTERN), -1);

	fill_reset();
	EXPECT_EQ("MEM_FILL misaligned gpa", pl_mem_fill(buf + 4, 64, PATTERN), -PL_EINVAL);
	EXPECT_EQ("MEM_FILL misaligned len", pl_mem_fill(buf, 12, PATTERN), -PL_EINVAL);
	EXPECT_EQ("MEM_FILL past the end of RAM", pl_mem_fill(buf, ram, PATTERN), -PL_EFAULT);
	EXPECT_EQ("MEM_FILL range overflows from a valid gpa",
		  pl_mem_fill(buf, (uint64_t)0 - 8, PATTERN), -PL_EINVAL);
	EXPECT_EQ("MEM_FILL len 0 returns 0", pl_mem_fill(buf, 0, PATTERN), 0);
	EXPECT_EQ("failed and empty fills wrote nothing", fill_first_bad(0, 0, PATTERN), -1);
	EXPECT_EQ("MEM_FILL range overflows", pl_mem_fill(OVERFLOW_GPA, 0x20, PATTERN), -PL_EINVAL);
	EXPECT_EQ("MEM_FILL gpa = ram_size", pl_mem_fill(ram, 8, PATTERN), -PL_EFAULT);
	EXPECT_EQ("MEM_FILL gpa 2^52", pl_mem_fill(ABOVE_2_52, 8, PATTERN), -PL_EFAULT);
}

/* ---------------------------------------------------------------- numbers, registers */

enum { R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_R8, R_R9, R_R10, R_R11, R_R12, R_R13,
       R_R14, R_R15, NREGS };
static const char *const reg_names[NREGS] = {
	"rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* Static, so the asm reaches them RIP-relative while every GPR is in use. */
static uint64_t regs_in[NREGS], regs_out[NREGS];

/* One VMMCALL with all of regs_in loaded and every GPR stored to regs_out. */
static uint64_t hc_all_regs(uint64_t nr)
{
	uint64_t rax = nr;

	__asm__ volatile(
		"mov 0+%[in], %%rbx\n\t"   "mov 8+%[in], %%rcx\n\t"   "mov 16+%[in], %%rdx\n\t"
		"mov 24+%[in], %%rsi\n\t"  "mov 32+%[in], %%rdi\n\t"  "mov 40+%[in], %%r8\n\t"
		"mov 48+%[in], %%r9\n\t"   "mov 56+%[in], %%r10\n\t"  "mov 64+%[in], %%r11\n\t"
		"mov 72+%[in], %%r12\n\t"  "mov 80+%[in], %%r13\n\t"  "mov 88+%[in], %%r14\n\t"
		"mov 96+%[in], %%r15\n\t"
		"vmmcall\n\t"
		"mov %%rbx, 0+%[out]\n\t"  "mov %%rcx, 8+%[out]\n\t"  "mov %%rdx, 16+%[out]\n\t"
		"mov %%rsi, 24+%[out]\n\t" "mov %%rdi, 32+%[out]\n\t" "mov %%r8, 40+%[out]\n\t"
		"mov %%r9, 48+%[out]\n\t"  "mov %%r10, 56+%[out]\n\t" "mov %%r11, 64+%[out]\n\t"
		"mov %%r12, 72+%[out]\n\t" "mov %%r13, 80+%[out]\n\t" "mov %%r14, 88+%[out]\n\t"
		"mov %%r15, 96+%[out]"
		: "+a"(rax), [out] "=m"(regs_out)
		: [in] "m"(regs_in)
		: "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
		  "r14", "r15", "memory");
	return rax;
}

static void check_regs(const char *name, uint64_t nr, long want)
{
	char what[96];
	long got;
	int i, bad = -1;

	got = (long)hc_all_regs(nr);
	for (i = NREGS - 1; i >= 0; i--)
		if (regs_out[i] != regs_in[i])
			bad = i;
	pl_snprintf(what, sizeof(what), "%s: RAX", name);
	EXPECT_EQ(what, got, want);
	pl_snprintf(what, sizeof(what), "%s: other registers preserved%s%s", name,
		    bad >= 0 ? ", first bad " : "", bad >= 0 ? reg_names[bad] : "");
	EXPECT_EQ(what, bad >= 0 ? regs_out[bad] : 0, bad >= 0 ? regs_in[bad] : 0);
}

static void check_numbers_and_regs(void)
{
	static const struct { const char *what; uint64_t nr; } unknown[] = {
		{ "PL_HC_COUNT", PL_HC_COUNT },
		{ "0x7fffffff", 0x7fffffffull },
		{ "0xffffffffffffffff", ~0ull },
		{ "1 << 63", 1ull << 63 },
		{ "(1 << 32) | VERSION", (1ull << 32) | PL_HC_VERSION },
	};
	char what[64];
	unsigned i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		pl_snprintf(what, sizeof(what), "call %s is -PL_ENOSYS", unknown[i].what);
		EXPECT_EQ(what, pl_hc5(unknown[i].nr, 1, 2, 3, 4, 5), -PL_ENOSYS);
	}

	for (i = 0; i < NREGS; i++)
		regs_in[i] = 0x5e00000000000000ull | ((uint64_t)(i + 1) * 0x0101010101ull);
	check_regs("VERSION", PL_HC_VERSION, PL_ABI_VERSION);
	check_regs("YIELD", PL_HC_YIELD, 0);
	check_regs("unknown call", 0x7fffffff, -PL_ENOSYS);
	fill_reset();
	regs_in[R_RDI] = (uint64_t)(uintptr_t)fill.buf;
	regs_in[R_RSI] = sizeof(fill.buf);
	regs_in[R_RDX] = PATTERN;
	check_regs("MEM_FILL 64 KiB", PL_HC_MEM_FILL, 0);
	EXPECT_EQ("MEM_FILL through all registers filled the buffer",
		  fill_first_bad(0, FILL_QWORDS, PATTERN), -1);
}

/* ---------------------------------------------------------------- MSRs, I/O */

static void check_msrs(void)
{
	uint64_t efer = 0, efer2 = 0, v = 0, t0, t1;
	const struct pl_cpu *c = pl_cpu_self();

	EXPECT_EQ("rdmsr EFER succeeds", rdmsr_safe(MSR_EFER, &efer), 0);
	EXPECT_EQ("EFER.SVME clear", efer & EFER_SVME, 0);
	EXPECT_EQ("EFER.LME and EFER.LMA set", efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	EXPECT_EQ("wrmsr EFER with SVME raises #GP", wrmsr_safe(MSR_EFER, efer | EFER_SVME), -1);
	EXPECT_EQ("#GP error code 0", c->last_vector == VEC_GP ? c->last_error : ~0ull, 0);
	rdmsr_safe(MSR_EFER, &efer2);
	EXPECT_EQ("EFER unchanged after the refused write", efer2, efer);
	EXPECT_EQ("rdmsr VM_HSAVE_PA raises #GP", rdmsr_safe(MSR_VM_HSAVE_PA, &v), -1);
	EXPECT_EQ("wrmsr VM_HSAVE_PA raises #GP", wrmsr_safe(MSR_VM_HSAVE_PA, 0x10000), -1);
	EXPECT_EQ("rdmsr 0x12345678 raises #GP", rdmsr_safe(MSR_BOGUS, &v), -1);
	t0 = rdtsc();
	EXPECT_EQ("rdmsr TSC succeeds", rdmsr_safe(MSR_TSC, &v), 0);
	t1 = rdtsc();
	EXPECT_TRUE("rdmsr TSC lies between two RDTSCs", v >= t0 && v <= t1, v);
}

static void check_io(void)
{
	static const uint16_t ports[] = { 0x510, 0x2000 };
	char what[64];
	unsigned i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		uint16_t p = ports[i];

		pl_snprintf(what, sizeof(what), "inb 0x%x (unclaimed)", p);
		EXPECT_EQ(what, inb(p), 0xff);
		pl_snprintf(what, sizeof(what), "inw 0x%x (unclaimed)", p);
		EXPECT_EQ(what, inw(p), 0xffff);
		pl_snprintf(what, sizeof(what), "inl 0x%x (unclaimed)", p);
		EXPECT_EQ(what, inl(p), 0xffffffff);
		outb(0x5a, p);
		outw(0x5a5a, p);
		outl(0x5a5a5a5a, p);
		pl_snprintf(what, sizeof(what), "inb 0x%x after writes to it", p);
		EXPECT_EQ(what, inb(p), 0xff);
	}
	EXPECT_EQ("UART LSR: transmitter ready", inb(0x3fd) & 0x60, 0x60);
}

int main(const struct pl_start_info *start, unsigned vcpu)
{
	if (vcpu != 0) {
		if (vcpu < 64 && (__atomic_fetch_or(&seen_ids, 1ull << vcpu, __ATOMIC_RELAXED) &
				  (1ull << vcpu)))
			__atomic_store_n(&dup_id, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&nstarted, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
			pl_pause();
		pl_halt_forever();
	}
	si = start;
	pl_printf("abi: plinth guest ABI conformance, %u vCPUs\n", si->nvcpus);
	check_start_state();
	check_vcpus();
	check_cpuid();
	check_console();
	check_mem_fill();
	check_numbers_and_regs();
	check_msrs();
	check_io();
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	if (nfailed) {
		pl_printf("abi: FAIL %u of %u\n", nfailed, nchecks);
		pl_test_exit(1);
	}
	pl_printf("abi: PASS %u/%u\n", nchecks, nchecks);
	pl_test_exit(0);
}
