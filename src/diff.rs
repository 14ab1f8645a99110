//! What deploying a new template does to a deployed stack: the resources added, removed and changed, the changed
//! properties with their values before and after, and which changes make CloudFormation replace the resource.
//! Which properties replace a resource comes from the CloudFormation resource reference's "Update requires:
//! Replacement" (cfn-lint's provider schemas, `createOnlyProperties`, agree in part only: they omit a table's
//! `KeySchema`, which the reference marks Replacement).

use serde::Serialize;
use serde_json::{Map, Value};

/// Properties whose change replaces a resource, for every type the stack holds (a test holds the list to the types
/// the templates render): the resource reference's "Update requires: Replacement", with cfn-lint's provider
/// schemas' `createOnlyProperties` where they name more. A type with no entry here replaces nothing but on a change
/// of `Type`.
const REPLACING: &[(&str, &[&str])] = &[
    (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        &["ResourceId", "ScalableDimension", "ServiceNamespace"],
    ),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        &[
            "PolicyName",
            "ResourceId",
            "ScalableDimension",
            "ScalingTargetId",
            "ServiceNamespace",
        ],
    ),
    ("AWS::CloudWatch::Alarm", &["AlarmName"]),
    ("AWS::CloudWatch::Dashboard", &["DashboardName"]),
    (
        "AWS::DynamoDB::Table",
        &["TableName", "KeySchema", "ImportSourceSpecification"],
    ),
    // A rule lives on one bus: another bus is a new rule (the reference's Replacement; the provider schema names
    // only `Name`).
    ("AWS::Events::Rule", &["Name", "EventBusName"]),
    ("AWS::IAM::Role", &["RoleName", "Path"]),
    ("AWS::IoT::TopicRule", &["RuleName"]),
    ("AWS::KMS::Key", &["KeySpec", "KeyUsage", "MultiRegion"]),
    (
        "AWS::Lambda::EventSourceMapping",
        &[
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
        ],
    ),
    (
        "AWS::Lambda::Function",
        &["FunctionName", "PackageType", "TenancyConfig"],
    ),
    (
        "AWS::Lambda::Permission",
        &[
            "Action",
            "EventSourceToken",
            "FunctionName",
            "FunctionUrlAuthType",
            "InvokedViaFunctionUrl",
            "Principal",
            "PrincipalOrgID",
            "SourceAccount",
            "SourceArn",
        ],
    ),
    ("AWS::Logs::LogGroup", &["LogGroupName"]),
    ("AWS::Logs::MetricFilter", &["FilterName", "LogGroupName"]),
    (
        "AWS::SNS::Subscription",
        &["Endpoint", "Protocol", "TopicArn"],
    ),
    ("AWS::SNS::Topic", &["TopicName", "FifoTopic"]),
    ("AWS::SNS::TopicPolicy", &[]),
    ("AWS::SQS::Queue", &["QueueName", "FifoQueue"]),
];

/// Types that hold data: replacing or removing one loses what it holds (or leaves it behind, when retained).
const STATEFUL: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
    "AWS::KMS::Key",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Added,
    Removed,
    Changed,
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub change: Kind,
    /// CloudFormation creates a new resource and deletes the old one (a changed type, or a replacing property).
    pub replaces: bool,
    /// It holds data: a table, a log group, a queue or a key.
    pub stateful: bool,
    pub properties: Vec<PropertyChange>,
}

impl Change {
    /// A stateful resource removed or replaced: what a deploy should not do unnoticed.
    pub fn loses_data(&self) -> bool {
        self.stateful && (self.change == Kind::Removed || self.replaces)
    }
}

/// One changed value of a resource, by its path (`Properties.KeySchema`, `DeletionPolicy`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyChange {
    pub path: String,
    /// Null when the property is new.
    pub before: Value,
    /// Null when the property is gone.
    pub after: Value,
    pub replaces: bool,
}

/// The template a deployed stack runs, from what `aws cloudformation get-template --output json` prints (its
/// `TemplateBody` an object, or text in JSON or YAML) or from a template file in JSON or YAML.
pub fn read_deployed(text: &str) -> Result<Value, String> {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(_) => read_yaml(text)?,
    };
    match value.get("TemplateBody") {
        Some(Value::String(body)) => match serde_json::from_str(body) {
            Ok(v) => Ok(v),
            Err(_) => read_yaml(body),
        },
        Some(body @ Value::Object(_)) => Ok(body.clone()),
        Some(_) => Err("`TemplateBody` is neither a template nor its text".to_owned()),
        None if value.get("Resources").is_some() => Ok(value),
        None => Err(
            "neither a template (no `Resources`) nor `aws cloudformation get-template` output (no `TemplateBody`)"
                .to_owned(),
        ),
    }
}

/// A CloudFormation YAML template as the JSON it stands for: the short-form tags (`!Ref`, `!GetAtt a.b`,
/// `!Sub`, ...) become their long forms.
pub fn read_yaml(text: &str) -> Result<Value, String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    yaml_to_json(doc)
}

fn yaml_to_json(v: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).map_err(|e| e.to_string())?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let Y::String(key) = k else {
                    return Err(format!("a key that is not a string: {k:?}"));
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag
                .strip_prefix('!')
                .ok_or_else(|| format!("a tag without `!`: {tag}"))?;
            let value = yaml_to_json(tagged.value)?;
            let (key, value) = match (name, value) {
                ("Ref", v) => ("Ref".to_owned(), v),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s
                        .split_once('.')
                        .ok_or_else(|| format!("!GetAtt {s} without a dot"))?;
                    (
                        "Fn::GetAtt".to_owned(),
                        Value::from(vec![resource, attribute]),
                    )
                }
                (name, v) => (format!("Fn::{name}"), v),
            };
            Value::Object(Map::from_iter([(key, value)]))
        }
    })
}

/// Every resource that differs between the deployed template and the new one, in logical ID order.
pub fn diff(deployed: &Value, new: &Value) -> Vec<Change> {
    let empty = Map::new();
    let resources = |t: &'_ Value| -> Map<String, Value> {
        t.get("Resources")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone()
    };
    let (before, after) = (resources(deployed), resources(new));
    let mut ids: Vec<&String> = before.keys().chain(after.keys()).collect();
    ids.sort();
    ids.dedup();
    let type_of = |r: &Value| {
        r.get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = Vec::new();
    for id in ids {
        let change = match (before.get(id), after.get(id)) {
            (None, Some(new)) => Change {
                logical_id: id.clone(),
                resource_type: type_of(new),
                change: Kind::Added,
                replaces: false,
                stateful: STATEFUL.contains(&type_of(new).as_str()),
                properties: Vec::new(),
            },
            (Some(old), None) => Change {
                logical_id: id.clone(),
                resource_type: type_of(old),
                change: Kind::Removed,
                replaces: false,
                stateful: STATEFUL.contains(&type_of(old).as_str()),
                properties: Vec::new(),
            },
            (Some(old), Some(new)) if old != new => {
                let ty = type_of(new);
                let replacing = REPLACING
                    .iter()
                    .find(|(t, _)| *t == ty)
                    .map_or(&[][..], |(_, p)| *p);
                let mut properties = Vec::new();
                compare(old, new, "", &mut properties);
                for p in &mut properties {
                    p.replaces = p
                        .path
                        .strip_prefix("Properties.")
                        .and_then(|rest| rest.split(['.', '[']).next())
                        .is_some_and(|name| replacing.contains(&name))
                        || p.path == "Type";
                }
                Change {
                    logical_id: id.clone(),
                    replaces: properties.iter().any(|p| p.replaces),
                    stateful: STATEFUL.contains(&ty.as_str())
                        || STATEFUL.contains(&type_of(old).as_str()),
                    resource_type: ty,
                    change: Kind::Changed,
                    properties,
                }
            }
            _ => continue,
        };
        out.push(change);
    }
    out
}

/// The paths at which two values differ: mappings key by key, anything else (lists included) as a whole.
fn compare(old: &Value, new: &Value, path: &str, out: &mut Vec<PropertyChange>) {
    if old == new {
        return;
    }
    if let (Value::Object(a), Value::Object(b)) = (old, new) {
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            compare(
                a.get(k).unwrap_or(&Value::Null),
                b.get(k).unwrap_or(&Value::Null),
                &child,
                out,
            );
        }
        return;
    }
    out.push(PropertyChange {
        path: path.to_owned(),
        before: old.clone(),
        after: new.clone(),
        replaces: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Source, synthesize};

    fn template(config: &str) -> Value {
        let s = synthesize(
            Source {
                name: "c.yaml",
                text: config,
            },
            Format::Json,
        )
        .unwrap();
        serde_json::from_str(&s.template).unwrap()
    }

    /// 0.1's key (`timestamp`, N) to 0.2's (`eventKey`, S): the table is replaced, as the CHANGELOG says.
    #[test]
    fn a_new_sort_key_replaces_the_table_and_loses_its_data() {
        let old = template(
            "pipelines:\n  - name: presence\n    table: {sort_key: {name: timestamp, type: N}}\n",
        );
        let new = template("pipelines:\n  - name: presence\n");
        let changes = diff(&old, &new);
        let table = changes
            .iter()
            .find(|c| c.logical_id == "PresenceTable")
            .unwrap();
        assert_eq!(table.change, Kind::Changed);
        assert!(
            table.replaces && table.stateful && table.loses_data(),
            "{table:#?}"
        );
        let key = table
            .properties
            .iter()
            .find(|p| p.path == "Properties.KeySchema")
            .unwrap();
        assert!(key.replaces);
        // The rule's SQL changes too, in place.
        let rule = changes
            .iter()
            .find(|c| c.logical_id == "PresenceRule")
            .unwrap();
        assert!(!rule.replaces && !rule.loses_data());
    }

    #[test]
    fn added_and_removed_resources_and_a_quiet_update() {
        let old = template("pipelines:\n  - name: presence\n    error_action: {kind: sqs}\n");
        let new = template(
            "pipelines:\n  - name: presence\n    table: {point_in_time_recovery: false}\n",
        );
        let changes = diff(&old, &new);
        let find = |id: &str| changes.iter().find(|c| c.logical_id == id).unwrap();
        assert_eq!(find("PresenceErrorLog").change, Kind::Added);
        let queue = find("PresenceErrorQueue");
        assert!(queue.change == Kind::Removed && queue.loses_data());
        let table = find("PresenceTable");
        assert!(!table.replaces, "{table:#?}");
        assert_eq!(diff(&new, &new), []);
    }

    #[test]
    fn get_template_output_and_yaml_templates_are_read() {
        let new = template("pipelines:\n  - name: presence\n");
        let body = serde_json::to_string(&new).unwrap();
        let printed = serde_json::json!({"TemplateBody": new, "StagesAvailable": ["Original"]});
        assert_eq!(read_deployed(&printed.to_string()).unwrap(), new);
        let as_text = serde_json::json!({"TemplateBody": body});
        assert_eq!(read_deployed(&as_text.to_string()).unwrap(), new);
        let yaml = synthesize(
            Source {
                name: "c.yaml",
                text: "pipelines:\n  - name: presence\n",
            },
            Format::Yaml,
        )
        .unwrap()
        .template;
        assert_eq!(read_deployed(&yaml).unwrap(), new);
        let yaml_body = serde_json::json!({"TemplateBody": yaml});
        assert_eq!(read_deployed(&yaml_body.to_string()).unwrap(), new);
        assert!(read_deployed("{\"a\": 1}").is_err());
    }

    /// Every resource type a template of the examples holds has its entry: a new type cannot slip in with its
    /// replacing properties unknown to `diff`.
    #[test]
    fn every_rendered_type_has_its_replacing_properties() {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut seen = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(examples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let t = template(&std::fs::read_to_string(&path).unwrap());
                for r in t["Resources"].as_object().unwrap().values() {
                    seen.insert(r["Type"].as_str().unwrap().to_owned());
                }
            }
        }
        assert!(seen.len() >= 15, "{seen:?}");
        for ty in &seen {
            assert!(
                REPLACING.iter().any(|(t, _)| t == ty),
                "{ty} is rendered but not in diff's REPLACING"
            );
        }
    }

    /// The notification address is a subscription's `Endpoint`: CloudFormation replaces the subscription (a new
    /// confirmation mail), which `diff` says; and a mapping moved to another stream is replaced.
    #[test]
    fn a_new_address_replaces_the_subscription() {
        let status = |email: &str| {
            template(&format!(
                "pipelines:\n  - name: presence\n    status:\n      enabled: true\n      notifications: {{email: {email}}}\n"
            ))
        };
        let changes = diff(&status("a@example.com"), &status("b@example.com"));
        let replaced: Vec<&str> = changes
            .iter()
            .filter(|c| c.replaces)
            .map(|c| c.resource_type.as_str())
            .collect();
        assert_eq!(replaced, ["AWS::SNS::Subscription"], "{changes:#?}");
        assert!(changes.iter().all(|c| !c.loses_data()));
    }

    /// The notifications' bus: the rules on it are replaced, nothing that holds data.
    #[test]
    fn another_bus_replaces_the_rules_on_it() {
        let bus = |name: &str| {
            template(&format!(
                "pipelines:\n  - name: presence\n    status:\n      enabled: true\n      notifications: {{email: a@example.com, event_bus_name: {name}}}\n"
            ))
        };
        let changes = diff(&bus("bus-a"), &bus("bus-b"));
        let rules: Vec<&Change> = changes
            .iter()
            .filter(|c| c.resource_type == "AWS::Events::Rule")
            .collect();
        assert!(
            !rules.is_empty() && rules.iter().all(|c| c.replaces),
            "{changes:#?}"
        );
        assert!(changes.iter().all(|c| !c.loses_data()));
    }
}
