//! The load benchmark in smoke mode (a small data set, a second per scenario, the debug binary): it runs
//! in CI so that it cannot rot. The full run and its figures are in docs/performance.md, never asserted.
//! What is checked here holds at any size: every answer 2xx (logins may also be told to come back, `503`
//! with `Retry-After`, when more arrive than the cores can hash), no socket error, and tickets sold are the
//! purchases acknowledged (plus at most the ones still in flight when wrk stopped counting).
//!
//! A plain `main` (`harness = false`): without `wrk` it says so, and under CI (`CI=true`) that fails.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        if ci {
            eprintln!("benchmark smoke run: FAILED to start under CI: wrk is not installed");
            return ExitCode::FAILURE;
        }
        println!("\nbenchmark smoke run: SKIPPED — wrk is not installed (Debian: apt-get install wrk).\n");
        return ExitCode::SUCCESS;
    }
    let options = plaza_bench::Options::smoke(PathBuf::from(env!("CARGO_BIN_EXE_plaza")));
    let report = match plaza_bench::run(&options) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("benchmark smoke run: {error:#}");
            println!("test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n");
            return ExitCode::FAILURE;
        }
    };
    println!("\n{}", plaza_bench::table(&report));
    let mut problems = Vec::new();
    for scenario in &report.scenarios {
        let refused = if scenario.request == "POST /token" {
            0
        } else {
            scenario.measured.non_2xx
        };
        if refused > 0 || scenario.measured.errors > 0 || scenario.measured.requests == 0 {
            problems.push(format!(
                "{}: {} requests, {} non-2xx, {} socket errors",
                scenario.name,
                scenario.measured.requests,
                scenario.measured.non_2xx,
                scenario.measured.errors
            ));
        }
    }
    let in_flight = i64::from(report.connections);
    if report.tickets_sold < report.tickets_acknowledged
        || report.tickets_sold > report.tickets_acknowledged + in_flight
    {
        problems.push(format!(
            "tickets sold {} but purchases acknowledged {}",
            report.tickets_sold, report.tickets_acknowledged
        ));
    }
    for problem in &problems {
        eprintln!("benchmark smoke run: {problem}");
    }
    let ok = problems.is_empty();
    println!(
        "test result: {}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out\n",
        if ok { "ok" } else { "FAILED" },
        u8::from(ok),
        u8::from(!ok)
    );
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
