//! `cargo run -p tasknet-idl` writes idls/tasknet.json;
//! `cargo run -p tasknet-idl -- --check` fails if the committed IDL is stale.

use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let path = tasknet_idl::idl_path();
    let fresh = match tasknet_idl::build_idl_json() {
        Ok(json) => json,
        Err(e) => {
            eprintln!("error: building the IDL failed: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == fresh {
            println!("{} is current", path.display());
            ExitCode::SUCCESS
        } else {
            eprintln!(
                "error: {} is stale; run `cargo run -p tasknet-idl`",
                path.display()
            );
            ExitCode::FAILURE
        }
    } else {
        if let Err(e) = std::fs::write(&path, fresh) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
        ExitCode::SUCCESS
    }
}
