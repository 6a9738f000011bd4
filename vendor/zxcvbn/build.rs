//! Patched (PATCHED.md): deflates the ranked lists in data/ into OUT_DIR,
//! where src/frequency_lists.rs includes them. Deflated they are about half
//! of the 0.79 MB they were as string constants in every binary.

use std::{env, fs, path::PathBuf};

const LISTS: [&str; 6] = [
    "passwords",
    "english_wiki",
    "female_names",
    "male_names",
    "surnames",
    "us_tv_and_film",
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=data");
    println!("cargo:rerun-if-changed=build.rs");
    for name in LISTS {
        let text = fs::read(format!("data/{name}.txt")).expect("a list in data/");
        // The constants ended at their last word; an editor's final newline
        // (.editorconfig asks for one) must not become part of it.
        let end = text
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        // 10 is miniz's highest level: a build-time cost, paid once.
        let deflated = miniz_oxide::deflate::compress_to_vec(&text[..end], 10);
        fs::write(out.join(format!("{name}.deflate")), deflated).expect("OUT_DIR is writable");
    }
}
