//! Compute units per instruction on SBF, min and max over every test flow.
//!
//! ```sh
//! tools/sbf/build.sh
//! TASKNET_CU_LOG=/tmp/cu.log cargo test -p tasknet-tests --test sbf
//! cargo run -p tasknet-tests --bin cu-report -- /tmp/cu.log            # print the table
//! cargo run -p tasknet-tests --bin cu-report -- /tmp/cu.log --write docs/performance.md
//! ```
//!
//! `--write` replaces the table between the `<!-- cu-table -->` markers.

use std::collections::BTreeMap;
use std::process::ExitCode;

use tasknet_tests::compute_unit_ceiling;

const BEGIN: &str = "<!-- cu-table -->";
const END: &str = "<!-- /cu-table -->";

fn table(log: &str) -> Result<String, String> {
    let mut samples: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for line in log.lines() {
        // The name may hold spaces ("claim (token)"); the units are last.
        let (name, units) = line
            .rsplit_once(' ')
            .ok_or_else(|| format!("not 'name units': {line}"))?;
        let units = units.parse().map_err(|_| format!("not a number: {line}"))?;
        samples.entry(name).or_default().push(units);
    }
    if samples.is_empty() {
        return Err("the log is empty: run the SBF tests with TASKNET_CU_LOG set".into());
    }
    let mut out = String::from(
        "| instruction | transactions | min CU | max CU | ceiling |\n|---|---:|---:|---:|---:|\n",
    );
    for (name, units) in &samples {
        let (min, max) = (units.iter().min(), units.iter().max());
        out += &format!(
            "| `{name}` | {} | {} | {} | {} |\n",
            units.len(),
            min.copied().unwrap_or_default(),
            max.copied().unwrap_or_default(),
            compute_unit_ceiling(name)
        );
    }
    Ok(out)
}

fn write_into(doc: &str, table: &str) -> Result<String, String> {
    let (head, rest) = doc
        .split_once(BEGIN)
        .ok_or_else(|| format!("no {BEGIN} marker"))?;
    let (_, tail) = rest
        .split_once(END)
        .ok_or_else(|| format!("no {END} marker"))?;
    Ok(format!("{head}{BEGIN}\n{table}{END}{tail}"))
}

fn run(args: &[String]) -> Result<(), String> {
    let log_path = args
        .first()
        .ok_or("usage: cu-report <log> [--write <doc.md>]")?;
    let log = std::fs::read_to_string(log_path).map_err(|e| format!("{log_path}: {e}"))?;
    let table = table(&log)?;
    print!("{table}");
    if let [_, flag, doc_path] = args {
        if flag != "--write" {
            return Err(format!("unknown option {flag}"));
        }
        let doc = std::fs::read_to_string(doc_path).map_err(|e| format!("{doc_path}: {e}"))?;
        let updated = write_into(&doc, &table).map_err(|e| format!("{doc_path}: {e}"))?;
        std::fs::write(doc_path, updated).map_err(|e| format!("{doc_path}: {e}"))?;
        eprintln!("wrote the table into {doc_path}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
