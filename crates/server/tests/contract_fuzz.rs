//! Contract fuzzing: schemathesis generates thousands of requests from `/openapi.json` against the real
//! `plaza` binary and checks every response: no 5xx, no undocumented status, content type, headers and
//! body as documented, `405` with `Allow` for methods a path does not serve.
//!
//! Not checked: that every schema-valid request is accepted (`positive_data_acceptance`) and every
//! schema-invalid one refused (`negative_data_rejection`): Plaza's rules say more than JSON Schema can (an
//! image must decode, a name may not hold invisible characters), and unknown query parameters are ignored
//! by design. Left out: `GET /notifications/stream`, whose answer never ends by itself (it is checked by
//! `tests/api/live.rs` and the real-response test in `tests/api/contract.rs`); and no request may take
//! longer than 30 s.
//!
//! A plain `main` (`harness = false`): without schemathesis it says so and how to install it, and under CI
//! (`CI=true`) that fails the run.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/fuzz_verdict.rs"]
mod fuzz_verdict;

use fuzz_verdict::{Verdict, verdict};

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `SCHEMATHESIS`, the virtual environment `.ci/run` makes, or `schemathesis` on the `PATH`.
fn schemathesis() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let venv = workspace_root().join("target/schemathesis/bin/schemathesis");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("schemathesis")
        .arg("--version")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|_| PathBuf::from("schemathesis"))
}

fn main() -> ExitCode {
    let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
    let Some(schemathesis) = schemathesis() else {
        if ci {
            eprintln!("contract fuzzing: FAILED to start under CI: schemathesis is not installed");
            return ExitCode::FAILURE;
        }
        println!(
            "\ncontract fuzzing: SKIPPED — schemathesis is not installed.\n  To run it: \
             `python3 -m venv target/schemathesis && target/schemathesis/bin/pip install schemathesis`, \
             then `cargo test --workspace` again.\n"
        );
        return ExitCode::SUCCESS;
    };
    let data = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("contract fuzzing: no temporary directory: {error}");
            return ExitCode::FAILURE;
        }
    };
    let plaza = match binary::Plaza::start(data.path(), &[], &[]) {
        Ok(plaza) => plaza,
        Err(why) => {
            eprintln!("contract fuzzing: {why}");
            return ExitCode::FAILURE;
        }
    };
    let token = match token(&plaza.base) {
        Ok(token) => token,
        Err(why) => {
            eprintln!("contract fuzzing: cannot log in: {why}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "\ncontract fuzzing of {}/openapi.json with {}",
        plaza.base,
        schemathesis.display()
    );
    let mut verdict = fuzz(&schemathesis, data.path(), &plaza.base, &token, 1);
    if let Verdict::ToolCrashed(ref errors) = verdict {
        // A crash inside schemathesis is not a finding about Plaza: say so loudly and try once more.
        println!(
            "\n!!! contract fuzzing: schemathesis itself CRASHED ({errors}); no check failed. \
             Running it once more with the next seed; a second crash fails the run.\n"
        );
        verdict = fuzz(&schemathesis, data.path(), &plaza.base, &token, 2);
    }
    drop(plaza);
    let ok = matches!(verdict, Verdict::Passed);
    match &verdict {
        Verdict::Passed => println!("contract fuzzing: no check failed"),
        Verdict::Findings(what) => eprintln!("contract fuzzing: FINDINGS: {what}"),
        Verdict::ToolCrashed(errors) => {
            eprintln!("contract fuzzing: schemathesis crashed twice ({errors}): FAILED")
        }
        Verdict::NotRun(why) => eprintln!("contract fuzzing: {why}"),
    }
    println!(
        "test result: {}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out\n",
        if ok { "ok" } else { "FAILED" },
        u8::from(ok),
        u8::from(!ok)
    );
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The seed of the first run, and of the one rerun after a crash of the tool: a crash its seed brings about
/// would come again with the same seed.
const SEEDS: [&str; 2] = ["20261126", "20261127"];
/// Longer than any run has taken (about two minutes): past it schemathesis is stopped and counted as
/// crashed, so a hung tool cannot hold CI.
const RUN_LIMIT: Duration = Duration::from_secs(15 * 60);

/// One deterministic run: a fixed seed, a bounded number of examples per operation, one worker (so the
/// server sees the same requests in the same order every time). The verdict is read from schemathesis'
/// JSON report, which tells check failures from errors and names each error.
fn fuzz(schemathesis: &Path, dir: &Path, base: &str, token: &str, attempt: usize) -> Verdict {
    // Kept under target/ after the run, for whoever reads a failure.
    let report = workspace_root().join(format!("target/schemathesis-report-{attempt}.json"));
    let _ = std::fs::remove_file(&report);
    let (stdout, stderr) = (
        dir.join(format!("out-{attempt}")),
        dir.join(format!("err-{attempt}")),
    );
    let files = std::fs::File::create(&stdout).and_then(|out| Ok((out, std::fs::File::create(&stderr)?)));
    let (out, err) = match files {
        Ok(files) => files,
        Err(error) => return Verdict::NotRun(format!("cannot write schemathesis' output: {error}")),
    };
    let child = Command::new(schemathesis)
        .current_dir(dir)
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args([
            "--max-examples",
            "60",
            "--workers",
            "1",
            "--seed",
            SEEDS[attempt - 1],
        ])
        .args(["--suppress-health-check", "all"])
        .args(["--exclude-operation-id", "stream_notifications"])
        .args(["--request-timeout", "30"])
        .args(["--report", "json", "--report-json-path"])
        .arg(&report)
        .stdout(out)
        .stderr(err)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => return Verdict::NotRun(format!("cannot run schemathesis: {error}")),
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < RUN_LIMIT => std::thread::sleep(Duration::from_millis(200)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let output = std::process::Output {
        status: status.unwrap_or_default(),
        stdout: std::fs::read(&stdout).unwrap_or_default(),
        stderr: std::fs::read(&stderr).unwrap_or_default(),
    };
    if status.is_none() {
        print!("{}", String::from_utf8_lossy(&output.stdout));
        return Verdict::ToolCrashed(format!("it did not finish within {} s", RUN_LIMIT.as_secs()));
    }
    let printed = String::from_utf8_lossy(&output.stdout);
    let verdict = verdict(output.status.success(), std::fs::read_to_string(&report).ok());
    // The whole report unless it passed; its summary otherwise.
    if matches!(verdict, Verdict::Passed) {
        for line in printed.lines().skip_while(|line| !line.contains("SUMMARY")) {
            println!("{line}");
        }
        if let Some(mismatch) = std::fs::read_to_string(&report)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .map(|report| report["warnings"]["validation_mismatch"].clone())
        {
            println!("operations that mostly refused generated data: {mismatch}");
        }
    } else {
        print!("{printed}");
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
    }
    verdict
}

/// Registers a user and logs in, so protected routes are exercised too.
fn token(base: &str) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let body = serde_json::json!({"username": "fuzzer", "email": "fuzzer@example.org", "password": "fuzzer-password-1"});
    agent
        .post(format!("{base}/users/"))
        .content_type("application/json")
        .send(body.to_string())
        .map_err(|error| error.to_string())?;
    let mut response = agent
        .post(format!("{base}/token"))
        .content_type("application/x-www-form-urlencoded")
        .send("username=fuzzer&password=fuzzer-password-1")
        .map_err(|error| error.to_string())?;
    let body: serde_json::Value =
        serde_json::from_slice(&response.body_mut().read_to_vec().map_err(|e| e.to_string())?)
            .map_err(|error| error.to_string())?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no token in {body}"))
}
