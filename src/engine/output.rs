//! The one choke point every byte gatecheck prints or writes passes through: console
//! (stdout, stderr), tracing logs, report files, reproduction scripts. Each is a
//! [`Masked`] writer, which masks every secret of [`Masker::global`] in every encoding
//! (see `engine::client::secret`) before the bytes leave the process.
//!
//! A new writer of output (a HAR file, a log) takes [`create_file`] or wraps its sink in
//! [`Masked::new`]; nothing else is needed for it to be safe.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::engine::client::Masker;

/// A writer that masks secrets line by line (a secret never spans a line: control
/// characters are refused in secrets). Whatever is left without a newline is masked and
/// written on `flush` and on drop.
pub struct Masked<W: Write> {
    /// `None` only after [`Masked::into_inner`].
    inner: Option<W>,
    pending: Vec<u8>,
    masker: Masker,
}

impl<W: Write> Masked<W> {
    /// Wraps `inner`, masking with the process-wide list.
    pub fn new(inner: W) -> Masked<W> {
        Masked::with_masker(inner, Masker::global())
    }

    /// Wraps `inner`, masking with `masker` (tests).
    pub fn with_masker(inner: W, masker: Masker) -> Masked<W> {
        Masked {
            inner: Some(inner),
            pending: Vec::new(),
            masker,
        }
    }

    fn emit(&mut self, upto: usize) -> io::Result<()> {
        if upto == 0 {
            return Ok(());
        }
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        if self.masker.is_empty() {
            return inner.write_all(&chunk);
        }
        let masked = match std::str::from_utf8(&chunk) {
            Ok(text) => self.masker.mask(text),
            Err(_) => self.masker.mask(&String::from_utf8_lossy(&chunk)),
        };
        inner.write_all(masked.as_bytes())
    }

    /// Masks and writes what is pending, and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.inner.take().expect("the writer is taken only here"))
    }
}

impl<W: Write> Write for Masked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last) = self.pending.iter().rposition(|&b| b == b'\n') {
            self.emit(last + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let all = self.pending.len();
        self.emit(all)?;
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> Drop for Masked<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Standard output, masked.
pub fn stdout() -> Masked<io::Stdout> {
    Masked::new(io::stdout())
}

/// Standard error, masked (also the tracing writer).
pub fn stderr() -> Masked<io::Stderr> {
    Masked::new(io::stderr())
}

/// A report or artifact file behind the mask.
pub type MaskedFile = Masked<BufWriter<File>>;

/// Creates (truncates) a file whose every byte is masked.
pub fn create_file(path: &Path) -> io::Result<MaskedFile> {
    Ok(Masked::new(BufWriter::new(File::create(path)?)))
}

/// Writes a whole file, masked.
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let mut file = create_file(path)?;
    file.write_all(bytes.as_ref())?;
    file.flush()
}

/// Registers, before anything is printed, every secret the process was handed: values
/// of `*_API_KEY` / `*_TOKEN` variables, the value after `--api-key` / `--key` /
/// `--admin-token` (also as `--flag=value`), and the userinfo of any URL argument.
pub fn register_process_secrets(args: impl IntoIterator<Item = String>) {
    let masker = Masker::global();
    masker.add_from_env();
    let mut take_next: Option<&'static str> = None;
    for arg in args {
        if let Some(variable) = take_next.take() {
            add_user_secret(&masker, &arg, variable);
            continue;
        }
        for (flag, variable) in SECRET_FLAGS {
            if arg == *flag {
                take_next = Some(variable);
            } else if let Some(value) = arg.strip_prefix(flag).and_then(|v| v.strip_prefix('=')) {
                add_user_secret(&masker, value, variable);
            }
        }
        if arg.contains("://") {
            let url = arg.split_once('=').map_or(arg.as_str(), |(_, v)| v);
            masker.add_url_userinfo(url);
        }
    }
}

const SECRET_FLAGS: &[(&str, &str)] = &[
    ("--api-key", "GATECHECK_API_KEY"),
    ("--key", "GATECHECK_API_KEY"),
    ("--admin-token", "GATECHECK_ADMIN_TOKEN"),
    ("--merchant-api-key", "GATECHECK_MERCHANT_API_KEY"),
];

/// A user's secret as given and as it will be sent (trimmed).
fn add_user_secret(masker: &Masker, value: &str, variable: &str) {
    masker.add(value, variable);
    masker.add(value.trim(), variable);
}

/// Masks one text with the process-wide list (for text handed to a library that prints
/// it itself).
pub fn mask(text: &str) -> String {
    Masker::global().mask(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_across_writes_and_on_flush() {
        let m = Masker::new();
        m.add("sk_live_0123456789", "K");
        let mut out = Masked::with_masker(Vec::new(), m);
        out.write_all(b"a sk_live_01234").unwrap();
        out.write_all(b"56789 b\nc sk_live_0123456789").unwrap();
        let bytes = out.into_inner().unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), "a $K b\nc $K");
    }
}
