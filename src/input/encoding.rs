//! Which text encoding a file uses, and a streaming decoder to UTF-8.
//!
//! Excel and Windows PowerShell write UTF-8 with a BOM, UTF-16 with a BOM ("Unicode Text",
//! `Out-File`) or the ANSI code page (Windows-1252 in the US); see m365-facts 5.1 and 5.3.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Windows1252 => "windows-1252",
        }
    }

    /// Bytes of byte-order mark this encoding starts with.
    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8Bom => 3,
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            Encoding::Utf8 | Encoding::Windows1252 => 0,
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the first bytes of a file say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    Text(Encoding),
    /// NUL bytes without a UTF-16 byte-order mark: not a text export.
    Binary,
}

/// Decides the encoding from a prefix of the file. `complete` says the prefix is the whole
/// file, so a multi-byte sequence cut at its end is an error rather than a read boundary.
pub fn sniff(prefix: &[u8], complete: bool) -> Sniff {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Sniff::Text(Encoding::Utf8Bom);
    }
    if prefix.starts_with(&[0xFF, 0xFE]) {
        return Sniff::Text(Encoding::Utf16Le);
    }
    if prefix.starts_with(&[0xFE, 0xFF]) {
        return Sniff::Text(Encoding::Utf16Be);
    }
    if memchr::memchr(0, prefix).is_some() {
        return Sniff::Binary;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => Sniff::Text(Encoding::Utf8),
        // Cut in the middle of a character by the prefix length, not invalid.
        Err(e) if e.error_len().is_none() && !complete => Sniff::Text(Encoding::Utf8),
        Err(_) => Sniff::Text(Encoding::Windows1252),
    }
}

/// Decodes a UTF-16 or Windows-1252 byte stream to UTF-8 as it is read.
pub struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    output: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> DecodeReader<R> {
    /// `inner` must start after the byte-order mark.
    pub fn new(inner: R, encoding: Encoding) -> Self {
        let enc = match encoding {
            Encoding::Utf16Le => encoding_rs::UTF_16LE,
            Encoding::Utf16Be => encoding_rs::UTF_16BE,
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Utf8 | Encoding::Utf8Bom => encoding_rs::UTF_8,
        };
        DecodeReader {
            inner,
            decoder: enc.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            in_pos: 0,
            in_len: 0,
            output: vec![0; 128 * 1024],
            out_pos: 0,
            out_len: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out_len {
                let n = buf.len().min(self.out_len - self.out_pos);
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            if self.in_pos == self.in_len && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.eof = n == 0;
                self.in_pos = 0;
                self.in_len = n;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.in_pos..self.in_len],
                &mut self.output,
                self.eof,
            );
            self.in_pos += read;
            self.out_pos = 0;
            self.out_len = written;
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
    }
}

/// Passes UTF-8 through until the first non-ASCII sequence decides the file: a valid
/// multi-byte character makes it UTF-8 for good (later bad bytes are damage, reported per
/// record); an invalid byte before any makes it Windows-1252 from there on (the ASCII before
/// reads the same in both), and `switched` says so. Line breaks are untouched either way.
pub struct Utf8OrAnsi<R> {
    inner: R,
    switched: Arc<AtomicBool>,
    decided: bool,
    carry: Vec<u8>,
    chunk: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> Utf8OrAnsi<R> {
    pub fn new(inner: R, switched: Arc<AtomicBool>) -> Self {
        Utf8OrAnsi {
            inner,
            switched,
            decided: false,
            carry: Vec::new(),
            chunk: vec![0; 64 * 1024],
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    fn ansi(&self) -> bool {
        self.switched.load(Ordering::Relaxed)
    }

    /// Appends `data` to the output, deciding the encoding if this is where it shows.
    fn push(&mut self, data: &[u8], at_end: bool) {
        if self.ansi() {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(data);
            self.out.extend_from_slice(text.as_bytes());
            return;
        }
        let first = match data.iter().position(|b| !b.is_ascii()) {
            Some(i) if !self.decided => i,
            _ => {
                self.out.extend_from_slice(data);
                return;
            }
        };
        let (ascii, rest) = data.split_at(first);
        let window = rest.get(..4).unwrap_or(rest);
        match std::str::from_utf8(window) {
            Err(e) if e.valid_up_to() == 0 && e.error_len().is_none() && !at_end => {
                // The first character is cut by the read: decide with the next bytes.
                self.out.extend_from_slice(ascii);
                self.carry.extend_from_slice(rest);
            }
            Err(e) if e.valid_up_to() == 0 => {
                self.switched.store(true, Ordering::Relaxed);
                self.out.extend_from_slice(ascii);
                self.push(rest, at_end);
            }
            _ => {
                self.decided = true;
                self.out.extend_from_slice(data);
            }
        }
    }
}

impl<R: Read> Read for Utf8OrAnsi<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.eof || buf.is_empty() {
                return Ok(0);
            }
            self.out.clear();
            self.out_pos = 0;
            if self.carry.is_empty() && !self.ansi() {
                // UTF-8 and (so far) ASCII are read straight into the caller's buffer.
                let n = self.inner.read(buf)?;
                if n == 0 {
                    self.eof = true;
                    return Ok(0);
                }
                if self.decided {
                    return Ok(n);
                }
                // `is_ascii` is the vectorised scan; find the byte only when there is one.
                if buf[..n].is_ascii() {
                    return Ok(n);
                }
                let Some(i) = buf[..n].iter().position(|b| !b.is_ascii()) else {
                    return Ok(n);
                };
                let tail = buf[i..n].to_vec();
                self.push(&tail, false);
                if i > 0 {
                    return Ok(i);
                }
                continue;
            }
            let n = self.inner.read(&mut self.chunk)?;
            let mut data = std::mem::take(&mut self.carry);
            let chunk = std::mem::take(&mut self.chunk);
            data.extend_from_slice(&chunk[..n]);
            self.chunk = chunk;
            self.eof = n == 0;
            self.push(&data, self.eof);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], enc: Encoding) -> String {
        let mut s = String::new();
        DecodeReader::new(&bytes[enc.bom_len()..], enc)
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn boms_and_fallback_are_recognised() {
        assert_eq!(
            sniff(b"\xEF\xBB\xBFa,b", true),
            Sniff::Text(Encoding::Utf8Bom)
        );
        assert_eq!(sniff(b"\xFF\xFEa\0", true), Sniff::Text(Encoding::Utf16Le));
        assert_eq!(sniff(b"\xFE\xFF\0a", true), Sniff::Text(Encoding::Utf16Be));
        assert_eq!(sniff("Zoë,x".as_bytes(), true), Sniff::Text(Encoding::Utf8));
        assert_eq!(sniff(b"Zo\xEB,x", true), Sniff::Text(Encoding::Windows1252));
        assert_eq!(sniff(b"a\0b", true), Sniff::Binary);
        // A prefix that ends inside a character is still UTF-8 when more follows.
        assert_eq!(sniff(b"ab\xC3", false), Sniff::Text(Encoding::Utf8));
        assert_eq!(sniff(b"ab\xC3", true), Sniff::Text(Encoding::Windows1252));
    }

    #[test]
    fn decodes_utf16_and_1252_to_utf8() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in "Zoë’s,x\n".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode(&le, Encoding::Utf16Le), "Zoë’s,x\n");
        assert_eq!(decode(&be, Encoding::Utf16Be), "Zoë’s,x\n");
        assert_eq!(decode(b"Zo\xEB\x92s", Encoding::Windows1252), "Zoë’s");
    }

    fn adaptive(bytes: &[u8], read_size: usize) -> (String, bool) {
        /// Hands out at most `n` bytes per read, to cut characters at read boundaries.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let flag = Arc::new(AtomicBool::new(false));
        let mut out = Vec::new();
        Utf8OrAnsi::new(Trickle(bytes, read_size), flag.clone())
            .read_to_end(&mut out)
            .unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
        (text, flag.load(Ordering::Relaxed))
    }

    #[test]
    fn late_ansi_bytes_switch_to_1252_unless_utf8_was_seen() {
        let mut late = b"a,b\n".repeat(30_000);
        late.extend_from_slice(b"Zo\xEB,M\xFCller\n");
        for size in [1, 2, 3, 7, 64 * 1024] {
            let (text, switched) = adaptive(&late, size);
            assert!(switched, "{size}");
            assert!(text.ends_with("a,b\nZoë,Müller\n"), "{size}");
            assert_eq!(text.lines().count(), 30_001);
            let (text, switched) = adaptive("a\nZoë\nb\n".as_bytes(), size);
            assert_eq!((text.as_str(), switched), ("a\nZoë\nb\n", false), "{size}");
            // After a real UTF-8 character, bad bytes are damage, passed on as they are.
            let (_, switched) = adaptive(b"Zo\xC3\xAB\nZo\xEB\n", size);
            assert!(!switched, "{size}");
        }
        // A lead byte cut off by the end of the file is not UTF-8.
        assert_eq!(adaptive(b"ab\xC3", 2), ("abÃ".to_string(), true));
    }

    #[test]
    fn decoding_survives_tiny_reads() {
        let text = "é".repeat(100_000);
        let bytes = encoding_rs::WINDOWS_1252.encode(&text).0.into_owned();
        let mut r = DecodeReader::new(&bytes[..], Encoding::Windows1252);
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }
}
