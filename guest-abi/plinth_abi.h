/*
 * The plinth guest ABI, version 1: the one source of truth for hypercall
 * numbers, error codes, CPUID discovery and the start state of ELF guests.
 * plinth, the guest runtime, the test guests and docs/hypercall-abi.md all
 * follow this file.  It depends on nothing but <stdint.h>-sized C types.
 *
 * Calling convention (VMMCALL on AMD, VMCALL on Intel):
 *   RAX = call number; arguments in RDI, RSI, RDX, R10, R8.
 *   RAX on return: >= 0 on success (a value where the call defines one,
 *   else 0), or a negative PL_E* code.  No other register changes.
 *   A call that fails changes no guest state other than RAX.
 *   Calls are accepted at CPL 0 only; from any other CPL every call
 *   returns -PL_EPERM.
 */
#ifndef PLINTH_ABI_H
#define PLINTH_ABI_H

#define PL_ABI_VERSION_MAJOR 1
#define PL_ABI_VERSION_MINOR 0
#define PL_ABI_VERSION ((PL_ABI_VERSION_MAJOR << 16) | PL_ABI_VERSION_MINOR)

/*
 * Discovery.  CPUID 0x40000000: EAX = highest plinth leaf, EBX:ECX:EDX =
 * "plinthplinth".  CPUID 0x40000001: EAX = PL_ABI_VERSION, EBX = PL_FEAT_*
 * bits, ECX = highest call number, EDX = 0.  CPUID 1 ECX bit 31 (hypervisor
 * present) is set.
 */
#define PL_CPUID_BASE      0x40000000u
#define PL_CPUID_FEATURES  0x40000001u
#define PL_CPUID_MAX       PL_CPUID_FEATURES
#define PL_CPUID_SIG_EBX   0x6e696c70u   /* "plin" */
#define PL_CPUID_SIG_ECX   0x6c706874u   /* "thpl" */
#define PL_CPUID_SIG_EDX   0x68746e69u   /* "inth" */

#define PL_FEAT_CONSOLE    (1u << 0)     /* console write and read */
#define PL_FEAT_TIME       (1u << 1)     /* PL_HC_TIME */
#define PL_FEAT_MEM_FILL   (1u << 2)     /* PL_HC_MEM_FILL, preemptible */
#define PL_FEAT_POWER      (1u << 3)     /* shutdown and reboot */

/* Error codes: returned negated in RAX. */
#define PL_EPERM    1      /* not allowed for this VM */
#define PL_EAGAIN   11     /* nothing available now (never returned by v1 calls) */
#define PL_EFAULT   14     /* a guest-physical range is not inside guest RAM */
#define PL_EINVAL   22     /* a bad argument: length, alignment, flags, overflow */
#define PL_ENOSYS   38     /* no such call */

/*
 * Calls.  "gpa" is a guest-physical address; a range [gpa, gpa+len) must lie
 * wholly inside guest RAM, else -PL_EFAULT; a range whose end overflows 64
 * bits gets -PL_EINVAL.  Arguments a call does not use are ignored.
 */
enum pl_hypercall {
	/* () -> PL_ABI_VERSION */
	PL_HC_VERSION = 0,
	/* () -> PL_FEAT_* bits */
	PL_HC_FEATURES = 1,
	/* (gpa, len) -> len.  len <= PL_CONSOLE_MAX else -PL_EINVAL; 0 is allowed. */
	PL_HC_CONSOLE_WRITE = 2,
	/*
	 * (gpa, len) -> bytes read, 0..len, without blocking (0 = nothing
	 * typed).  len <= PL_CONSOLE_MAX else -PL_EINVAL.
	 */
	PL_HC_CONSOLE_READ = 3,
	/* () -> the guest TSC frequency in Hz (the TSC is not scaled; a WRMSR to it sets an offset). */
	PL_HC_TIME = 4,
	/* () -> 0, after letting other vCPUs of this pCPU run. */
	PL_HC_YIELD = 5,
	/* (status) -> does not return: the VM stops with exit status `status & 0xff`. */
	PL_HC_SHUTDOWN = 6,
	/* () -> does not return: the VM restarts from its image. */
	PL_HC_REBOOT = 7,
	/*
	 * (gpa, len, pattern) -> 0.  Fill [gpa, gpa+len) with the 64-bit
	 * pattern (little endian, repeated).  gpa and len must be multiples
	 * of 8, else -PL_EINVAL.  Long fills are preemptible: when plinth has
	 * work for the vCPU it leaves with RIP still on VMMCALL and the
	 * arguments untouched, keeps the progress, and the re-executed call
	 * continues where it stopped.  RAX gets its value only once the whole
	 * range is written.
	 */
	PL_HC_MEM_FILL = 8,
	PL_HC_COUNT
};

#define PL_CONSOLE_MAX 4096u

/*
 * Test-exit port (QEMU isa-debug-exit convention): an OUT of value V to
 * port 0xf4 stops the VM with exit status (V << 1) | 1.
 */
#define PL_TEST_EXIT_PORT 0xf4

/*
 * Start state of an ELF64 guest (docs/guests.md): 64-bit mode, paging on
 * with identity tables (2 MiB pages over the first 4 GiB) built by plinth,
 * RDI = the GPA of this block, RSI = the vCPU id, RSP = ram_size - id *
 * PL_STACK_PER_VCPU.  Every vCPU of an ELF64 VM starts at the entry point.  GPAs below PL_BOOT_AREA_END belong to plinth's boot data;
 * PT_LOAD segments may not use them.
 */
#define PL_START_MAGIC   0x49535450u     /* "PTSI" */
#define PL_BOOT_AREA_END 0x10000u

struct pl_start_info {
	unsigned int magic;             /* PL_START_MAGIC */
	unsigned int abi_version;       /* PL_ABI_VERSION */
	unsigned long long ram_size;    /* guest RAM is [0, ram_size) */
	unsigned long long cmdline_gpa; /* NUL-terminated, 0 if none */
	unsigned int cmdline_len;       /* without the NUL */
	unsigned int nvcpus;
};

#define PL_STACK_PER_VCPU 0x10000u

#endif
