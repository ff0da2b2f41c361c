//! `Tenant` (+ optional state snapshot) to ordered operations with stable ids.
