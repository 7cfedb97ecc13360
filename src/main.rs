#![no_std]
#![no_main]
extern crate alloc;
use core::fmt::Write;

struct Malloc;
unsafe impl core::alloc::GlobalAlloc for Malloc {
    unsafe fn alloc(&self, l: core::alloc::Layout) -> *mut u8 { libc::malloc(l.size()) as *mut u8 }
    unsafe fn dealloc(&self, p: *mut u8, _l: core::alloc::Layout) { libc::free(p as *mut _) }
}
#[global_allocator]
static A: Malloc = Malloc;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { unsafe { libc::abort() } }

struct E; impl Write for E { fn write_str(&mut self, s: &str) -> core::fmt::Result { let _ = rustix::io::write(unsafe { rustix::stdio::stderr() }, s.as_bytes()); Ok(()) } }

#[no_mangle]
pub extern "C" fn main(argc: i32, _argv: *const *const u8) -> i32 {
    let v = alloc::vec![1u8; argc as usize];
    let _ = writeln!(E, "hello {} {:?}", argc, v);
    0
}
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}
