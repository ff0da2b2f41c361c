//! A run's journal to summaries and reports; known errors to hints.
