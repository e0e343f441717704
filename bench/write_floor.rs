//! The write floor: the least a program can do to put the same posts on
//! disk. Creates one file per size listed in SIZES (one byte count a line,
//! as `find -printf '%s\n'` gives them) in DIR, then syncs the file system
//! once, as linkpost's writer does per batch with `durable_writes = true`.
//!
//! cargo run --release --example write_floor -- DIR SIZES

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, sizes] = args.as_slice() else {
        eprintln!("usage: write_floor DIR SIZES");
        std::process::exit(2);
    };
    let sizes: Vec<usize> = std::fs::read_to_string(sizes)?
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let bytes = vec![b'x'; largest];
    for (i, &size) in sizes.iter().enumerate() {
        let mut file = std::fs::File::create_new(dir.join(format!("{i:06}.md")))?;
        file.write_all(&bytes[..size])?;
    }
    rustix::fs::syncfs(std::fs::File::open(dir)?)?;
    Ok(())
}
