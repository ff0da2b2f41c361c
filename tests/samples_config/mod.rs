//! The demo samples' cutover.toml with its `[migration]` table replaced by a test's own.

/// `toml` without its `[migration]` table (wherever it sits), then `[migration]` with `table`.
pub fn with_migration(toml: &str, table: &str) -> String {
    let mut kept = toml.to_string();
    if let Some(at) = kept.find("\n[migration]\n") {
        let end = kept[at + 1..]
            .find("\n[")
            .map_or(kept.len(), |e| at + 1 + e + 1);
        kept.replace_range(at + 1..end, "");
    }
    format!("{kept}\n[migration]\n{table}")
}

#[test]
fn the_samples_table_gives_way_wherever_it_is() {
    let toml = "[a]\nx = 1\n\n[migration]\nengine = \"none\"\n\n[b]\ny = 2\n";
    assert_eq!(
        with_migration(toml, "engine = \"native\"\n"),
        "[a]\nx = 1\n\n[b]\ny = 2\n\n[migration]\nengine = \"native\"\n"
    );
    let last = "[a]\nx = 1\n\n[migration]\nengine = \"none\"\n";
    assert_eq!(
        with_migration(last, "engine = \"native\"\n"),
        "[a]\nx = 1\n\n\n[migration]\nengine = \"native\"\n"
    );
    assert_eq!(
        with_migration("[a]\n", "e = 1\n"),
        "[a]\n\n[migration]\ne = 1\n"
    );
}
