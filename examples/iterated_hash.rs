//! The tasknet example task as an external command.
//!
//! Reads one JSON request on stdin and writes one JSON response on stdout:
//!
//! ```text
//! {"op":"execute","task":"<pubkey>","round":3,"seed":"<hex>"}              -> {"payload":"<hex>"}
//! {"op":"audit","task":..,"round":..,"seed":..,"node":..,"payload":"<hex>"} -> {"valid":true}
//! ```
//!
//! The work: 10 000 iterations of sha256 over the round's seed, which every
//! node derives the same way, so honest answers agree and any answer can be
//! checked by recomputing it. The node submits the payload's sha256 and
//! serves the payload itself to auditors. Run a node with it:
//! `tasknet node run --task <TASK> --command target/debug/examples/iterated_hash`.

use std::io::Read;
use std::process::ExitCode;

use tasknet_node::code::{iterated_hash, Request, Response, EXAMPLE_ITERATIONS};

fn seed(hex_seed: &str) -> Result<[u8; 32], String> {
    hex::decode(hex_seed)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "seed must be 32 bytes".to_string())
}

fn answer(request: Request) -> Result<Response, String> {
    Ok(match request {
        Request::Execute { seed: s, round, .. } => {
            eprintln!("iterated_hash: round {round}, {EXAMPLE_ITERATIONS} iterations");
            Response::Payload {
                payload: hex::encode(iterated_hash(&seed(&s)?, EXAMPLE_ITERATIONS)),
            }
        }
        Request::Audit {
            seed: s, payload, ..
        } => Response::Verdict {
            valid: payload == hex::encode(iterated_hash(&seed(&s)?, EXAMPLE_ITERATIONS)),
        },
    })
}

fn main() -> ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("error: reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    let request = match serde_json::from_str::<Request>(&input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: bad request: {e}");
            return ExitCode::FAILURE;
        }
    };
    match answer(request) {
        Ok(response) => {
            println!("{}", serde_json::to_string(&response).expect("serializes"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
