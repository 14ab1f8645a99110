//! `simulate --write-requests`: the items a pipeline's rule would write for recorded events, as
//! `aws dynamodb batch-write-item --request-items` documents, so recorded events load into a table without
//! conversion by hand.
//!
//! The documents leave the table as the rule would: a later write under a key replaces the earlier one (so a
//! redelivery collapses into one request), and no document names a key twice, which `BatchWriteItem` refuses.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::AvMap;

/// BatchWriteItem takes at most 25 requests per call.
pub const MAX_BATCH: usize = 25;

/// The writes of one pipeline, one per key, in the order each key was first written.
#[derive(Debug, Default)]
pub struct WriteRequests {
    at: HashMap<String, usize>,
    items: Vec<Map<String, Value>>,
    /// Writes that landed on a key already written.
    collapsed: u64,
}

impl WriteRequests {
    pub fn new() -> WriteRequests {
        WriteRequests::default()
    }

    /// One write of `item` under `key`, as the simulator reports it: the last write of a key wins.
    pub fn add(&mut self, key: &Map<String, Value>, item: &Map<String, Value>) {
        let key = serde_json::to_string(&AvMap(key)).unwrap_or_default();
        match self.at.get(&key) {
            Some(&i) => {
                self.collapsed += 1;
                self.items[i] = item.clone();
            }
            None => {
                self.at.insert(key, self.items.len());
                self.items.push(item.clone());
            }
        }
    }

    /// How many items the documents put.
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// How many writes fell on a key written before (redeliveries, or events the key design does not tell apart).
    pub fn collapsed(&self) -> u64 {
        self.collapsed
    }

    /// One document per [`MAX_BATCH`] items, each `{"TABLE": [{"PutRequest": {"Item": ...}}, ...]}` on one line.
    pub fn documents(&self, table: &str) -> Vec<String> {
        self.items
            .chunks(MAX_BATCH)
            .map(|chunk| {
                let mut doc = String::from("{");
                doc.push_str(&Value::from(table).to_string());
                doc.push_str(":[");
                for (i, item) in chunk.iter().enumerate() {
                    if i > 0 {
                        doc.push(',');
                    }
                    doc.push_str("{\"PutRequest\":{\"Item\":");
                    doc.push_str(&serde_json::to_string(&AvMap(item)).unwrap_or_default());
                    doc.push_str("}}");
                }
                doc.push_str("]}");
                doc
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn one_request_per_key_the_last_write_wins_and_25_a_document() {
        let mut w = WriteRequests::new();
        for i in 0..30 {
            let key = obj(json!({"clientId": "d", "eventKey": format!("k{i}")}));
            w.add(
                &key,
                &obj(json!({"clientId": "d", "eventKey": format!("k{i}"), "n": i})),
            );
        }
        let key = obj(json!({"clientId": "d", "eventKey": "k3"}));
        w.add(
            &key,
            &obj(json!({"clientId": "d", "eventKey": "k3", "n": 99, "ok": true})),
        );
        assert_eq!((w.items(), w.collapsed()), (30, 1));
        let docs: Vec<Value> = w
            .documents("my-table")
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let sizes: Vec<usize> = docs
            .iter()
            .map(|d| d["my-table"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [25, 5]);
        assert_eq!(
            docs[0]["my-table"][3]["PutRequest"]["Item"],
            json!({"clientId": {"S": "d"}, "eventKey": {"S": "k3"}, "n": {"N": "99"}, "ok": {"BOOL": true}})
        );
    }
}
