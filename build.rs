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
            no_unwind_tables();
            packed_relocs();
        } else {
            println!("cargo:rustc-link-lib=c");
        }
    }
    // `nsrun --version` names the target it was built for.
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=NSRUN_BUILD_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// Without LTO (the dev profile) the linker meets the -lc above before the rlibs of rustix and sc,
/// so their calls to memcmp and memcpy stay unresolved: name libc.a once more, after everything.
/// The release build (LTO: one object) links as before.
fn dev_libc_last() {
    if std::env::var("PROFILE").as_deref() != Ok("debug") {
        return;
    }
    linker_args(&["-Bstatic", "-lc"]);
}

/// Passes `args` to the linker of the binary: directly to a linker named *lld (the arm64 build's
/// rust-lld), after -Wl to the default (cc).
fn linker_args(args: &[&str]) {
    if std::env::var("RUSTC_LINKER").is_ok_and(|l| l.ends_with("lld")) {
        for arg in args {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    } else {
        println!("cargo:rustc-link-arg-bins=-Wl,{}", args.join(","));
    }
}

/// nsrun is built with `panic = "abort"` and never unwinds: the unwind tables the compiler and
/// the C library's objects carry (`.eh_frame`, with its index `.eh_frame_hdr`) would be a
/// seventh of the binary and serve nothing. The release build leaves them out: a linker script
/// added to the default one discards them (but crtbegin's own, which its `__do_fini` names),
/// and the index is not made. The dev profile keeps them, for debuggers.
fn no_unwind_tables() {
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let script = out.join("no-unwind-tables.ld");
    let text = "SECTIONS\n{\n  /DISCARD/ : { EXCLUDE_FILE(*crtbegin.o *crtbeginS.o *crtbeginT.o) *(.eh_frame) }\n}\nINSERT AFTER .rodata;\n";
    if std::fs::write(&script, text).is_err() {
        return;
    }
    linker_args(&["--no-eh-frame-hdr"]);
    linker_args(&["-T", &script.display().to_string()]);
}

/// A static PIE carries a relocation for every pointer in its data (vtables, tables of strings):
/// as `Elf64_Rela` entries, 24 bytes each, they were a twentieth of the binary. The release build
/// packs the relative ones as RELR (a bitmap of the words to relocate, a few hundred bytes),
/// which musl's start-up code applies since 1.2.4 (the Rust targets ship 1.2.5).
fn packed_relocs() {
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    linker_args(&["-z", "pack-relative-relocs"]);
}
