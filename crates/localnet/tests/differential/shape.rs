//! What is compared: a response's *shape* (keys and value kinds, the values
//! themselves left out, since keys, hashes and slots differ run to run) and
//! chosen *facts* (values that must agree exactly), and how two
//! observations are diffed.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Every probe's observation by probe name; sorted, so the recorded file is
/// stable.
pub type Observations = BTreeMap<String, Value>;

/// The shape of a JSON value: objects keep their keys, scalars become their
/// kind, an array becomes the distinct shapes of its elements.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(n) if n.is_f64() => json!("float"),
        Value::Number(_) => json!("int"),
        Value::String(_) => json!("string"),
        Value::Array(items) => {
            let mut shapes: Vec<Value> = Vec::new();
            for item in items {
                let item = shape(item);
                if !shapes.contains(&item) {
                    shapes.push(item);
                }
            }
            shapes.sort_by_key(|s| s.to_string());
            Value::Array(shapes)
        }
        // Keys sorted, so two shapes print alike whatever order the
        // server wrote its fields in.
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| (key.clone(), shape(value)))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect::<Map<_, _>>(),
        ),
    }
}

/// A JSON-RPC response reduced to what must agree: the result's shape, or
/// the error's code, its message with numbers blanked, and its data's shape.
pub fn response_shape(response: &Value) -> Value {
    match response.get("error") {
        Some(error) => json!({ "error": error_facts(error) }),
        None => json!({ "result": shape(&response["result"]) }),
    }
}

pub fn error_facts(error: &Value) -> Value {
    let mut facts = json!({
        "code": error["code"],
        "message": blank_numbers(error["message"].as_str().unwrap_or_default()),
    });
    if let Some(data) = error.get("data") {
        facts["data"] = shape(data);
    }
    facts
}

/// Replaces each run of digits with `#`: slots and amounts in messages
/// differ between runs, the wording must not.
pub fn blank_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}

/// Program logs with what legitimately varies blanked: the event bytes
/// (they hold this run's keys) and the compute units (PDA bump searches
/// depend on the keys).
pub fn normalise_logs(logs: &Value) -> Value {
    let Some(lines) = logs.as_array() else {
        return shape(logs);
    };
    lines
        .iter()
        .map(|line| {
            let line = line.as_str().unwrap_or_default();
            if line.starts_with("Program data: ") {
                json!("Program data: <event>")
            } else if line.contains(" consumed ") {
                json!(blank_numbers(line))
            } else {
                json!(line)
            }
        })
        .collect()
}

/// One place where two observations disagree: the path into the
/// observations, and both values.
#[derive(Debug, Clone)]
pub struct Difference {
    pub path: String,
    pub validator: Value,
    pub embedded: Value,
}

/// Every path where `embedded` differs from `validator`.
pub fn diff(validator: &Observations, embedded: &Observations) -> Vec<Difference> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        validator.keys().chain(embedded.keys()).collect();
    for name in names {
        diff_values(
            name,
            validator.get(name).unwrap_or(&Value::Null),
            embedded.get(name).unwrap_or(&Value::Null),
            &mut out,
        );
    }
    out
}

fn diff_values(path: &str, validator: &Value, embedded: &Value, out: &mut Vec<Difference>) {
    match (validator, embedded) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let missing = Value::String("<absent>".into());
                diff_values(
                    &format!("{path}.{key}"),
                    a.get(key).unwrap_or(&missing),
                    b.get(key).unwrap_or(&missing),
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(Difference {
            path: path.to_string(),
            validator: a.clone(),
            embedded: b.clone(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_keep_keys_and_kinds_and_drop_values() {
        let value = json!({"a": 1, "b": [1, 2, "x"], "c": null, "d": 1.5});
        assert_eq!(
            shape(&value),
            json!({"a": "int", "b": ["int", "string"], "c": "null", "d": "float"})
        );
    }

    #[test]
    fn a_diff_names_the_path_and_missing_keys() {
        let mut a = Observations::new();
        let mut b = Observations::new();
        a.insert("p".into(), json!({"x": 1, "y": {"z": 2}}));
        b.insert("p".into(), json!({"x": 1, "y": {"z": 3, "w": 0}}));
        let paths: Vec<String> = diff(&a, &b).into_iter().map(|d| d.path).collect();
        assert_eq!(paths, vec!["p.y.w", "p.y.z"]);
    }

    #[test]
    fn numbers_in_messages_are_blanked() {
        assert_eq!(blank_numbers("slot 123 of 45"), "slot # of #");
    }
}
