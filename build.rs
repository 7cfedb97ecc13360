//! Link directives for a `no_std` binary: nothing pulls in the C library for it (std normally
//! does), so name it here. Against musl it is linked statically from the Rust target's
//! self-contained copy; `-bundle` keeps the rlib from embedding libc.a.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" {
        if env == "musl" {
            println!("cargo:rustc-link-lib=static:-bundle=c");
            dev_libc_last();
        } else {
            println!("cargo:rustc-link-lib=c");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// Without LTO (the dev profile) the linker meets the -lc above before the rlibs of rustix and sc,
/// so their calls to memcmp and memcpy stay unresolved: name libc.a once more, after everything.
/// The release build (LTO: one object) links as before.
fn dev_libc_last() {
    if std::env::var("PROFILE").as_deref() != Ok("debug") {
        return;
    }
    // A linker named *lld (the arm64 build's rust-lld) takes linker arguments directly; the
    // default (cc) takes them after -Wl.
    let lld = std::env::var("RUSTC_LINKER").is_ok_and(|l| l.ends_with("lld"));
    if lld {
        println!("cargo:rustc-link-arg-bins=-Bstatic");
        println!("cargo:rustc-link-arg-bins=-lc");
    } else {
        println!("cargo:rustc-link-arg-bins=-Wl,-Bstatic,-lc");
    }
}
