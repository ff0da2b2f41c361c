//! The built-in samples, embedded so `cutover demo` works from any folder.
