/*
 * Virtual machines: the one management API behind the console (and, later,
 * the management hypercalls).  A VM owns its guest RAM, its vCPUs, its
 * console rings and its arch state (nested page tables, permission maps).
 *
 * States:  created --start--> running <--pause/resume--> paused
 *          running|paused --stop/kill/shutdown/test-exit--> stopped
 *          running --triple fault, bad exit, NPF outside RAM--> crashed
 *          stopped|crashed --start--> running (the image is loaded afresh)
 *          any but running/paused --destroy--> gone (every frame returned)
 *
 * Management calls run on the console CPU and are serialised by vm_lock; a
 * call that changes vCPUs waits until each one has acted on its request.
 */
#ifndef PLINTH_VM_H
#define PLINTH_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "ring.h"
#include "spinlock.h"
#include "vcpu.h"
#include <arch/vm_arch.h>

#define VM_NAME_MAX      CFG_NAME_MAX
#define VM_MAX           64
#define VM_VCPUS_MAX     8
#define VM_MODULES_MAX   8
#define VM_MEM_DEFAULT   (16ull << 20)
#define VM_MEM_MIN       (2ull << 20)
#define VM_MEM_MAX       (64ull << 30)
#define VM_ERR_MAX       128

/* Guest RAM is host-contiguous 2 MiB chunks: a host pointer serves at most one chunk. */
#define VM_CHUNK_SHIFT   21
#define VM_CHUNK_SIZE    (1ull << VM_CHUNK_SHIFT)

/* Bytes of [gpa, gpa+len) that lie in gpa's chunk. */
static inline uint64_t vm_chunk_span(uint64_t gpa, uint64_t len)
{
	uint64_t left = VM_CHUNK_SIZE - (gpa & (VM_CHUNK_SIZE - 1));

	return len < left ? len : left;
}

enum vm_state { VM_CREATED, VM_RUNNING, VM_PAUSED, VM_STOPPED, VM_CRASHED };

/* What happens when a guest crashes (triple fault, bad exit, NPF outside RAM). */
enum vm_on_crash { VM_ON_CRASH_STOP, VM_ON_CRASH_RESTART };

/* What a VM is made from: a [vm NAME] section or `vm create NAME key=value...`. */
struct vm_params {
	char name[VM_NAME_MAX];
	char image[CFG_VALUE_MAX];          /* a file the loader brought in */
	char kernel[CFG_VALUE_MAX];         /* a Linux bzImage, instead of image */
	char initrd[CFG_VALUE_MAX];         /* its initramfs; needs kernel */
	char cmdline[CFG_VALUE_MAX];
	char modules[VM_MODULES_MAX][CFG_VALUE_MAX];   /* "FILE [args]" */
	unsigned nmodules;
	uint64_t mem;                       /* bytes, a multiple of 2 MiB */
	uint32_t vcpus;
	uint64_t cpus;                      /* pCPU mask; 0 = spread over the guest pCPUs */
	bool autostart;
	uint8_t on_crash;                   /* enum vm_on_crash */
};

/*
 * Defaults, then one key at a time (image, kernel, initrd, cmdline, module,
 * mem, vcpus, cpus, autostart, on_crash).  vm_params_set returns 0, or -1
 * with err set; it never changes p on error.  vm_params_check validates the
 * whole set (one of image and kernel, initrd and modules only where they
 * belong, name valid, cpus inside the machine's `ncpus`).
 */
void vm_params_init(struct vm_params *p, const char *name);
int vm_params_set(struct vm_params *p, const char *key, const char *value,
		  char *err, size_t errlen);
int vm_params_check(const struct vm_params *p, uint32_t ncpus, char *err, size_t errlen);
/* Parse a pCPU list such as "1,3-5" into a mask; -1 if malformed or >= ncpus. */
int vm_parse_cpus(const char *s, uint32_t ncpus, uint64_t *mask);

struct vm {
	char name[VM_NAME_MAX];
	struct vm_params params;
	volatile enum vm_state state;
	int exit_status;                    /* -1 none, else the status (see test-exit) */
	char reason[VM_ERR_MAX];            /* why it stopped or crashed */

	uint64_t ram_size;
	uint64_t *ram_chunks;               /* host physical address of each 2 MiB chunk */
	uint32_t nchunks;

	uint32_t nvcpus;
	struct vcpu *vcpus[VM_VCPUS_MAX];

	struct ring out;                    /* guest console output, kept while detached */
	struct ring in;                     /* operator input for the guest */
	volatile bool attached;
	bool console_uart;                  /* input goes to an emulated UART (arch), not hypercalls */
	volatile bool restart_pending;      /* the guest asked for a reset */
	uint64_t restarts;
	spinlock_t lock;                    /* state/exit_status/reason against vCPU contexts */
	uint64_t out_dropped_seen;          /* out.dropped when `attach` last reported it */

	uint64_t rate_tsc, rate_exits;      /* last `vm list` sample for exits/s */
	uint64_t start_tsc;
	struct vm_arch arch;
};

/* Guest RAM access: the host pointer of gpa if [gpa, gpa+len) is RAM inside one chunk, else NULL. */
void *vm_gpa_ptr(struct vm *vm, uint64_t gpa, uint64_t len);
/* Copy to/from guest RAM across chunks; -1 if any byte is outside RAM. */
int vm_copy_to(struct vm *vm, uint64_t gpa, const void *src, uint64_t len);
int vm_copy_from(struct vm *vm, void *dst, uint64_t gpa, uint64_t len);
/* Does [gpa, gpa+len) lie inside RAM?  (Overflow-safe.) */
bool vm_range_ok(const struct vm *vm, uint64_t gpa, uint64_t len);

/* Management: each returns 0, or -1 with err set and nothing changed. */
struct vm *vm_create(const struct vm_params *p, char *err, size_t errlen);
int vm_start(struct vm *vm, char *err, size_t errlen);
int vm_pause(struct vm *vm, char *err, size_t errlen);
int vm_resume(struct vm *vm, char *err, size_t errlen);
int vm_stop(struct vm *vm, char *err, size_t errlen);
int vm_kill(struct vm *vm, char *err, size_t errlen);
int vm_destroy(struct vm *vm, char *err, size_t errlen);

struct vm *vm_find(const char *name);
/* Iterate over all VMs: vm_next(NULL) is the first, NULL after the last. */
struct vm *vm_next(struct vm *prev);
const char *vm_state_name(enum vm_state s);

/* Create (and start, with autostart) every [vm NAME] section of the config. */
void vm_autostart(const struct config *c);

/* Counters for `vm list` / `vm info`. */
struct vm_stats {
	uint64_t exits;                     /* all vCPUs, all reasons */
	uint64_t exit_count[VCPU_EXIT_STATS];
	uint64_t hypercalls;
	uint64_t hc_restarts;               /* long hypercalls left and re-entered */
	uint64_t out_dropped;               /* console bytes lost while detached */
	uint64_t overhead;                  /* bytes of plinth memory besides guest RAM */
	uint64_t npt_pages;                 /* of which nested page-table frames */
	uint64_t restarts;                  /* resets from inside the guest */
};
void vm_get_stats(struct vm *vm, struct vm_stats *s);

/* Guest console: from a vCPU (hypercall or the VM's UART) and from the operator. */
void vm_console_out(struct vm *vm, const void *buf, size_t len);
void vm_console_in(struct vm *vm, const void *buf, size_t len);

/* The VM reached an end from inside: vCPU context, the VM's vCPUs all stop. */
void vm_exit_from_guest(struct vm *vm, enum vm_state state, int exit_status, const char *reason);
/* The guest asked for a reset: its vCPUs stop and the console CPU restarts it from the image. */
void vm_reboot_from_guest(struct vm *vm);
/* A vCPU reached VCPU_STOPPED and left its pCPU (called by that pCPU). */
void vm_vcpu_stopped(struct vcpu *v);
/* Console CPU: finish what vCPUs asked for (restarts); called whenever it wakes. */
void vm_poll(void);
/* Has a vCPU asked the console CPU for vm_poll() since it last ran?  */
bool vm_poll_pending(void);

#endif
