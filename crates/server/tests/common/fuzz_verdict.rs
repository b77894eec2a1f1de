//! How a schemathesis run ended, read from its JSON report: a finding about Plaza, or a crash of the tool
//! itself. Shared by `tests/contract_fuzz.rs` (which has no test harness) and `tests/api` (which tests it).

/// How one schemathesis run ended.
#[derive(Debug)]
pub enum Verdict {
    Passed,
    /// A check failed, or Plaza did not answer (network errors, timeouts, an unhealthy API): about Plaza.
    Findings(String),
    /// Schemathesis raised an error of its own (a bug in the tool, such as the `KeyError` its coverage
    /// phase once raised after 3,809 passing cases) and no check failed.
    ToolCrashed(String),
    NotRun(String),
}

/// Errors schemathesis reports that are its own, not the server's: an exception inside the tool.
const TOOL_ERRORS: [&str; 2] = ["Runtime Error", "Test Execution Error"];

/// The verdict from the exit status and the JSON report (`None` when schemathesis wrote none).
pub fn verdict(succeeded: bool, report: Option<String>) -> Verdict {
    let report: Option<serde_json::Value> = report.and_then(|text| serde_json::from_str(&text).ok());
    let Some(report) = report else {
        return if succeeded {
            Verdict::Passed
        } else {
            Verdict::ToolCrashed("it wrote no report".into())
        };
    };
    let titles = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["title"].as_str().map(str::to_owned))
            .collect()
    };
    let (failures, errors) = (titles("failures"), titles("errors"));
    if !failures.is_empty() {
        return Verdict::Findings(format!("failed checks: {}", failures.join("; ")));
    }
    let (tool, server): (Vec<String>, Vec<String>) = errors
        .into_iter()
        .partition(|title| TOOL_ERRORS.contains(&title.as_str()));
    if !server.is_empty() {
        return Verdict::Findings(format!("errors: {}", server.join("; ")));
    }
    match (succeeded, tool.is_empty()) {
        (true, true) => Verdict::Passed,
        (_, false) => Verdict::ToolCrashed(tool.join("; ")),
        (false, true) => Verdict::ToolCrashed("it failed without naming a failure or an error".into()),
    }
}
