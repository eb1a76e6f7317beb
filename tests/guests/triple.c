/*
 * triple: a Multiboot v1 ELF32 kernel, built with -m32.  It reports what the
 * loader handed it on the UART at 0x3f8 (magic, memory sizes, cmdline,
 * modules, memory map), then loads an empty IDT and executes INT3: no gate
 * for #BP, none for #GP, none for #DF, so the CPU triple-faults.
 *
 * Entry state (Multiboot spec 3.2): 32-bit protected mode, flat segments,
 * paging off, EAX = 0x2BADB002, EBX = the Multiboot information block.
 */
#include <stdint.h>

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x3             /* page-aligned modules, memory info */
#define MB_BOOT_MAGIC   0x2BADB002u
#define MB_INFO_MEM     (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS    (1u << 3)
#define MB_INFO_MMAP    (1u << 6)
#define UART_THR        0x3f8
#define STR_MAX         256             /* longest string printed from guest memory */
#define MMAP_MAX        1024
#define STACK_SIZE      8192

#define XSTR(x) #x
#define STR(x) XSTR(x)

/* Multiboot spec 3.3: the boot information block. */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

void triple_main(uint32_t magic, uint32_t info);
__attribute__((used, aligned(16))) unsigned char triple_stack[STACK_SIZE];

__asm__(
	".pushsection .multiboot, \"a\"\n"
	".balign 4\n"
	".long " STR(MB_HEADER_MAGIC) ", " STR(MB_HEADER_FLAGS) ", "
	"-(" STR(MB_HEADER_MAGIC) " + " STR(MB_HEADER_FLAGS) ")\n"
	".popsection\n"
	".pushsection .text.start, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	cld\n"
	"	mov $triple_stack + " STR(STACK_SIZE) ", %esp\n"
	"	sub $8, %esp\n"                 /* 16-byte aligned at the call */
	"	push %ebx\n"
	"	push %eax\n"
	"	call triple_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n");

static void uart_putc(char c)
{
	if (c == '\n')
		__asm__ volatile("outb %0, %1" : : "a"((uint8_t)'\r'), "Nd"((uint16_t)UART_THR));
	__asm__ volatile("outb %0, %1" : : "a"((uint8_t)c), "Nd"((uint16_t)UART_THR));
}

static void put_str(const char *s)
{
	unsigned i;

	for (i = 0; s[i] && i < STR_MAX; i++)
		uart_putc(s[i]);
}

static void put_dec(uint32_t v)
{
	char b[12];
	int n = 0;

	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		uart_putc(b[--n]);
}

static void put_hex(uint32_t v)
{
	int i;

	put_str("0x");
	for (i = 28; i >= 0; i -= 4)
		uart_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

static const char *gpa_str(uint32_t gpa)
{
	return gpa ? (const char *)(uintptr_t)gpa : "";
}

static unsigned mmap_entries(const struct mb_info *mb)
{
	uint32_t p = mb->mmap_addr, end = mb->mmap_addr + mb->mmap_length;
	unsigned n = 0;

	/* Each entry starts with its size, which does not count the size field. */
	while (p >= mb->mmap_addr && p + 4 <= end && n < MMAP_MAX) {
		p += *(const volatile uint32_t *)(uintptr_t)p + 4;
		n++;
	}
	return n;
}

static void report(const struct mb_info *mb)
{
	uint32_t i;

	if (mb->flags & MB_INFO_MEM) {
		put_str("triple: mem_lower=");
		put_dec(mb->mem_lower);
		put_str("K mem_upper=");
		put_dec(mb->mem_upper);
		put_str("K\n");
	}
	if (mb->flags & MB_INFO_CMDLINE) {
		put_str("triple: cmdline=");
		put_str(gpa_str(mb->cmdline));
		put_str("\n");
	}
	if (mb->flags & MB_INFO_MODS) {
		const struct mb_module *m = (const struct mb_module *)(uintptr_t)mb->mods_addr;

		put_str("triple: mods=");
		put_dec(mb->mods_count);
		put_str("\n");
		for (i = 0; i < mb->mods_count && i < 64; i++) {
			put_str("triple: mod ");
			put_hex(m[i].start);
			put_str(" ");
			put_hex(m[i].end);
			put_str(" ");
			put_str(gpa_str(m[i].string));
			put_str("\n");
		}
	}
	if (mb->flags & MB_INFO_MMAP) {
		put_str("triple: mmap entries=");
		put_dec(mmap_entries(mb));
		put_str("\n");
	}
}

void triple_main(uint32_t magic, uint32_t info)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} no_idt = { 0, 0 };

	if (magic == MB_BOOT_MAGIC) {
		put_str("triple: magic ok\n");
		report((const struct mb_info *)(uintptr_t)info);
	} else {
		put_str("triple: magic BAD eax=");
		put_hex(magic);
		put_str("\n");
	}
	put_str("triple: faulting\n");
	__asm__ volatile("lidt %0\n\tint3" : : "m"(no_idt) : "memory");
}
