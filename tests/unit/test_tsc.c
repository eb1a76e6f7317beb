/* Reference-clock selection and udelay() before and after calibration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include "drivers/acpi.h"
#include "drivers/hpet.h"

/* Fakes: an HPET whose counter advances by `step` per read. */
struct acpi_info acpi;
static bool fake_hpet;
static uint64_t fake_count, fake_step, fake_reads;

bool hpet_present(void) { return fake_hpet; }
uint64_t hpet_hz(void) { return 100000000; }
uint64_t hpet_counter(void)
{
	fake_reads++;
	fake_count += fake_step;
	return fake_count;
}

static int reset(void **state)
{
	(void)state;
	fake_hpet = false;
	fake_count = fake_reads = 0;
	fake_step = 1;
	acpi.pm_tmr_port = 0;
	acpi.pm_tmr_32bit = false;
	tsc_set_hz(0);
	return 0;
}

static void test_refclk_choice(void **state)
{
	(void)state;
	assert_null(refclk_name());
	assert_int_equal(refclk_hz(), 0);
	acpi.pm_tmr_port = 0x608;
	assert_string_equal(refclk_name(), "PM timer");
	assert_int_equal(refclk_hz(), 3579545);
	assert_int_equal(refclk_mask(), 0xffffff);
	acpi.pm_tmr_32bit = true;
	assert_int_equal(refclk_mask(), 0xffffffff);
	fake_hpet = true;                   /* the HPET wins over the PM timer */
	assert_string_equal(refclk_name(), "HPET");
	assert_int_equal(refclk_hz(), 100000000);
	assert_int_equal(refclk_mask(), UINT64_MAX);
}

static void test_udelay_on_hpet_before_calibration(void **state)
{
	(void)state;
	fake_hpet = true;
	fake_step = 100;                    /* 1 us per read at 100 MHz */
	udelay(50);
	/* 5000 ticks: one read to start, then one per microsecond. */
	assert_int_equal(fake_reads, 51);
	assert_false(tsc_calibrated());
}

static void test_udelay_on_tsc_after_calibration(void **state)
{
	(void)state;
	fake_hpet = true;
	tsc_set_hz(1000000000);
	assert_true(tsc_calibrated());
	assert_int_equal(tsc_hz(), 1000000000);
	uint64_t t0 = rdtsc();
	udelay(100);
	assert_true(rdtsc() - t0 >= 100000);
	assert_int_equal(fake_reads, 0);    /* the reference is no longer touched */
}

static void test_default_rate(void **state)
{
	(void)state;
	assert_false(tsc_calibrated());
	assert_int_equal(tsc_hz(), 3000000000ull);
	uint64_t t0 = rdtsc();
	udelay(10);                         /* no reference at all: TSC at the default */
	assert_true(rdtsc() - t0 >= 30000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_refclk_choice, reset),
		cmocka_unit_test_setup(test_udelay_on_hpet_before_calibration, reset),
		cmocka_unit_test_setup(test_udelay_on_tsc_after_calibration, reset),
		cmocka_unit_test_setup(test_default_rate, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
