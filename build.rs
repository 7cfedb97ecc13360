//! Link directives for a `no_std` binary: nothing pulls in the C library for it (std normally
//! does), so name it here. Against musl it is linked statically from the Rust target's
//! self-contained copy; `-bundle` keeps the rlib from embedding libc.a.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" {
        if env == "musl" {
            println!("cargo:rustc-link-lib=static:-bundle=c");
        } else {
            println!("cargo:rustc-link-lib=c");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
