//! What AWS IoT publishes on its reserved lifecycle topics: the event kinds, the topics they arrive on and the
//! fields their payloads carry, with types. The rest of the crate asks this module instead of spelling topic
//! strings or field names itself.

use serde::{Deserialize, Serialize};

use crate::sql::{Expr, build};

/// One kind of lifecycle event, as the config names it (and as the payload's `eventType` spells it).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Connected,
    Disconnected,
    ConnectFailed,
    Subscribed,
    Unsubscribed,
}

/// The two reserved topic families. One rule reads one family: its FROM clause has a single filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Presence,
    Subscriptions,
}

impl Family {
    /// The topic prefix below which every event of this family is published, followed by `<eventType>/<clientId>`.
    pub fn topic_prefix(self) -> &'static str {
        match self {
            Family::Presence => "$aws/events/presence",
            Family::Subscriptions => "$aws/events/subscriptions",
        }
    }
}

/// The type of a payload field, in DynamoDB's vocabulary (what the DynamoDBv2 action stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Bool,
    StringList,
}

/// A field of a lifecycle payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// False for fields AWS leaves out of some events (`thingName` only comes with exclusive things).
    pub always: bool,
}

const fn field(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        always: true,
    }
}

const fn sometimes(name: &'static str, ty: FieldType) -> Field {
    Field {
        name,
        ty,
        always: false,
    }
}

use FieldType::{Bool, Number, String as Str, StringList};

const CONNECTED: &[Field] = &[
    field("clientId", Str),
    field("timestamp", Number),
    field("eventType", Str),
    field("sessionIdentifier", Str),
    field("principalIdentifier", Str),
    field("ipAddress", Str),
    field("versionNumber", Number),
    sometimes("thingName", Str),
];

const DISCONNECTED: &[Field] = &[
    field("clientId", Str),
    field("timestamp", Number),
    field("eventType", Str),
    field("sessionIdentifier", Str),
    field("principalIdentifier", Str),
    field("clientInitiatedDisconnect", Bool),
    field("disconnectReason", Str),
    field("versionNumber", Number),
    sometimes("ipAddress", Str),
    sometimes("thingName", Str),
];

const CONNECT_FAILED: &[Field] = &[
    field("clientId", Str),
    field("timestamp", Number),
    field("eventType", Str),
    field("connectFailureReason", Str),
    sometimes("thingName", Str),
];

/// The "Lifecycle events" page says, for all lifecycle messages, that `thingName` is included only when the
/// client connects with the exclusive thing feature; its subscribe example shows none. Listed as sometimes there,
/// so no check calls a rule reading it impossible.
const SUBSCRIPTION: &[Field] = &[
    field("clientId", Str),
    field("timestamp", Number),
    field("eventType", Str),
    field("sessionIdentifier", Str),
    field("principalIdentifier", Str),
    field("topics", StringList),
    sometimes("thingName", Str),
];

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Connected,
        EventKind::Disconnected,
        EventKind::ConnectFailed,
        EventKind::Subscribed,
        EventKind::Unsubscribed,
    ];

    /// The value of the payload's `eventType` field and the topic level that names the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Connected => "connected",
            EventKind::Disconnected => "disconnected",
            EventKind::ConnectFailed => "connect_failed",
            EventKind::Subscribed => "subscribed",
            EventKind::Unsubscribed => "unsubscribed",
        }
    }

    pub fn family(self) -> Family {
        match self {
            EventKind::Connected | EventKind::Disconnected | EventKind::ConnectFailed => {
                Family::Presence
            }
            EventKind::Subscribed | EventKind::Unsubscribed => Family::Subscriptions,
        }
    }

    /// The topic AWS IoT publishes this kind on for one client.
    pub fn topic(self, client_id: &str) -> String {
        let mut topic = String::with_capacity(self.topic_len(client_id));
        self.write_topic(client_id, &mut topic);
        topic
    }

    fn topic_len(self, client_id: &str) -> usize {
        self.family().topic_prefix().len() + self.as_str().len() + client_id.len() + 2
    }

    /// [`EventKind::topic`] into `topic`, replacing what it held: simulate derives a topic for every event it
    /// reads, into one buffer.
    pub fn write_topic(self, client_id: &str, topic: &mut String) {
        topic.clear();
        topic.reserve(self.topic_len(client_id));
        for part in [
            self.family().topic_prefix(),
            "/",
            self.as_str(),
            "/",
            client_id,
        ] {
            topic.push_str(part);
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            EventKind::Connected => CONNECTED,
            EventKind::Disconnected => DISCONNECTED,
            EventKind::ConnectFailed => CONNECT_FAILED,
            EventKind::Subscribed | EventKind::Unsubscribed => SUBSCRIPTION,
        }
    }

    pub fn field(self, name: &str) -> Option<Field> {
        self.fields().iter().copied().find(|f| f.name == name)
    }

    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The reserved topic space below which AWS IoT publishes every lifecycle event (both [`Family`] prefixes).
pub const RESERVED_EVENTS_PREFIX: &str = "$aws/events/";

/// The topics AWS IoT reserves below `$aws/` and publishes on (or lets clients publish on), as topic filters: `+`
/// for a name (thing, job, certificate, shadow, payload format), `#` where a client ID ends the topic (it may
/// contain `/`). No client may publish anywhere else below `$aws/`, so a rule whose FROM filter matches none of
/// these reads nothing.
///
/// From the AWS IoT developer guide, "Reserved topics"
/// (<https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html>), "Lifecycle events"
/// (<https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html>, for `connect_failed`) and
/// "Command execution events" (<https://docs.aws.amazon.com/iot/latest/developerguide/command-events.html>) and
/// "Resolving device location using AWS IoT Core Device Location MQTT topics"
/// (<https://docs.aws.amazon.com/iot/latest/developerguide/device-location-reserved-topics.html>).
/// AWS adds families over time: the check calls a filter far from all of these unknown, not wrong.
pub const RESERVED_TOPICS: &[&str] = &[
    // Lifecycle events.
    "$aws/events/presence/connected/#",
    "$aws/events/presence/disconnected/#",
    "$aws/events/presence/connect_failed/#",
    "$aws/events/subscriptions/subscribed/#",
    "$aws/events/subscriptions/unsubscribed/#",
    // Registry events.
    "$aws/events/thing/+/created",
    "$aws/events/thing/+/updated",
    "$aws/events/thing/+/deleted",
    "$aws/events/thingGroup/+/created",
    "$aws/events/thingGroup/+/updated",
    "$aws/events/thingGroup/+/deleted",
    "$aws/events/thingType/+/created",
    "$aws/events/thingType/+/updated",
    "$aws/events/thingType/+/deleted",
    "$aws/events/thingTypeAssociation/thing/+/+",
    "$aws/events/thingGroupMembership/thingGroup/+/thing/+/added",
    "$aws/events/thingGroupMembership/thingGroup/+/thing/+/removed",
    "$aws/events/thingGroupHierarchy/thingGroup/+/childThingGroup/+/added",
    "$aws/events/thingGroupHierarchy/thingGroup/+/childThingGroup/+/removed",
    // Certificate, job and command events.
    "$aws/events/certificates/registered/+",
    "$aws/events/job/+/completed",
    "$aws/events/job/+/canceled",
    "$aws/events/job/+/deleted",
    "$aws/events/job/+/cancellation_in_progress",
    "$aws/events/job/+/deletion_in_progress",
    "$aws/events/jobExecution/+/succeeded",
    "$aws/events/jobExecution/+/failed",
    "$aws/events/jobExecution/+/rejected",
    "$aws/events/jobExecution/+/canceled",
    "$aws/events/jobExecution/+/timed_out",
    "$aws/events/jobExecution/+/removed",
    "$aws/events/jobExecution/+/deleted",
    "$aws/events/commandExecution/+/#",
    // Device shadows, classic and named.
    "$aws/things/+/shadow/delete",
    "$aws/things/+/shadow/delete/accepted",
    "$aws/things/+/shadow/delete/rejected",
    "$aws/things/+/shadow/get",
    "$aws/things/+/shadow/get/accepted",
    "$aws/things/+/shadow/get/rejected",
    "$aws/things/+/shadow/update",
    "$aws/things/+/shadow/update/accepted",
    "$aws/things/+/shadow/update/rejected",
    "$aws/things/+/shadow/update/delta",
    "$aws/things/+/shadow/update/documents",
    "$aws/things/+/shadow/name/+/delete",
    "$aws/things/+/shadow/name/+/delete/accepted",
    "$aws/things/+/shadow/name/+/delete/rejected",
    "$aws/things/+/shadow/name/+/get",
    "$aws/things/+/shadow/name/+/get/accepted",
    "$aws/things/+/shadow/name/+/get/rejected",
    "$aws/things/+/shadow/name/+/update",
    "$aws/things/+/shadow/name/+/update/accepted",
    "$aws/things/+/shadow/name/+/update/rejected",
    "$aws/things/+/shadow/name/+/update/delta",
    "$aws/things/+/shadow/name/+/update/documents",
    // Jobs (the device API; its notify topics gain variants, hence the tail).
    "$aws/things/+/jobs/#",
    // Device Defender, secure tunneling, MQTT-based file delivery.
    "$aws/things/+/defender/metrics/+",
    "$aws/things/+/defender/metrics/+/accepted",
    "$aws/things/+/defender/metrics/+/rejected",
    "$aws/things/+/tunnels/notify",
    "$aws/things/+/streams/+/data/+",
    "$aws/things/+/streams/+/get/+",
    "$aws/things/+/streams/+/description/+",
    "$aws/things/+/streams/+/describe/+",
    "$aws/things/+/streams/+/rejected/+",
    // Fleet provisioning.
    "$aws/certificates/create/+",
    "$aws/certificates/create/+/accepted",
    "$aws/certificates/create/+/rejected",
    "$aws/certificates/create-from-csr/+",
    "$aws/certificates/create-from-csr/+/accepted",
    "$aws/certificates/create-from-csr/+/rejected",
    "$aws/provisioning-templates/+/provision/+",
    "$aws/provisioning-templates/+/provision/+/accepted",
    "$aws/provisioning-templates/+/provision/+/rejected",
    // Device Location.
    "$aws/device_location/+/get_position_estimate",
    "$aws/device_location/+/get_position_estimate/accepted",
    "$aws/device_location/+/get_position_estimate/rejected",
    // Basic Ingest, IoT SiteWise, commands.
    "$aws/rules/#",
    "$aws/sitewise/asset-models/+/assets/+/properties/+",
    "$aws/commands/#",
];

/// Where AWS lists its reserved topics, for a user who meets a family [`RESERVED_TOPICS`] lacks.
pub const RESERVED_TOPICS_SOURCE: &str =
    "https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html";

/// The first level of every reserved topic.
pub const RESERVED_ROOT: &str = "$aws";

/// The payload field that names the event's kind ([`EventKind::as_str`]).
pub const EVENT_TYPE_FIELD: &str = "eventType";

/// The topic level (`topic(n)` counts from 1) that names the event's kind: `$aws/events/<family>/<kind>/<client>`.
pub const KIND_TOPIC_LEVEL: usize = 4;

/// The fields that every lifecycle payload carries, whatever its kind. A rule selecting `*` can rely on them.
pub const COMMON_FIELDS: [&str; 3] = ["clientId", "timestamp", "eventType"];

/// The `disconnectReason` of a connection that another connection with the same client ID took over.
pub const TAKEOVER_REASON: &str = "DUPLICATE_CLIENTID";

/// The default sort key: one string per distinct event of a client, computed by the rule.
pub const EVENT_KEY: &str = "eventKey";

/// The separator between the parts of [`EVENT_KEY`]. No part can contain it: numbers, event types, session
/// identifiers (UUIDs) and hex digests.
pub const EVENT_KEY_SEPARATOR: &str = "#";

impl EventKind {
    /// What, beside `timestamp` and `eventType`, tells two events of this kind and one client apart:
    ///
    /// - a connect or disconnect belongs to one connection, named by `sessionIdentifier` and `versionNumber`
    ///   together (a resumed persistent session keeps its identifier across connections); a takeover's
    ///   disconnect and the new connect, stamped in one millisecond, differ in `eventType`;
    /// - a subscription event is one SUBSCRIBE or UNSUBSCRIBE packet of a session: two of one millisecond differ
    ///   in their `topics`;
    /// - a failed connect carries nothing that names an attempt: two of one client in one millisecond are the
    ///   same document, and no key computed from the payload can tell them apart.
    ///
    /// A redelivery carries the same values, so it lands on the same key and replaces an identical item.
    pub fn identity_fields(self) -> &'static [&'static str] {
        match self {
            EventKind::Connected | EventKind::Disconnected => {
                &["sessionIdentifier", "versionNumber"]
            }
            EventKind::Subscribed | EventKind::Unsubscribed => &["sessionIdentifier", "topics"],
            EventKind::ConnectFailed => &[],
        }
    }
}

/// The IoT SQL expression of [`EVENT_KEY`] for a rule that reads `kinds` (of one family):
/// `timestamp#eventType#<identity fields>`. The epoch milliseconds come first, so items of a client sort by time
/// (as strings, which is numeric order while timestamps have 13 digits: from September 2001 to the year 2286).
/// Arrays (a subscription's `topics`) are cast to their JSON text and hashed with `md5`, so the key stays far
/// below DynamoDB's 1,024 bytes for a sort key however many topics one packet names. Kinds with different identity fields (a presence pipeline that keeps
/// `connect_failed`) get a `CASE` on `eventType`, so no part is ever Undefined (which would make the whole key
/// Undefined and the write fail).
pub fn event_key_expression(kinds: &[EventKind]) -> String {
    event_key_tree(kinds).to_string()
}

/// [`event_key_expression`] as a tree, for the generated rule to select.
pub fn event_key_tree(kinds: &[EventKind]) -> Expr {
    let concat = |fields: &[&str]| {
        let mut parts = vec![build::field("timestamp"), build::field("eventType")];
        for f in fields {
            let is_list = kinds
                .iter()
                .filter_map(|k| k.field(f))
                .any(|field| field.ty == FieldType::StringList);
            parts.push(if is_list {
                build::call("md5", vec![build::cast(build::field(f), "String")])
            } else {
                build::field(f)
            });
        }
        let mut args = Vec::with_capacity(parts.len() * 2);
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                args.push(build::string(EVENT_KEY_SEPARATOR));
            }
            args.push(part);
        }
        build::call("concat", args)
    };
    let mut groups: Vec<(&[&str], Vec<EventKind>)> = Vec::new();
    for &k in kinds {
        match groups.iter_mut().find(|(f, _)| *f == k.identity_fields()) {
            Some((_, ks)) => ks.push(k),
            None => groups.push((k.identity_fields(), vec![k])),
        }
    }
    match groups.split_last() {
        None => concat(&[]),
        Some(((fields, _), [])) => concat(fields),
        Some(((last, _), rest)) => {
            let branches = rest
                .iter()
                .flat_map(|(fields, ks)| {
                    ks.iter()
                        .map(|k| (build::string(k.as_str()), concat(fields)))
                })
                .collect();
            build::case(build::field("eventType"), branches, concat(last))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_follow_the_reserved_layout() {
        assert_eq!(
            EventKind::Connected.topic("thing_1"),
            "$aws/events/presence/connected/thing_1"
        );
        assert_eq!(
            EventKind::Unsubscribed.topic("a"),
            "$aws/events/subscriptions/unsubscribed/a"
        );
        assert_eq!(
            EventKind::ConnectFailed.topic("x"),
            "$aws/events/presence/connect_failed/x"
        );
    }

    #[test]
    fn every_kind_carries_the_common_fields() {
        for kind in EventKind::ALL {
            for name in COMMON_FIELDS {
                let f = kind
                    .field(name)
                    .unwrap_or_else(|| panic!("{kind:?} lacks {name}"));
                assert!(f.always);
            }
        }
    }

    #[test]
    fn event_keys_name_what_tells_events_apart() {
        use EventKind::*;
        assert_eq!(
            event_key_expression(&[Connected, Disconnected]),
            "concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', versionNumber)"
        );
        assert_eq!(
            event_key_expression(&[Subscribed]),
            "concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', md5(cast(topics AS String)))"
        );
        assert_eq!(
            event_key_expression(&[ConnectFailed]),
            "concat(timestamp, '#', eventType)"
        );
        assert_eq!(
            event_key_expression(&[Connected, ConnectFailed, Disconnected]),
            "CASE eventType WHEN 'connected' THEN concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', versionNumber) \
             WHEN 'disconnected' THEN concat(timestamp, '#', eventType, '#', sessionIdentifier, '#', versionNumber) \
             ELSE concat(timestamp, '#', eventType) END"
        );
        // Every part is a field the kinds carry (always), so the key is never Undefined.
        for kind in EventKind::ALL {
            for f in kind.identity_fields() {
                assert!(kind.field(f).is_some_and(|f| f.always), "{kind:?} {f}");
            }
        }
    }

    #[test]
    fn the_constants_match_the_topics() {
        for kind in EventKind::ALL {
            let topic = kind.topic("c");
            assert!(topic.starts_with(RESERVED_EVENTS_PREFIX), "{topic}");
            assert!(
                kind.family()
                    .topic_prefix()
                    .starts_with(RESERVED_EVENTS_PREFIX)
            );
            assert_eq!(
                topic.split('/').nth(KIND_TOPIC_LEVEL - 1),
                Some(kind.as_str())
            );
            assert!(kind.field(EVENT_TYPE_FIELD).is_some_and(|f| f.always));
        }
    }

    #[test]
    fn reserved_topics_cover_every_kind() {
        for topic in RESERVED_TOPICS {
            assert!(topic.starts_with(RESERVED_ROOT), "{topic}");
            assert!(
                crate::sql::topic_filter_problems(topic).is_empty(),
                "{topic}"
            );
        }
        for kind in EventKind::ALL {
            for client in ["c", "a/b"] {
                let topic = kind.topic(client);
                assert!(
                    RESERVED_TOPICS
                        .iter()
                        .any(|f| crate::sql::topic_matches(f, &topic)),
                    "{topic}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::from_name("connect"), None);
    }
}
