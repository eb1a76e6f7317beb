/*
 * Reading files from where plinth.efi came from: the boot volume's file
 * system, or the TFTP server through the PXE base code protocol on the
 * device handle it was loaded from.
 */
#include "loader.h"

static EFI_FILE_HANDLE src_root;
static EFI_PXE_BASE_CODE_PROTOCOL *src_pxe;
static EFI_IP_ADDRESS src_server;
static char src_dir[128];       /* with trailing separator, or "" */
static char src_desc[BOOT_PATH_MAX];

/* The directory part of path, keeping the separator. */
static void src_dirname(char *dst, uint64_t size, const char *path, char sep)
{
	uint64_t cut = 0;
	for (uint64_t i = 0; path[i]; i++)
		if (path[i] == sep)
			cut = i + 1;
	if (cut >= size)
		cut = 0;
	CopyMem(dst, (void *)path, cut);
	dst[cut] = 0;
}

static void src_append(char *dst, uint64_t size, const char *s)
{
	uint64_t l = bstrlen(dst);
	bstrlcpy(dst + l, s, size - l);
}

/* The file path of the loaded image, from its FILEPATH device path nodes. */
static void src_image_path(EFI_DEVICE_PATH *dp, char *out, uint64_t size)
{
	uint64_t n = 0;
	out[0] = 0;
	while (dp && !IsDevicePathEnd(dp)) {
		if (DevicePathType(dp) == MEDIA_DEVICE_PATH && DevicePathSubType(dp) == MEDIA_FILEPATH_DP) {
			FILEPATH_DEVICE_PATH *fp = (FILEPATH_DEVICE_PATH *)dp;
			uint64_t chars = (DevicePathNodeLength(dp) - 4) / 2;
			for (uint64_t i = 0; i < chars && fp->PathName[i] && n + 1 < size; i++)
				out[n++] = fp->PathName[i] == '/' ? '\\' : (char)fp->PathName[i];
		}
		dp = NextDevicePathNode(dp);
	}
	out[n] = 0;
}

static EFI_STATUS src_init_disk(EFI_LOADED_IMAGE *li, EFI_FILE_IO_INTERFACE *fs)
{
	char path[256];
	EFI_STATUS st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &src_root);
	if (st != EFI_SUCCESS)
		return st;
	src_image_path(li->FilePath, path, sizeof(path));
	src_dirname(src_dir, sizeof(src_dir), path, '\\');
	if (!src_dir[0])
		bstrlcpy(src_dir, "\\", sizeof(src_dir));
	bstrlcpy(src_desc, "disk:", sizeof(src_desc));
	src_append(src_desc, sizeof(src_desc), src_dir);
	return EFI_SUCCESS;
}

static void src_put_ip(char *dst, uint64_t size, const UINT8 *ip)
{
	char buf[16];
	uint64_t n = 0;
	for (int i = 0; i < 4; i++) {
		unsigned v = ip[i];
		if (v >= 100)
			buf[n++] = (char)('0' + v / 100);
		if (v >= 10)
			buf[n++] = (char)('0' + v / 10 % 10);
		buf[n++] = (char)('0' + v % 10);
		buf[n++] = i < 3 ? '.' : 0;
	}
	src_append(dst, size, buf);
}

static EFI_STATUS src_init_pxe(void)
{
	EFI_PXE_BASE_CODE_MODE *m = src_pxe->Mode;
	if (!m || !m->Started || m->UsingIpv6)
		return EFI_UNSUPPORTED;
	EFI_PXE_BASE_CODE_DHCPV4_PACKET *p = &m->DhcpAck.Dhcpv4;
	if (m->ProxyOfferReceived && m->ProxyOffer.Dhcpv4.BootpBootFile[0])
		p = &m->ProxyOffer.Dhcpv4;
	SetMem(&src_server, sizeof(src_server), 0);
	CopyMem(&src_server, p->BootpSiAddr, 4);
	char boot_file[129];
	CopyMem(boot_file, p->BootpBootFile, 128);
	boot_file[128] = 0;
	src_dirname(src_dir, sizeof(src_dir), boot_file, '/');
	bstrlcpy(src_desc, "tftp://", sizeof(src_desc));
	src_put_ip(src_desc, sizeof(src_desc), p->BootpSiAddr);
	src_append(src_desc, sizeof(src_desc), "/");
	src_append(src_desc, sizeof(src_desc), src_dir);
	return EFI_SUCCESS;
}

EFI_STATUS src_init(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (st != EFI_SUCCESS)
		return st;
	/*
	 * A network boot first: some PXE firmware also puts a file system on
	 * the NIC's handle that holds only the boot file itself.
	 */
	if (uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &PxeBaseCodeProtocol, (void **)&src_pxe) == EFI_SUCCESS &&
	    src_init_pxe() == EFI_SUCCESS)
		return EFI_SUCCESS;
	src_pxe = NULL;
	if (uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &FileSystemProtocol, (void **)&fs) == EFI_SUCCESS)
		return src_init_disk(li, fs);
	return EFI_NOT_FOUND;
}

const char *src_describe(void)
{
	return src_desc;
}

static EFI_STATUS src_read_disk(const char *name, uint64_t *phys, uint64_t *size, uint64_t max)
{
	CHAR16 path[192];
	uint64_t n = 0;
	for (const char *s = src_dir; *s && n + 1 < 192; s++)
		path[n++] = (CHAR16)*s;
	for (const char *s = name; *s && n + 1 < 192; s++)
		path[n++] = *s == '/' ? L'\\' : (CHAR16)*s;
	path[n] = 0;

	EFI_FILE_HANDLE f;
	EFI_STATUS st = uefi_call_wrapper(src_root->Open, 5, src_root, &f, path, EFI_FILE_MODE_READ, 0);
	if (st != EFI_SUCCESS)
		return st;
	EFI_FILE_INFO *info = LibFileInfo(f);
	if (!info) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_DEVICE_ERROR;
	}
	uint64_t bytes = info->FileSize;
	int is_dir = (info->Attribute & EFI_FILE_DIRECTORY) != 0;
	FreePool(info);
	if (is_dir || bytes > max) {
		uefi_call_wrapper(f->Close, 1, f);
		return is_dir ? EFI_NOT_FOUND : EFI_BAD_BUFFER_SIZE;
	}
	uint64_t pa = boot_alloc_pages((bytes + 4095) / 4096 + !bytes, ~0ull);
	if (!pa) {
		uefi_call_wrapper(f->Close, 1, f);
		return EFI_OUT_OF_RESOURCES;
	}
	UINTN got = bytes;
	st = uefi_call_wrapper(f->Read, 3, f, &got, (void *)pa);
	uefi_call_wrapper(f->Close, 1, f);
	if (st == EFI_SUCCESS && got != bytes)
		st = EFI_END_OF_FILE;
	if (st != EFI_SUCCESS) {
		uefi_call_wrapper(BS->FreePages, 2, pa, (bytes + 4095) / 4096 + !bytes);
		return st;
	}
	*phys = pa;
	*size = bytes;
	return EFI_SUCCESS;
}

static EFI_STATUS src_read_tftp(const char *name, uint64_t *phys, uint64_t *size, uint64_t max)
{
	UINT8 path[192];
	bstrlcpy((char *)path, src_dir, sizeof(path));
	src_append((char *)path, sizeof(path), name);

	UINT64 bytes = 0;
	EFI_STATUS st = uefi_call_wrapper(src_pxe->Mtftp, 10, src_pxe, EFI_PXE_BASE_CODE_TFTP_GET_FILE_SIZE,
					  NULL, FALSE, &bytes, NULL, &src_server, path, NULL, FALSE);
	if (st != EFI_SUCCESS)
		return st;
	if (bytes > max)
		return EFI_BAD_BUFFER_SIZE;
	uint64_t pages = (bytes + 4095) / 4096 + !bytes;
	uint64_t pa = boot_alloc_pages(pages, ~0ull);
	if (!pa)
		return EFI_OUT_OF_RESOURCES;
	UINT64 got = pages * 4096;
	st = uefi_call_wrapper(src_pxe->Mtftp, 10, src_pxe, EFI_PXE_BASE_CODE_TFTP_READ_FILE,
			       (void *)pa, FALSE, &got, NULL, &src_server, path, NULL, FALSE);
	if (st != EFI_SUCCESS) {
		uefi_call_wrapper(BS->FreePages, 2, pa, pages);
		return st;
	}
	*phys = pa;
	*size = got;
	return EFI_SUCCESS;
}

EFI_STATUS src_read(const char *name, uint64_t *phys, uint64_t *size, uint64_t max)
{
	for (const char *s = name; *s; s++)
		if (s[0] == '.' && s[1] == '.')
			return EFI_ACCESS_DENIED;   /* stay inside plinth.efi's directory */
	if (src_root)
		return src_read_disk(name, phys, size, max);
	if (src_pxe)
		return src_read_tftp(name, phys, size, max);
	return EFI_NOT_READY;
}
