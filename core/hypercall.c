/*
 * Hypercall dispatch (ABI v1).  Each call validates all its arguments first
 * and only then acts, so a failing call changes nothing but RAX.
 */
#include <stddef.h>
#include "hypercall.h"
#include "plinth_abi.h"
#include "ring.h"
#include "sched.h"
#include "vcpu.h"
#include "vm.h"


typedef enum hc_result (*hc_fn)(struct vcpu *v, int64_t *ret);

/* Argument n (0..4) of the call being handled: RDI, RSI, RDX, R10, R8. */
#define ARG(v, n) vcpu_arch_hc_arg(&(v)->arch, n)

int64_t hc_check_range(uint64_t ram_size, uint64_t gpa, uint64_t len, uint64_t max,
		       uint64_t align)
{
	if (gpa + len < gpa || len > max)
		return -PL_EINVAL;
	if (align > 1 && ((gpa | len) & (align - 1)))
		return -PL_EINVAL;
	if (gpa > ram_size || len > ram_size - gpa)
		return -PL_EFAULT;
	return 0;
}


/*
 * The calls whose result depends on nothing but the vCPU: true and the
 * result, or false for any other call.  One source for both hc_const() and
 * the VMRUN stub's table (hypercall_fill_answers), so the two never differ.
 */
static bool hc_constant(struct vcpu *v, uint64_t nr, int64_t *val)
{
	switch (nr) {
	case PL_HC_VERSION:
		*val = PL_ABI_VERSION;
		return true;
	case PL_HC_FEATURES:
		*val = PL_FEAT_CONSOLE | PL_FEAT_TIME | PL_FEAT_MEM_FILL | PL_FEAT_POWER;
		return true;
	case PL_HC_TIME:
		*val = (int64_t)vcpu_tsc_hz(v);         /* fixed once the TSC is calibrated */
		return true;
	default:
		return false;
	}
}

/* VERSION, FEATURES and TIME when the stub left them to C (request pending, CPL 3...). */
static enum hc_result hc_const(struct vcpu *v, int64_t *ret)
{
	if (!hc_constant(v, vcpu_arch_rax(&v->arch), ret))
		*ret = -PL_ENOSYS;
	return HC_DONE;
}

void hypercall_fill_answers(struct vcpu *v)
{
	struct hc_answers *a = &v->hc_answers;
	int64_t val;

	a->mask = 0;
	for (uint64_t nr = 0; nr < PL_HC_COUNT; nr++) {
		a->value[nr] = 0;
		if (hc_constant(v, nr, &val)) {
			a->value[nr] = (uint64_t)val;
			a->mask |= 1ull << nr;
		}
	}
}

static enum hc_result hc_console_write(struct vcpu *v, int64_t *ret)
{
	uint64_t gpa = ARG(v, 0), len = ARG(v, 1);

	*ret = hc_check_range(v->vm->ram_size, gpa, len, PL_CONSOLE_MAX, 1);
	if (*ret)
		return HC_DONE;
	for (uint64_t done = 0, n; done < len; done += n) {
		n = vm_chunk_span(gpa + done, len - done);
		vm_console_out(v->vm, vm_gpa_ptr(v->vm, gpa + done, n), n);
	}
	*ret = (int64_t)len;
	return HC_DONE;
}

static enum hc_result hc_console_read(struct vcpu *v, int64_t *ret)
{
	uint64_t gpa = ARG(v, 0), len = ARG(v, 1), done = 0, n, got;

	*ret = hc_check_range(v->vm->ram_size, gpa, len, PL_CONSOLE_MAX, 1);
	if (*ret)
		return HC_DONE;
	while (done < len) {
		n = vm_chunk_span(gpa + done, len - done);
		got = ring_get(&v->vm->in, vm_gpa_ptr(v->vm, gpa + done, n), n);
		done += got;
		if (got < n)
			break;
	}
	*ret = (int64_t)done;
	return HC_DONE;
}

static enum hc_result hc_yield(struct vcpu *v, int64_t *ret)
{
	sched_yield_vcpu(v);
	*ret = 0;
	return HC_DONE;
}

static enum hc_result hc_shutdown(struct vcpu *v, int64_t *ret)
{
	(void)ret;
	vm_exit_from_guest(v->vm, VM_STOPPED, (int)(ARG(v, 0) & 0xff), "shutdown hypercall");
	return HC_NORETURN;
}

static enum hc_result hc_reboot(struct vcpu *v, int64_t *ret)
{
	(void)ret;
	vm_reboot_from_guest(v->vm);
	return HC_NORETURN;
}

static void fill_qwords(uint64_t *p, uint64_t n, uint64_t pattern)
{
	for (uint64_t i = 0; i < n; i++)
		p[i] = pattern;
}

/*
 * Invariant 2: the fill leaves between steps when the vCPU has a request
 * or its pCPU is wanted, with the progress saved against (RIP, number,
 * arguments).  The re-executed VMMCALL continues only if all of those
 * match; RAX is written once, when the whole range is done.
 */
static enum hc_result hc_mem_fill(struct vcpu *v, int64_t *ret)
{
	struct hc_progress *p = &v->arch.hc;
	uint64_t gpa = ARG(v, 0), len = ARG(v, 1), pattern = ARG(v, 2);
	uint64_t rip = vcpu_arch_rip(&v->arch), done = 0;

	*ret = hc_check_range(v->vm->ram_size, gpa, len, UINT64_MAX, 8);
	if (*ret)
		return HC_DONE;
	if (p->valid && p->rip == rip && p->nr == PL_HC_MEM_FILL &&
	    p->args[0] == gpa && p->args[1] == len && p->args[2] == pattern)
		done = p->done;
	p->valid = false;
	while (done < len) {
		uint64_t step = len - done < HC_FILL_STEP ? len - done : HC_FILL_STEP;
		uint64_t n = vm_chunk_span(gpa + done, step);

		fill_qwords(vm_gpa_ptr(v->vm, gpa + done, n), n / 8, pattern);
		done += n;
		if (done < len && vcpu_should_leave(v)) {
			*p = (struct hc_progress){ .valid = true, .rip = rip, .nr = PL_HC_MEM_FILL,
						   .args = { gpa, len, pattern }, .done = done };
			v->hc_restarts++;
			return HC_RESTART;
		}
	}
	*ret = 0;
	return HC_DONE;
}

static const hc_fn hc_table[PL_HC_COUNT] = {
	[PL_HC_VERSION]       = hc_const,
	[PL_HC_FEATURES]      = hc_const,
	[PL_HC_CONSOLE_WRITE] = hc_console_write,
	[PL_HC_CONSOLE_READ]  = hc_console_read,
	[PL_HC_TIME]          = hc_const,
	[PL_HC_YIELD]         = hc_yield,
	[PL_HC_SHUTDOWN]      = hc_shutdown,
	[PL_HC_REBOOT]        = hc_reboot,
	[PL_HC_MEM_FILL]      = hc_mem_fill,
};

enum hc_result hypercall_dispatch(struct vcpu *v)
{
	uint64_t nr = vcpu_arch_rax(&v->arch);
	int64_t ret = -PL_ENOSYS;
	enum hc_result r = HC_DONE;

	v->hypercalls++;
	if (vcpu_arch_cpl(&v->arch) != 0)
		ret = -PL_EPERM;        /* only the guest kernel may call plinth */
	else if (nr < PL_HC_COUNT && hc_table[nr])
		r = hc_table[nr](v, &ret);
	if (r == HC_DONE)
		vcpu_arch_set_rax(&v->arch, (uint64_t)ret);
	return r;
}
