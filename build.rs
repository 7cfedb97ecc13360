fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" {
        if env == "musl" { println!("cargo:rustc-link-lib=static=c"); } else { println!("cargo:rustc-link-lib=c"); }
    }
}
