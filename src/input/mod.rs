//! Bytes to positioned records: encoding, `#TYPE` line, delimiter, header synonyms, file kind.

pub mod kind;

pub use kind::FileKind;
