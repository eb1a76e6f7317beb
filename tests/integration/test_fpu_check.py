"""tools/check-fpu.sh finds x87/SSE/AVX code, passes integer code, and
passes the core."""

import subprocess

import pytest

from conftest import BUILD, REPO

CHECK = REPO / "tools" / "check-fpu.sh"

VECTOR_LOOP = """
void scale(float *a, const float *b, int n)
{
	for (int i = 0; i < n; i++)
		a[i] = a[i] * 1.5f + b[i];
}
"""

X87 = "long double twice(long double x) { return x * 2; }\n"

INTEGER = """
unsigned long sum(const unsigned long *a, int n)
{
	unsigned long s = 0;
	for (int i = 0; i < n; i++)
		s += a[i] * 3;
	return s;
}
"""


def compile_obj(tmp_path, name, src, *flags):
    c = tmp_path / (name + ".c")
    c.write_text(src)
    obj = tmp_path / (name + ".o")
    subprocess.run(["gcc", "-O2", "-c", *flags, str(c), "-o", str(obj)], check=True)
    return obj


def check(*args):
    return subprocess.run([str(CHECK), *map(str, args)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def test_flags_sse(tmp_path):
    obj = compile_obj(tmp_path, "vec", VECTOR_LOOP, "-msse2", "-ftree-vectorize")
    r = check(obj)
    assert r.returncode == 1, r.stdout
    assert "%xmm" in r.stdout and "scale" in r.stdout


def test_flags_avx(tmp_path):
    obj = compile_obj(tmp_path, "avx", VECTOR_LOOP, "-mavx2", "-ftree-vectorize")
    r = check(obj)
    assert r.returncode == 1 and "%ymm" in r.stdout, r.stdout


def test_flags_x87(tmp_path):
    obj = compile_obj(tmp_path, "x87", X87)
    r = check(obj)
    assert r.returncode == 1, r.stdout
    assert "fld" in r.stdout, r.stdout


def test_allow_exempts_a_function(tmp_path):
    obj = compile_obj(tmp_path, "vec", VECTOR_LOOP, "-msse2", "-ftree-vectorize")
    r = check("--allow", "scale", obj)
    assert r.returncode == 0, r.stdout


def test_passes_general_regs_only(tmp_path):
    obj = compile_obj(tmp_path, "int", INTEGER, "-mgeneral-regs-only", "-ftree-vectorize")
    r = check(obj)
    assert r.returncode == 0, r.stdout
    assert ", 0 FPU/SSE/AVX" in r.stdout


def test_core_has_no_fpu_code():
    core = BUILD / "core.elf"
    if not core.exists():
        pytest.fail("%s not found: run 'make all' first" % core)
    r = check(core)
    assert r.returncode == 0, r.stdout[-4000:]
