/*
 * TEST-ONLY stand-in for Windows' bcryptprimitives.dll, for running Windows builds under Wine 8.
 *
 * Rust's standard library for Windows gets random bytes from ProcessPrng (bcryptprimitives.dll,
 * Windows 10 and later). Wine 8.0 does not export it, so any Rust program stops at start-up.
 * This DLL exports ProcessPrng and forwards it to RtlGenRandom (advapi32!SystemFunction036).
 * tests/platforms/run.sh places it beside the program under test and tells Wine to prefer it
 * (WINEDLLOVERRIDES). Real Windows has ProcessPrng: this file is never part of a package.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
