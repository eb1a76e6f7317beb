/*
 * A guest's ACPI PM1a fixed-hardware registers (ACPI 6.x 4.8.3.1-2), at the
 * ports the FADT from vdev/acpi_tables names: the event block at
 * GL_PORT_PM1A_EVT (PM1a_STS at +0, PM1a_EN at +2, 16 bits each) and the
 * control block at GL_PORT_PM1A_CNT (PM1a_CNT, 16 bits).  The PM timer
 * next to them is vdev/pmtimer.
 *
 * PM1a_STS: write 1 to clear.  Nothing in plinth raises a fixed event yet
 * (no fixed buttons, no RTC alarm, no global-lock owner besides the OS, no
 * TMR_STS), so the bits stay 0 unless the owner sets them in `sts`.
 * PM1a_EN: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN and PCIEXP_WAKE_DIS
 * are kept (they gate nothing, as nothing raises the SCI); reserved bits
 * read 0.
 * PM1a_CNT: SCI_EN always reads 1 and ignores writes: the platform is in
 * ACPI mode from reset (the FADT's SMI_CMD is 0).  BM_RLD and SLP_TYP are
 * kept; GBL_RLS and SLP_EN are write-only and read 0; reserved bits read 0.
 * Writing SLP_EN = 1 stores the SLP_TYP of the same write, then calls
 * sleep(arg, SLP_TYP); the owner acts on it (VACPI_SLP_TYP_S5: power off)
 * and ignores types it does not offer.  sleep may be NULL.
 *
 * Accesses of 1, 2 or 4 bytes at any port work byte by byte: each byte of
 * [port, port + size) is the byte of STS, EN or CNT at that port, and bytes
 * outside the two blocks read 0xff and ignore writes.  So a dword at the
 * event block reads STS | EN << 16 and a misaligned word reaches the halves
 * of two registers.  The bytes of one register written in one access act
 * together: a word write to PM1a_CNT with SLP_TYP and SLP_EN sleeps once,
 * with that SLP_TYP.  Other sizes read all ones and ignore writes.
 *
 * No locking inside: the caller serialises all calls on one vacpi_pm, and
 * sleep runs under that serialisation.
 */
#ifndef ARCH_VDEV_ACPI_PM_H
#define ARCH_VDEV_ACPI_PM_H

#include <stdint.h>

#define VACPI_PM1_EVT_LEN   4       /* FADT PM1_EVT_LEN */
#define VACPI_PM1_CNT_LEN   2       /* FADT PM1_CNT_LEN */

/*
 * The SLP_TYP the DSDT's \_S5 package gives: writing it with SLP_EN to
 * PM1a_CNT is the guest's poweroff.  Any 3-bit value would do; 5 reads as S5.
 */
#define VACPI_SLP_TYP_S5    5

/* ACPI 6.x 4.8.3.1.1: PM1 status bits. */
#define VACPI_PM1_TMR_STS         (1u << 0)
#define VACPI_PM1_BM_STS          (1u << 4)
#define VACPI_PM1_GBL_STS         (1u << 5)
#define VACPI_PM1_PWRBTN_STS      (1u << 8)
#define VACPI_PM1_SLPBTN_STS      (1u << 9)
#define VACPI_PM1_RTC_STS         (1u << 10)
#define VACPI_PM1_PCIEXP_WAKE_STS (1u << 14)
#define VACPI_PM1_WAK_STS         (1u << 15)

/* ACPI 6.x 4.8.3.1.2: PM1 enable bits. */
#define VACPI_PM1_TMR_EN          (1u << 0)
#define VACPI_PM1_GBL_EN          (1u << 5)
#define VACPI_PM1_PWRBTN_EN       (1u << 8)
#define VACPI_PM1_SLPBTN_EN       (1u << 9)
#define VACPI_PM1_RTC_EN          (1u << 10)
#define VACPI_PM1_PCIEXP_WAKE_DIS (1u << 14)

/* ACPI 6.x 4.8.3.2.1: PM1 control bits. */
#define VACPI_PM1_SCI_EN          (1u << 0)
#define VACPI_PM1_BM_RLD          (1u << 1)
#define VACPI_PM1_GBL_RLS         (1u << 2)
#define VACPI_PM1_SLP_TYP_SHIFT   10
#define VACPI_PM1_SLP_TYP         (7u << VACPI_PM1_SLP_TYP_SHIFT)
#define VACPI_PM1_SLP_EN          (1u << 13)

struct vacpi_pm {
	uint16_t sts, en, cnt;      /* PM1a_STS, PM1a_EN, PM1a_CNT as read */
	void (*sleep)(void *arg, unsigned slp_typ);
	void *arg;
};

/* Reset state: no status, nothing enabled, SCI_EN set (ACPI mode). */
void vacpi_pm_init(struct vacpi_pm *pm, void (*sleep)(void *arg, unsigned slp_typ), void *arg);

/* Guest IN/OUT of size 1, 2 or 4 at port (see above for what each byte is). */
uint32_t vacpi_pm_read(struct vacpi_pm *pm, uint16_t port, unsigned size);
void vacpi_pm_write(struct vacpi_pm *pm, uint16_t port, unsigned size, uint32_t val);

#endif
