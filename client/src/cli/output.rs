//! Command output: aligned text for people, JSON with stable field names
//! for scripts (`--output json`).

use serde_json::{Map, Value};

pub enum Output {
    /// One record: `field: value` lines, or a JSON object.
    Fields(Vec<(&'static str, Value)>),
    /// Rows under column headers, or a JSON array of objects.
    Table {
        columns: Vec<&'static str>,
        rows: Vec<Vec<Value>>,
    },
}

fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

impl Output {
    pub fn render(&self, json: bool) -> String {
        match (self, json) {
            (Output::Fields(fields), true) => {
                let map: Map<String, Value> = fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect();
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&Value::Object(map)).expect("serializes")
                )
            }
            (Output::Fields(fields), false) => {
                let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                fields
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{:<width$}  {}\n",
                            format!("{}:", k.replace('_', " ")),
                            cell(v),
                            width = width + 1
                        )
                    })
                    .collect()
            }
            (Output::Table { columns, rows }, true) => {
                let list: Vec<Value> = rows
                    .iter()
                    .map(|row| {
                        Value::Object(
                            columns
                                .iter()
                                .map(|c| c.to_string())
                                .zip(row.iter().cloned())
                                .collect(),
                        )
                    })
                    .collect();
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&Value::Array(list)).expect("serializes")
                )
            }
            (Output::Table { columns, rows }, false) => {
                let cells: Vec<Vec<String>> =
                    rows.iter().map(|r| r.iter().map(cell).collect()).collect();
                let widths: Vec<usize> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        cells
                            .iter()
                            .map(|r| r[i].len())
                            .chain([c.len()])
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                let line = |values: Vec<String>| {
                    let mut s = values
                        .iter()
                        .zip(&widths)
                        .map(|(v, w)| format!("{v:<w$}"))
                        .collect::<Vec<_>>()
                        .join("  ");
                    s.truncate(s.trim_end().len());
                    s + "\n"
                };
                let mut out = line(columns.iter().map(|c| c.replace('_', " ")).collect());
                for row in cells {
                    out += &line(row);
                }
                out
            }
        }
    }
}
