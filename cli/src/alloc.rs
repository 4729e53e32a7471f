//! Allocator settings of the standalone hub process.

/// Makes glibc's malloc return freed large buffers to the OS at once.
///
/// glibc serves allocations of 128 KiB and more with `mmap` but raises that threshold
/// (up to 32 MiB) each time such a block is freed, after which multi-MiB message buffers come
/// from heap arenas that rarely shrink: one burst of 10 MiB messages would keep the hub's RSS
/// high for good. A fixed 4 MiB threshold keeps large message buffers in `mmap`, so RSS follows
/// the memory really in use (README, "Memory"); smaller ones stay on the heap, where reusing
/// memory saves page faults (a 256 KiB threshold cost a third of the 1 MiB echo throughput). Hosts that embed the library keep their own
/// allocator settings; this applies to the `omnisock` process only.
pub fn return_large_frees_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called once at start-up,
    // before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
