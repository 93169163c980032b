//! Command output: aligned text for people, JSON with stable field names
//! for scripts (`--output json`). A command returns a typed, serializable
//! result; this turns it into either form, so the two never disagree.

use serde::Serialize;
use serde_json::{Map, Value};

/// A serializable row of a table, with its columns in order.
pub trait TableRow: Serialize {
    const COLUMNS: &'static [&'static str];
}

pub enum Output {
    /// One record: `field: value` lines, or a JSON object.
    Record(Map<String, Value>),
    /// Rows under column headers, or a JSON array of objects.
    Table {
        columns: &'static [&'static str],
        rows: Vec<Map<String, Value>>,
    },
}

fn object<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        // Every command output is a struct; anything else is a bug here.
        other => Map::from_iter([("value".to_string(), other.unwrap_or(Value::Null))]),
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn pretty(value: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    )
}

impl Output {
    pub fn record<T: Serialize>(value: &T) -> Self {
        Self::Record(object(value))
    }

    pub fn table<T: TableRow>(rows: &[T]) -> Self {
        Self::Table {
            columns: T::COLUMNS,
            rows: rows.iter().map(object).collect(),
        }
    }

    pub fn render(&self, json: bool) -> String {
        match (self, json) {
            (Output::Record(fields), true) => pretty(&Value::Object(fields.clone())),
            (Output::Record(fields), false) => render_fields(fields),
            (Output::Table { rows, .. }, true) => pretty(&Value::Array(
                rows.iter().cloned().map(Value::Object).collect(),
            )),
            (Output::Table { columns, rows }, false) => render_table(columns, rows),
        }
    }
}

fn render_fields(fields: &Map<String, Value>) -> String {
    let width = fields.keys().map(String::len).max().unwrap_or(0);
    fields
        .iter()
        .map(|(k, v)| {
            let label = format!("{}:", k.replace('_', " "));
            format!("{label:<w$}  {}\n", cell(v), w = width + 1)
        })
        .collect()
}

fn render_table(columns: &[&str], rows: &[Map<String, Value>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.get(*c).map_or("-".into(), cell))
                .collect()
        })
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        task: &'static str,
        bounty_sol: &'static str,
        nodes: u32,
    }

    impl TableRow for Row {
        const COLUMNS: &'static [&'static str] = &["task", "bounty_sol", "nodes"];
    }

    #[test]
    fn records_and_tables_render_both_ways() {
        let record = Output::record(&Row {
            task: "T",
            bounty_sol: "1.5",
            nodes: 2,
        });
        assert_eq!(
            record.render(false),
            "task:        T\nbounty sol:  1.5\nnodes:       2\n"
        );
        let json: Value = serde_json::from_str(&record.render(true)).unwrap();
        assert_eq!(json["bounty_sol"], "1.5");
        let rows = [
            Row {
                task: "long-task",
                bounty_sol: "1",
                nodes: 0,
            },
            Row {
                task: "t",
                bounty_sol: "22",
                nodes: 3,
            },
        ];
        let table = Output::table(&rows);
        assert_eq!(
            table.render(false),
            "task       bounty sol  nodes\nlong-task  1           0\nt          22          3\n"
        );
        let json: Value = serde_json::from_str(&table.render(true)).unwrap();
        assert_eq!(json[1]["nodes"], 3);
    }
}
