//! The disk's sequential bandwidth, measured the way `shared/tools/disk_bw.sh` does:
//! shared by the out-of-core examples (`#[path = "common/disk.rs"] mod disk;`), which
//! print their steps' times against it.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Instant;

/// Sequential bandwidth of the disk under `dir` in GB/s, (write, read): 2 GiB in 4 MiB
/// blocks with O_DIRECT, so the page cache does not flatter it. The file it writes is
/// removed before it returns.
pub fn disk_bandwidth(dir: &Path) -> std::io::Result<(f64, f64)> {
    const O_DIRECT: i32 = 0o40000; // x86_64 and aarch64 Linux
    const BLOCK: usize = 4 << 20;
    const BLOCKS: usize = 512;
    let file = dir.join(format!("disk_bw.{}", std::process::id()));
    // O_DIRECT needs an aligned buffer
    let mut raw = vec![1u8; BLOCK + 4096];
    let offset = raw.as_ptr().align_offset(4096);
    let buf = &mut raw[offset..offset + BLOCK];
    let t = Instant::now();
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(O_DIRECT)
            .open(&file)?;
        for _ in 0..BLOCKS {
            f.write_all(buf)?;
        }
        f.sync_all()?;
    }
    let write = (BLOCK * BLOCKS) as f64 / t.elapsed().as_secs_f64() / 1e9;
    let t = Instant::now();
    {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_DIRECT)
            .open(&file)?;
        for _ in 0..BLOCKS {
            f.read_exact(buf)?;
        }
    }
    let read = (BLOCK * BLOCKS) as f64 / t.elapsed().as_secs_f64() / 1e9;
    std::fs::remove_file(&file)?;
    Ok((write, read))
}

/// [`disk_bandwidth`] with its failure as a spillway I/O error naming `dir`; prints
/// `disk write_gbs=<w> read_gbs=<r>`.
pub fn measure(dir: &Path) -> spillway::Result<(f64, f64)> {
    let (w, r) = disk_bandwidth(dir).map_err(|e| spillway::Error::io(dir, e))?;
    println!("disk write_gbs={w:.3} read_gbs={r:.3}");
    Ok((w, r))
}
