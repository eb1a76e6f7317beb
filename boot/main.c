/*
 * plinth's UEFI loader: read plinth.cfg and the files it names from where
 * plinth.efi was loaded, record the machine's facts in struct boot_info, and
 * hand off to the embedded core.
 */
#include "loader.h"
#include <arch/cpu.h>

struct boot_info *bi;

uint64_t bstrlen(const char *s)
{
	uint64_t n = 0;
	while (s[n])
		n++;
	return n;
}

void bstrlcpy(char *dst, const char *src, uint64_t size)
{
	uint64_t i = 0;
	if (!size)
		return;
	for (; i + 1 < size && src[i]; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

static void boot_vlog(const char *fmt, va_list ap)
{
	CHAR8 line[256];
	AsciiVSPrint(line, sizeof(line), (CONST CHAR8 *)fmt, ap);
	Print(L"%a\r\n", line);
	if (!bi)
		return;
	uint64_t n = bstrlen((char *)line);
	if (bi->log_len + n + 2 > BOOT_LOG_MAX)
		return;
	for (uint64_t i = 0; i < n; i++)
		bi->log[bi->log_len++] = (char)line[i];
	bi->log[bi->log_len++] = '\n';
	bi->log[bi->log_len] = 0;
}

void boot_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	boot_vlog(fmt, ap);
	va_end(ap);
}

EFI_STATUS boot_fail(EFI_STATUS st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	boot_vlog(fmt, ap);
	va_end(ap);
	Print(L"plinth: cannot continue (status %r); returning to the firmware in 10 s\r\n", st);
	uefi_call_wrapper(BS->Stall, 1, 10 * 1000 * 1000);
	return st;
}

uint64_t boot_alloc_pages(uint64_t pages, uint64_t max_addr)
{
	EFI_PHYSICAL_ADDRESS pa = max_addr;
	EFI_ALLOCATE_TYPE how = max_addr == ~0ull ? AllocateAnyPages : AllocateMaxAddress;
	if (uefi_call_wrapper(BS->AllocatePages, 4, how, EfiLoaderData, pages, &pa) != EFI_SUCCESS)
		return 0;
	uefi_call_wrapper(BS->SetMem, 3, (void *)pa, pages * 4096, 0);
	return pa;
}

/* UEFI load options are UCS-2; keep them as ASCII (others become '?'). */
static void boot_read_options(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	if (uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li) != EFI_SUCCESS)
		return;
	CHAR16 *o = li->LoadOptions;
	uint64_t n = li->LoadOptionsSize / 2, j = 0;
	for (uint64_t i = 0; o && i < n && o[i] && j + 1 < BOOT_CMDLINE_MAX; i++)
		bi->cmdline[j++] = (o[i] >= 0x20 && o[i] < 0x7f) ? (char)o[i] : (o[i] == '\t' ? ' ' : '?');
	bi->cmdline[j] = 0;
}

/* "config=NAME" among the load options picks another config file. */
static void boot_config_name(char *name, uint64_t size)
{
	const char *s = bi->cmdline;
	bstrlcpy(name, "plinth.cfg", size);
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		if (s - w > 7 && !CompareMem((void *)w, "config=", 7)) {
			uint64_t n = (uint64_t)(s - w - 7);
			if (n >= size)
				n = size - 1;
			CopyMem(name, (void *)(w + 7), n);
			name[n] = 0;
		}
	}
}

static void boot_read_config(void)
{
	char name[64];
	uint64_t pa, size;
	boot_config_name(name, sizeof(name));
	bstrlcpy(bi->cfg_path, src_describe(), sizeof(bi->cfg_path));
	uint64_t l = bstrlen(bi->cfg_path);
	bstrlcpy(bi->cfg_path + l, name, sizeof(bi->cfg_path) - l);

	config_init(&bi->config);
	EFI_STATUS st = src_read(name, &pa, &size, 1 << 20);
	if (st != EFI_SUCCESS) {
		bi->cfg_status = BOOT_CFG_MISSING;
		boot_log("plinth: no config at %a (%r): using defaults", bi->cfg_path, st);
	} else {
		int errors = config_parse(&bi->config, (const char *)pa, size);
		uefi_call_wrapper(BS->FreePages, 2, pa, (size + 4095) / 4096);
		bi->cfg_status = errors ? BOOT_CFG_ERRORS : BOOT_CFG_OK;
		for (uint32_t i = 0; i < bi->config.nerrors && i < CFG_MAX_ERRORS; i++)
			boot_log("plinth: %a: %a", bi->cfg_path, bi->config.errors[i]);
	}
	uint32_t before = bi->config.nerrors;
	if (config_apply_options(&bi->config, bi->cmdline))
		for (uint32_t i = before; i < bi->config.nerrors && i < CFG_MAX_ERRORS; i++)
			boot_log("plinth: load options: %a", bi->config.errors[i]);
}

static int boot_have_module(const char *name)
{
	for (uint32_t i = 0; i < bi->nmod; i++) {
		const char *a = bi->mod[i].name, *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (*a == *b)
			return 1;
	}
	return 0;
}

/* Load every file named by image=, kernel=, initrd= and module= (first word). */
static void boot_load_modules(void)
{
	const struct config *c = &bi->config;
	for (uint32_t i = 0; i < c->nentries; i++) {
		if (!config_key_is_file(c->entries[i].key))
			continue;
		char name[64];
		uint64_t n = 0;
		const char *v = c->entries[i].value;
		while (v[n] && v[n] != ' ' && n + 1 < sizeof(name)) {
			name[n] = v[n];
			n++;
		}
		name[n] = 0;
		if (!n || boot_have_module(name))
			continue;
		if (bi->nmod == BOOT_MOD_MAX) {
			boot_log("plinth: too many files in the config; %a not loaded", name);
			continue;
		}
		struct boot_module *m = &bi->mod[bi->nmod];
		EFI_STATUS st = src_read(name, &m->phys, &m->size, 1ull << 32);
		if (st != EFI_SUCCESS) {
			boot_log("plinth: cannot load %a: %r", name, st);
			continue;
		}
		bstrlcpy(m->name, name, sizeof(m->name));
		bi->nmod++;
		boot_log("plinth: loaded %a (%ld bytes)", name, m->size);
	}
}

static uint64_t boot_find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	uint64_t v1 = 0;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (!CompareGuid(&t->VendorGuid, &acpi20))
			return (uint64_t)t->VendorTable;
		if (!CompareGuid(&t->VendorGuid, &AcpiTableGuid))
			v1 = (uint64_t)t->VendorTable;
	}
	return v1;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	uint64_t tsc0 = rdtsc();
	InitializeLib(image, systab);
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);

	uint64_t pages = (sizeof(struct boot_info) + 4095) / 4096;
	bi = (struct boot_info *)boot_alloc_pages(pages, ~0ull);
	if (!bi)
		return boot_fail(EFI_OUT_OF_RESOURCES, "plinth: no memory for boot info");
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	bi->tsc_efi_main = tsc0;
	boot_log("plinth: loader " PLINTH_VERSION " starting");

	boot_read_options(image);
	EFI_STATUS st = src_init(image);
	if (st != EFI_SUCCESS)
		return boot_fail(st, "plinth: cannot find the device plinth.efi came from");
	bstrlcpy(bi->boot_source, src_describe(), sizeof(bi->boot_source));
	boot_read_config();
	boot_load_modules();

	bi->rsdp_phys = boot_find_rsdp();
	if (!bi->rsdp_phys)
		boot_log("plinth: the firmware gave no ACPI RSDP");
	/* SIPI vectors address pages below 1 MiB; 0x9f000 stays below the EBDA. */
	bi->trampoline_phys = boot_alloc_pages(1, 0x9f000);
	if (!bi->trampoline_phys)
		boot_log("plinth: no page below 1 MiB: APs cannot start");

	uint64_t entry, end;
	st = core_load(&entry, &end);
	if (st != EFI_SUCCESS)
		return boot_fail(st, "plinth: the embedded core is unusable");
	st = handoff(image, entry, end);
	return boot_fail(st, "plinth: hand-off failed");
}
