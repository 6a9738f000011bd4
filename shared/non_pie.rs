//! Build script of every function and of the bench's hello-world (their
//! Cargo.toml's `build`): a release binary for Linux is linked as a
//! position-dependent executable (issue 15 item 2; docs/design.md, "Binary
//! size and start", has the figures and what it costs in ASLR).
//!
//! A position-independent executable carries a dynamic relocation for every
//! pointer in its statics (vtables, string tables: `.rela.dyn`, about a
//! tenth of each function), which the loader applies at every start. Linked
//! at a fixed address, the linker resolves them once. A build script is the
//! one place cargo takes a link argument for one profile on stable Rust, and
//! it reaches every way the functions are built: `cargo build --release`
//! (`make bench`) and cargo-lambda's zig (`sam build`, `make deploy-check`).
//! Debug builds (tests, `make dev`) keep the default.

fn main() {
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if release && linux {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
