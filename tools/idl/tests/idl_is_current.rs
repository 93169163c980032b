//! Fails when idls/tasknet.json no longer matches the program.

#[test]
fn committed_idl_matches_the_program() {
    let fresh = tasknet_idl::build_idl_json().expect("IDL builds");
    let committed = std::fs::read_to_string(tasknet_idl::idl_path()).unwrap_or_default();
    assert!(
        committed == fresh,
        "idls/tasknet.json is stale: run `cargo run -p tasknet-idl` and commit the result"
    );
}
