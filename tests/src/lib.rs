//! Integration tests live in tests/it/ (one binary, a module per area); this crate only hosts them.
