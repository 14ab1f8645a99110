//! Turns a [`Model`] into the CloudFormation template, through the handlebars templates of the top-level
//! `templates/` folder (embedded in the binary). Each resource template renders to JSON text that is parsed
//! back at once, so a template that breaks JSON fails loudly instead of shipping a broken stack: per resource
//! into the template's value ([`template`]), or once per shape of its scope into JSON text ([`json_text`],
//! `shape.rs`). Templates are compiled into handlebars' own form by `compile.rs`, which reads the few forms they
//! use without handlebars' grammar (most of a small `synth` used to be spent in it).

use handlebars::template::Template;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason, Renderable, StringOutput,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{Map, Value};

use serde_json::json;

// Templates compiled without handlebars' grammar.
mod compile;
// The template as JSON text, each template rendered once per shape of its scope.
mod shape;
// The shape and strings of a scope, read without building its JSON value.
mod outline;
// Notifications (issue 22): the inline code of the functions, and the scope of their resources.
mod inline;
mod notify;
// The dashboard (issue 19): its counting function and its body.
mod dashboard;

use compile::compile;
use dashboard::DashboardScope;
pub use inline::MAX_INLINE_CODE;
use notify::NotifyScope;

use crate::model::{
    AlarmTopic, Encryption, ErrorTarget, Fields, Model, Pipeline, QUEUE_RETENTION_SECONDS,
    StackKey, StatusFunction, Tag,
};

/// The partial of a stateful resource's DeletionPolicy and UpdateReplacePolicy, given the object that has `retain`
/// (`{{> policies p.table}}`): a path argument hands the partial that value alone, where a hash argument
/// (`retain=...`) would copy the whole context for every resource.
const POLICIES: (&str, &str) = (
    "policies",
    include_str!("../../templates/policies.json.hbs"),
);

/// The templates, by name.
const TEMPLATES: [(&str, &str); 19] = [
    ("stack", include_str!("../../templates/stack.json.hbs")),
    ("table", include_str!("../../templates/table.json.hbs")),
    ("role", include_str!("../../templates/role.json.hbs")),
    ("rule", include_str!("../../templates/rule.json.hbs")),
    (
        "log_group",
        include_str!("../../templates/log_group.json.hbs"),
    ),
    ("queue", include_str!("../../templates/queue.json.hbs")),
    ("key", include_str!("../../templates/key.json.hbs")),
    ("outputs", include_str!("../../templates/outputs.json.hbs")),
    (
        "alarm_key",
        include_str!("../../templates/alarm_key.json.hbs"),
    ),
    (
        "alarm_topic",
        include_str!("../../templates/alarm_topic.json.hbs"),
    ),
    (
        "alarm_topic_policy",
        include_str!("../../templates/alarm_topic_policy.json.hbs"),
    ),
    (
        "alarm_email",
        include_str!("../../templates/alarm_email.json.hbs"),
    ),
    ("alarms", include_str!("../../templates/alarms.json.hbs")),
    ("scaling", include_str!("../../templates/scaling.json.hbs")),
    ("status", include_str!("../../templates/status.json.hbs")),
    (
        "status_outputs",
        include_str!("../../templates/status_outputs.json.hbs"),
    ),
    ("notify", include_str!("../../templates/notify.json.hbs")),
    (
        "notify_key",
        include_str!("../../templates/notify_key.json.hbs"),
    ),
    (
        "dashboard",
        include_str!("../../templates/dashboard.json.hbs"),
    ),
];

/// The status function's code as inlined in `Code.ZipFile` (CloudFormation takes at most 4,096 characters there):
/// `templates/status_function.py` without its comments and docstrings.
pub fn status_function_code() -> &'static str {
    inline::status_code()
}

/// How often the stream retries a failing batch (halved each time by bisection) before it goes to the queue.
const STATUS_MAX_RETRIES: u64 = 5;
/// Records older than this go to the failure queue unprocessed: 6 hours, well inside the stream's 24.
const STATUS_MAX_RECORD_AGE_SECONDS: u64 = 21_600;

/// A template that failed to render or rendered something that is not JSON: a bug of this tool, never of the
/// user's config, so the message says which template.
#[derive(Debug, thiserror::Error)]
pub enum RenderFailure {
    #[error("template `{name}` failed to render: {source}")]
    Render {
        name: &'static str,
        source: Box<RenderError>,
    },
    #[error("template `{name}` rendered invalid JSON: {source}")]
    Json {
        name: &'static str,
        source: serde_json::Error,
    },
    #[error("the templates are invalid: {0}")]
    Templates(String),
}

/// What one pipeline's templates see.
#[derive(Serialize)]
struct PipelineScope<'a> {
    p: &'a Pipeline,
    tags: &'a [Tag],
    key: Option<&'a StackKey>,
    /// The table and the error log or queue use the stack's key.
    cmk: bool,
    cmk_table: bool,
    cmk_queue: bool,
    log: bool,
    queue: bool,
    rule_disabled: bool,
    source_arn: String,
    queue_retention_seconds: u64,
    /// `/aws/iot/<stack>/<stack uuid>/<pipeline>-errors`: named, so that the key policy can name it.
    log_group_name: Value,
    alarm: Option<AlarmScope>,
    /// `table/<table name>`, as Application Auto Scaling names a table.
    scaling_resource_id: Value,
    /// The `SSESpecification` of the pipeline's tables, from whose key encrypts them.
    sse: Value,
    /// The `Metadata` of the pipeline's tables and log groups when the config chose a key AWS keeps: checkov's
    /// skip of its customer-managed-key check, with the reason, so that a plain `checkov -f` passes. Null under
    /// the stack's key, where the checks pass.
    table_metadata: Value,
    log_metadata: Value,
    /// What the status function's resources need beyond the model.
    status: Option<StatusScope>,
    /// The notifications of the status table, and what their resources need beyond the model.
    n: Option<&'a crate::model::Notifications>,
    notify: Option<NotifyScope>,
    /// The dashboard, and what its resources need beyond the model.
    d: Option<&'a crate::model::Dashboard>,
    dash: Option<DashboardScope>,
}

/// The status function's code, environment, log group name and alarm texts.
#[derive(Serialize)]
struct StatusScope {
    code: &'static str,
    environment: BTreeMap<&'static str, Value>,
    log_group_name: Value,
    checkov_skips: Vec<Value>,
    /// The status table's stream, for the notification function.
    stream: bool,
    max_retries: u64,
    max_record_age_seconds: u64,
    /// Only new and changed items invoke the function: TTL expiries (REMOVE) never do.
    filter: &'static str,
    errors_description: String,
    queue_description: String,
}

/// What a pipeline's alarms say and query.
#[derive(Serialize)]
struct AlarmScope {
    action: Value,
    failure_query: String,
    error_action_query: String,
    failure_description: String,
    error_action_description: String,
    queue_description: String,
}

#[derive(Serialize)]
struct KeyScope<'a> {
    key: &'a StackKey,
    tags: &'a [Tag],
    /// The log groups the key encrypts, for the encryption-context condition of CloudWatch Logs' statement.
    log_group_arns: Vec<Value>,
}

#[derive(Serialize)]
struct AlarmTopicScope<'a> {
    topic: &'a AlarmTopic,
    tags: &'a [Tag],
}

/// A name or ARN unique to one stack (and to one instance of it: a stack re-created under the same name gets a
/// new ID), with `${StackUuid}` standing for the last part of the stack's ID.
fn per_stack(text: String) -> Value {
    json!({"Fn::Sub": [text, {"StackUuid": {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}}]})
}

fn log_group_name(p: &Pipeline) -> String {
    format!(
        "/aws/iot/${{AWS::StackName}}/${{StackUuid}}/{}-errors",
        p.name
    )
}

/// `/aws/lambda/<stack name>/<stack uuid>/<pipeline>-status`, given to the function through `LoggingConfig`: named
/// like the error log group, so the role and the key policy can name it without waiting for the function.
fn status_log_group_name(p: &Pipeline) -> String {
    format!(
        "/aws/lambda/${{AWS::StackName}}/${{StackUuid}}/{}-status",
        p.name
    )
}

/// Where the rule put each event field, for a function that reads the event table's items: each at its dotted
/// path, `versionNumber`, or `event.versionNumber` in a map (`REASON_FIELD` only when the rule keeps it).
fn field_environment(f: &Fields) -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("CLIENT_ID_FIELD", json!(f.client_id.to_string())),
        ("TIMESTAMP_FIELD", json!(f.timestamp.to_string())),
        ("EVENT_TYPE_FIELD", json!(f.event_type.to_string())),
        ("SESSION_FIELD", json!(f.session.to_string())),
        ("VERSION_FIELD", json!(f.version.to_string())),
    ];
    if let Some(reason) = &f.reason {
        out.push(("REASON_FIELD", json!(reason.to_string())));
    }
    out
}

fn status_scope(p: &Pipeline, status: &StatusFunction, cmk: bool) -> StatusScope {
    let mut environment = BTreeMap::from([
        ("STATUS_TABLE", json!({"Ref": status.ids.table})),
        ("WINDOW_MS", json!(status.window_ms.to_string())),
    ]);
    environment.extend(field_environment(&status.fields));
    // The dashboard's connects, disconnects and latest changes: the function logs each change of state as a metric.
    if status.dashboard.is_some() {
        environment.extend([
            ("NAMESPACE", json!(crate::model::METRIC_NAMESPACE)),
            ("METRIC_NAME", json!(crate::model::STATE_METRIC)),
            ("PIPELINE", json!(p.name)),
        ]);
    }
    let skip = |id: &str, comment: &str| json!({"id": id, "comment": comment});
    let mut checkov_skips = vec![skip(
        "CKV_AWS_117",
        "talks only to AWS APIs; a VPC would add NAT or endpoints and protect nothing",
    )];
    if !cmk {
        checkov_skips.push(skip(
            "CKV_AWS_173",
            "no secrets in the variables; Lambda's own key encrypts them (the stack key does when there is one)",
        ));
    }
    if status.reserved_concurrency.is_none() {
        checkov_skips.push(skip(
            "CKV_AWS_115",
            "opt-in (status.reserved_concurrency): accounts must keep 100 unreserved, so new accounts cannot reserve any",
        ));
    }
    StatusScope {
        code: inline::status_code(),
        environment,
        log_group_name: per_stack(status_log_group_name(p)),
        checkov_skips,
        stream: status.notifications.is_some(),
        max_retries: STATUS_MAX_RETRIES,
        max_record_age_seconds: STATUS_MAX_RECORD_AGE_SECONDS,
        filter: r#"{"eventName": ["INSERT", "MODIFY"]}"#,
        errors_description: format!(
            "Pipeline {}: the status function failed on a batch of the event stream; it is retried, then sent to \
             the status failure queue. Its log group says why.",
            p.name
        ),
        queue_description: format!(
            "Pipeline {}: stream batches the status function gave up on wait in its failure queue. The status \
             table may be behind: rebuild it with `presence-stack status --write-requests` (see the README).",
            p.name
        ),
    }
}

#[derive(Serialize)]
struct StackScope<'a> {
    description: Option<&'a str>,
    outputs: bool,
}

/// The registry every template renders with: the helpers and the `policies` partial, built once per process.
static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();

/// Each template, compiled once per process and only when it is first rendered: the template compiler's cost
/// grows with every byte of template, and a stack renders only some of them (no alarm templates without
/// alarms, no status templates without a status table).
static COMPILED: [OnceLock<Result<Template, String>>; TEMPLATES.len()] =
    [const { OnceLock::new() }; TEMPLATES.len()];

fn shared_registry() -> Result<&'static Handlebars<'static>, RenderFailure> {
    REGISTRY
        .get_or_init(|| {
            let mut hb = Handlebars::new();
            hb.set_strict_mode(true);
            hb.set_prevent_indent(true);
            hb.register_helper("json", Box::new(json_helper));
            hb.register_helper("cat", Box::new(cat_helper));
            let (name, text) = POLICIES;
            hb.register_template(name, compile(name, text).map_err(|e| e.to_string())?);
            Ok(hb)
        })
        .as_ref()
        .map_err(|e| RenderFailure::Templates(e.clone()))
}

/// The compiled template `name`.
fn template_for(name: &str) -> Result<&'static Template, RenderFailure> {
    let index = TEMPLATES
        .iter()
        .position(|(n, _)| *n == name)
        .ok_or_else(|| RenderFailure::Templates(format!("no template `{name}`")))?;
    let (name, text) = TEMPLATES[index];
    COMPILED[index]
        .get_or_init(|| compile(name, text).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| RenderFailure::Templates(e.clone()))
}

/// `{{json value}}`: the value as JSON text. The only way values reach a template, so no text a user wrote can
/// break out of its string (handlebars' own escaping is for HTML and would corrupt JSON).
fn json_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let param = h
        .param(0)
        .ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("json", 0))?;
    let text = serde_json::to_string(param.value()).map_err(RenderErrorReason::SerdeError)?;
    out.write(&text)?;
    Ok(())
}

/// `(cat a b ...)`: the parameters joined as one string, for names built from an ID and a suffix.
fn cat_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let joined: String = h
        .params()
        .iter()
        .map(|p| match p.value() {
            Value::String(s) => Ok(s.clone()),
            // Joined into a string, the JSON text of a collection would be escaped twice in the output, which
            // rendering by shape (shape.rs) cannot reproduce; no template needs it.
            Value::Array(_) | Value::Object(_) => Err(RenderErrorReason::Other(
                "cat joins strings, numbers, booleans and null, not arrays or objects".to_owned(),
            )),
            other => Ok(other.to_string()),
        })
        .collect::<Result<_, _>>()?;
    out.write(&joined)?;
    Ok(())
}

/// A scope serialized once, for the several templates that render from it.
fn context(name: &'static str, scope: &impl Serialize) -> Result<Context, RenderFailure> {
    Context::wraps(scope).map_err(|e| RenderFailure::Render {
        name,
        source: Box::new(e),
    })
}

fn render(name: &'static str, ctx: &Context) -> Result<Value, RenderFailure> {
    let template = template_for(name)?;
    let mut out = StringOutput::new();
    let fail = |e| RenderFailure::Render {
        name,
        source: Box::new(e),
    };
    template
        .render(
            shared_registry()?,
            ctx,
            &mut RenderContext::new(template.name.as_ref()),
            &mut out,
        )
        .map_err(fail)?;
    let text = out.into_string().map_err(|e| fail(e.into()))?;
    serde_json::from_str(&text).map_err(|source| RenderFailure::Json { name, source })
}

/// The two objects of the template that the resource templates fill.
#[derive(Clone, Copy)]
enum Section {
    Resources,
    Outputs,
}

/// Where rendered templates go: into a JSON value ([`Values`]), or straight into JSON text, rendered once per
/// shape of their scope ([`shape::Shapes`]). Both are fed by [`assemble`], so they see the same templates with
/// the same scopes in the same order.
trait Sink {
    /// A scope, ready for the templates that render from it.
    type Scope;
    fn scope(
        &mut self,
        name: &'static str,
        scope: &impl Serialize,
    ) -> Result<Self::Scope, RenderFailure>;
    /// Template `name` renders the resource `id`.
    fn resource(
        &mut self,
        id: &str,
        name: &'static str,
        scope: &Self::Scope,
    ) -> Result<(), RenderFailure>;
    /// Template `name` renders an object of entries of `section`.
    fn entries(
        &mut self,
        section: Section,
        name: &'static str,
        scope: &Self::Scope,
    ) -> Result<(), RenderFailure>;
}

/// The resources and outputs as JSON values, keys in the order the templates write them.
#[derive(Default)]
struct Values {
    sections: [Map<String, Value>; 2],
}

impl Sink for Values {
    type Scope = Context;

    fn scope(
        &mut self,
        name: &'static str,
        scope: &impl Serialize,
    ) -> Result<Context, RenderFailure> {
        context(name, scope)
    }

    fn resource(
        &mut self,
        id: &str,
        name: &'static str,
        ctx: &Context,
    ) -> Result<(), RenderFailure> {
        self.sections[Section::Resources as usize].insert(id.to_owned(), render(name, ctx)?);
        Ok(())
    }

    fn entries(
        &mut self,
        section: Section,
        name: &'static str,
        ctx: &Context,
    ) -> Result<(), RenderFailure> {
        match render(name, ctx)? {
            Value::Object(map) => self.sections[section as usize].extend(map),
            _ => unreachable_object(name)?,
        }
        Ok(())
    }
}

/// Build the whole template as a JSON value, keys in the order the templates write them.
pub fn template(model: &Model) -> Result<Value, RenderFailure> {
    let mut values = Values::default();
    assemble(model, &mut values)?;
    let mut skeleton = skeleton(model)?;
    let [resources, outputs] = values.sections;
    let slots = [("Resources", resources), ("Outputs", outputs)];
    for (slot, content) in slots {
        if let Some(target) = skeleton.get_mut(slot) {
            *target = Value::Object(content);
        }
    }
    Ok(skeleton)
}

/// The template as pretty JSON text (two-space indentation, ending in a newline): the same bytes as
/// [`template`] printed by serde_json, but each template renders once per shape of its scope rather than once
/// per resource. `None` when some scope can only render the slow way (`render/shape.rs` says when).
pub fn json_text(model: &Model) -> Result<Option<String>, RenderFailure> {
    json_text_by(model, shape::Shapes::default())
}

fn json_text_by(model: &Model, mut shapes: shape::Shapes) -> Result<Option<String>, RenderFailure> {
    assemble(model, &mut shapes)?;
    shapes.finish(&skeleton(model)?)
}

/// The skeleton, rendered with empty Resources and Outputs, which are then filled in place: passing the
/// rendered resources through the template again would serialize and parse the whole stack twice more.
fn skeleton(model: &Model) -> Result<Value, RenderFailure> {
    let stack = StackScope {
        description: model.description.as_deref(),
        outputs: model.outputs,
    };
    render("stack", &context("stack", &stack)?)
}

/// Every resource and output of the stack, each rendered by its template into `sink`.
fn assemble<S: Sink>(model: &Model, sink: &mut S) -> Result<(), RenderFailure> {
    if let Some(key) = &model.key {
        let log_group_arns = model
            .pipelines
            .iter()
            .filter(|p| p.table.encryption == Encryption::CustomerManaged)
            .flat_map(|p| {
                let error = matches!(p.error, ErrorTarget::CloudwatchLogs { .. })
                    .then(|| log_group_name(p));
                let status = p.status.as_ref().map(|_| status_log_group_name(p));
                error
                    .into_iter()
                    .chain(status)
                    .chain(notify::log_group_names(p))
                    .chain(dashboard::log_group_names(p))
            })
            .map(|name| {
                per_stack(format!(
                    "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}"
                ))
            })
            .collect();
        let scope = KeyScope {
            key,
            tags: &model.tags,
            log_group_arns,
        };
        let ctx = sink.scope("key", &scope)?;
        sink.resource(key.id, "key", &ctx)?;
    }
    if let Some(alarms) = &model.alarms
        && let AlarmTopic::New {
            key_id,
            topic_id,
            policy_id,
            subscription_id,
            email,
        } = &alarms.topic
    {
        let scope = AlarmTopicScope {
            topic: &alarms.topic,
            tags: &model.tags,
        };
        let ctx = sink.scope("alarm_topic", &scope)?;
        sink.resource(key_id, "alarm_key", &ctx)?;
        sink.resource(topic_id, "alarm_topic", &ctx)?;
        sink.resource(policy_id, "alarm_topic_policy", &ctx)?;
        if email.is_some() {
            sink.resource(subscription_id, "alarm_email", &ctx)?;
        }
    }
    if let Some(key_id) = model.notify_topic_key() {
        let scope = AlarmTopicScope {
            topic: &AlarmTopic::Existing { arn: String::new() },
            tags: &model.tags,
        };
        let ctx = sink.scope("notify_key", &scope)?;
        sink.resource(key_id, "notify_key", &ctx)?;
    }
    for p in &model.pipelines {
        let cmk = p.table.encryption == Encryption::CustomerManaged;
        let status = p.status.as_ref().map(|s| status_scope(p, s, cmk));
        let n = p.status.as_ref().and_then(|s| s.notifications.as_ref());
        let notify = p
            .status
            .as_ref()
            .zip(n)
            .zip(status.as_ref())
            .map(|((s, n), scope)| {
                notify::notify_scope(
                    p,
                    s,
                    n,
                    scope.checkov_skips.clone(),
                    model.notify_topic_key(),
                )
            });
        let d = p.status.as_ref().and_then(|s| s.dashboard.as_ref());
        let dash = p
            .status
            .as_ref()
            .zip(d)
            .zip(status.as_ref())
            .map(|((s, d), scope)| {
                dashboard::dashboard_scope(p, s, d, scope.checkov_skips.clone())
            });
        let source_arn = format!(
            "arn:${{AWS::Partition}}:iot:${{AWS::Region}}:${{AWS::AccountId}}:rule/{}",
            p.rule.name.as_deref().unwrap_or("*")
        );
        let scope = PipelineScope {
            p,
            tags: &model.tags,
            key: model.key.as_ref(),
            cmk,
            cmk_table: cmk,
            cmk_queue: cmk && p.error == ErrorTarget::Sqs,
            log: matches!(p.error, ErrorTarget::CloudwatchLogs { .. }),
            queue: p.error == ErrorTarget::Sqs,
            rule_disabled: !p.rule.enabled,
            source_arn,
            queue_retention_seconds: QUEUE_RETENTION_SECONDS,
            log_group_name: per_stack(log_group_name(p)),
            alarm: model
                .alarms
                .as_ref()
                .map(|alarms| alarm_scope(p, &alarms.topic)),
            scaling_resource_id: json!({"Fn::Sub": format!("table/${{{}}}", p.ids.table)}),
            sse: sse_specification(p.table.encryption, model.key.as_ref()),
            table_metadata: checkov_skip(
                p.table.encryption,
                "CKV_AWS_119",
                "DynamoDB encrypts the table at rest",
            ),
            log_metadata: checkov_skip(
                p.table.encryption,
                "CKV_AWS_158",
                "CloudWatch Logs encrypts the log group at rest",
            ),
            status,
            n,
            notify,
            d,
            dash,
        };
        let ctx = sink.scope("table", &scope)?;
        sink.resource(&p.ids.table, "table", &ctx)?;
        if scope.log {
            sink.resource(&p.ids.error_log, "log_group", &ctx)?;
        }
        if scope.queue {
            sink.resource(&p.ids.error_queue, "queue", &ctx)?;
        }
        sink.resource(&p.ids.role, "role", &ctx)?;
        sink.resource(&p.ids.rule, "rule", &ctx)?;
        for (present, name) in [
            (scope.alarm.is_some(), "alarms"),
            (p.table.scaling.is_some(), "scaling"),
            (scope.status.is_some(), "status"),
            (scope.notify.is_some(), "notify"),
            (scope.dash.is_some(), "dashboard"),
        ] {
            if present {
                sink.entries(Section::Resources, name, &ctx)?;
            }
        }
        if model.outputs {
            sink.entries(Section::Outputs, "outputs", &ctx)?;
            if scope.status.is_some() {
                sink.entries(Section::Outputs, "status_outputs", &ctx)?;
            }
        }
    }
    Ok(())
}

/// A resource's `Metadata` that skips checkov's customer-managed-key check `check`, saying why, for a pipeline
/// whose config chose a key AWS keeps; null for one under the stack's key.
fn checkov_skip(encryption: Encryption, check: &str, at_rest: &str) -> Value {
    let chosen = match encryption {
        Encryption::AwsOwned => "aws_owned",
        Encryption::AwsManaged => "aws_managed",
        Encryption::CustomerManaged => return Value::Null,
    };
    let comment = format!(
        "the config chose `encryption: {chosen}`: {at_rest} with a key AWS keeps; `encryption: customer_managed` \
         puts it under a key of the stack's own"
    );
    json!({"checkov": {"skip": [{"id": check, "comment": comment}]}})
}

/// DynamoDB's server-side encryption for a table: off means DynamoDB's own key, KMS alone the account's
/// `alias/aws/dynamodb`, KMS with a key ID the stack's key.
fn sse_specification(encryption: Encryption, key: Option<&StackKey>) -> Value {
    match (encryption, key) {
        (Encryption::AwsOwned, _) => json!({"SSEEnabled": false}),
        (Encryption::AwsManaged, _) | (Encryption::CustomerManaged, None) => {
            json!({"SSEEnabled": true, "SSEType": "KMS"})
        }
        (Encryption::CustomerManaged, Some(key)) => {
            json!({"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": [key.id, "Arn"]}})
        }
    }
}

/// The alarms of one pipeline. The rule metrics are published per rule *and* action type, and AWS does not
/// document the action types' spelling, so each alarm sums a Metrics Insights query over every action type of
/// the rule rather than naming one series that might never exist.
fn alarm_scope(p: &Pipeline, topic: &AlarmTopic) -> AlarmScope {
    let action = match topic {
        AlarmTopic::New { topic_id, .. } => json!({"Ref": topic_id}),
        AlarmTopic::Existing { arn } => json!(arn),
    };
    let query = |metric: &str| {
        format!(
            "SELECT SUM({metric}) FROM SCHEMA(\"AWS/IoT\", ActionType, RuleName) WHERE RuleName = '${{{}}}'",
            p.ids.rule
        )
    };
    let target = match p.error {
        ErrorTarget::CloudwatchLogs { .. } => "to its error log group",
        ErrorTarget::Sqs => "to its error queue",
        ErrorTarget::None => "nowhere: the pipeline has no error action, so it is lost",
    };
    AlarmScope {
        action,
        failure_query: query("Failure"),
        error_action_query: query("ErrorActionFailure"),
        failure_description: format!(
            "Pipeline {}: the rule failed to write an event to its table; the event went {target}. \
             Replay it with `presence-stack replay` (see the README, Recovering failed writes).",
            p.name
        ),
        error_action_description: format!(
            "Pipeline {}: the rule's error action failed too, so an event was lost with no copy. \
             Check the error action's resource and the rule's role.",
            p.name
        ),
        queue_description: format!(
            "Pipeline {}: failed writes wait in the error queue. Replay them with `presence-stack replay`, \
             then delete the messages.",
            p.name
        ),
    }
}

fn unreachable_object(name: &'static str) -> Result<(), RenderFailure> {
    Err(RenderFailure::Json {
        name,
        source: serde::de::Error::custom("expected a JSON object"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `{{...}}` in a template is a block helper, a partial, `else`, or goes through `json`/`cat`:
    /// a bare `{{value}}` would be HTML-escaped and could break the JSON.
    #[test]
    fn templates_only_output_values_through_json() {
        for (name, text) in TEMPLATES.into_iter().chain([POLICIES]) {
            for expr in text.split("{{").skip(1) {
                let expr = expr.split("}}").next().unwrap_or("").trim();
                let ok = expr.starts_with('#')
                    || expr.starts_with('/')
                    || expr.starts_with('>')
                    || expr == "else"
                    || expr.starts_with("json ");
                assert!(
                    ok,
                    "template {name} outputs `{{{{{expr}}}}}` without the json helper"
                );
            }
        }
    }
}
