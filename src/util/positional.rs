//! Positional file I/O (`pread`/`pwrite` and their Windows twins): reads and writes at an
//! offset that never move a shared file cursor, so threads can share one open file.
//!
//! ```
//! use spillway::util::positional::{read_at, read_exact_at, write_all_at};
//! let file = tempfile::tempfile().unwrap();
//! write_all_at(&file, b"hello", 3).unwrap();
//! let mut back = [0u8; 5];
//! read_exact_at(&file, &mut back, 3).unwrap();
//! assert_eq!(&back, b"hello");
//! assert_eq!(read_at(&file, &mut back, 6).unwrap(), 2); // the file ends at 8
//! ```

pub use imp::{read_at, read_exact_at, write_all_at};

#[cfg(unix)]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::unix::fs::FileExt;

    /// Writes all of `bytes` at `offset`.
    ///
    /// # Errors
    ///
    /// The write's error.
    pub fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
        file.write_all_at(bytes, offset)
    }

    /// Fills `buf` from `offset`.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::UnexpectedEof`] when the file ends first, else the read's error.
    pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
        file.read_exact_at(buf, offset)
    }

    /// Reads what one call gives at `offset` (0 at the end of the file).
    ///
    /// # Errors
    ///
    /// The read's error.
    pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        file.read_at(buf, offset)
    }
}

#[cfg(windows)]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::windows::fs::FileExt;

    /// Writes all of `bytes` at `offset`.
    ///
    /// # Errors
    ///
    /// The write's error.
    pub fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
        while !bytes.is_empty() {
            match file.seek_write(bytes, offset)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => {
                    bytes = &bytes[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }

    /// Fills `buf` from `offset`.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::UnexpectedEof`] when the file ends first, else the read's error.
    pub fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match file.seek_read(buf, offset)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }

    /// Reads what one call gives at `offset` (0 at the end of the file).
    ///
    /// # Errors
    ///
    /// The read's error.
    pub fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        file.seek_read(buf, offset)
    }
}
