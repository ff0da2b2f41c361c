//! Synthetic tenants of any size, valid by construction.
