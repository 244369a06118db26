//! Links Debian's libhiredis for the hiredis reader bench when it is installed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(hiredis)");
    println!("cargo::rerun-if-changed=/usr/include/hiredis/read.h");
    if std::path::Path::new("/usr/include/hiredis/read.h").exists() {
        println!("cargo::rustc-cfg=hiredis");
        println!("cargo::rustc-link-lib=hiredis");
    } else {
        println!(
            "cargo::warning=libhiredis-dev not installed: the hiredis parser bench is skipped"
        );
    }
}
