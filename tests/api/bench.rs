//! `zhunru bench --smoke`: the whole benchmark at a tiny scale on SQLite, so it never
//! rots. It fails on errors (non-2xx answers, broken ledger or audit), not on missed
//! targets; the figures of a debug build mean nothing.
use serde_json::Value;

#[test]
fn bench_smoke_runs_end_to_end_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.json");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_zhunru"))
        .args(["bench", "--smoke", "--out"])
        .arg(&out)
        .current_dir(dir.path()) // the binary carries its templates: any directory will do
        .env_remove("DATABASE_URL")
        .env_remove("ZHUNRU_TEMPLATES")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "bench --smoke failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("| target | goal |"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let small = &report["scales"][0];
    assert_eq!(small["contracts"], 40);
    assert_eq!(small["ledger_breaches"], 0);
    assert!(small["write"]["ok"].as_u64().unwrap() > 0, "{small}");
    assert!(report["baselines"]["sqlite_insert_loop_per_second"].as_f64().unwrap() > 0.0);
    assert!(!report["targets"].as_array().unwrap().is_empty());
    assert!(dir.path().join("bench.md").exists());
}
