//! Turns a [`Model`] into the CloudFormation template, through the handlebars templates of the top-level
//! `templates/` folder (embedded in the binary). Each resource template renders to JSON text that is parsed
//! back at once, so a template that breaks JSON fails loudly instead of shipping a broken stack. Templates are
//! compiled into handlebars' own form by `build`, which reads the few forms they use without handlebars'
//! grammar (most of a small `synth` used to be spent in it).

use handlebars::template::{
    DecoratorTemplate, HelperTemplate, Parameter, Subexpression, Template, TemplateElement,
    TemplateMapping,
};
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, Path, PathSeg, RenderContext, RenderError,
    RenderErrorReason, Renderable, StringOutput,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{Map, Value};

use serde_json::json;

// Notifications (issue 22): the inline code of the functions, and the scope of their resources.
mod inline;
mod notify;
// The dashboard (issue 19): its counting function and its body.
mod dashboard;

use dashboard::DashboardScope;
pub use inline::MAX_INLINE_CODE;
use notify::NotifyScope;

use crate::model::{
    AlarmTopic, Encryption, ErrorTarget, Model, Pipeline, QUEUE_RETENTION_SECONDS, StackKey,
    StatusFunction, Tag,
};

/// The partial of a stateful resource's DeletionPolicy and UpdateReplacePolicy, given the object that has `retain`
/// (`{{> policies p.table}}`): a path argument hands the partial that value alone, where a hash argument
/// (`retain=...`) would copy the whole context for every resource.
const POLICIES: (&str, &str) = ("policies", include_str!("../../templates/policies.json.hbs"));

/// The templates, by name.
const TEMPLATES: [(&str, &str); 19] = [
    ("stack", include_str!("../../templates/stack.json.hbs")),
    ("table", include_str!("../../templates/table.json.hbs")),
    ("role", include_str!("../../templates/role.json.hbs")),
    ("rule", include_str!("../../templates/rule.json.hbs")),
    ("log_group", include_str!("../../templates/log_group.json.hbs")),
    ("queue", include_str!("../../templates/queue.json.hbs")),
    ("key", include_str!("../../templates/key.json.hbs")),
    ("outputs", include_str!("../../templates/outputs.json.hbs")),
    ("alarm_key", include_str!("../../templates/alarm_key.json.hbs")),
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
    ("dashboard", include_str!("../../templates/dashboard.json.hbs")),
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

fn status_scope(p: &Pipeline, status: &StatusFunction, cmk: bool) -> StatusScope {
    // The function reads each field at its dotted path: `versionNumber`, or `event.versionNumber` in a map.
    let f = &status.fields;
    let mut environment = BTreeMap::from([
        ("STATUS_TABLE", json!({"Ref": status.ids.table})),
        ("WINDOW_MS", json!(status.window_ms.to_string())),
        ("CLIENT_ID_FIELD", json!(f.client_id.to_string())),
        ("TIMESTAMP_FIELD", json!(f.timestamp.to_string())),
        ("EVENT_TYPE_FIELD", json!(f.event_type.to_string())),
        ("SESSION_FIELD", json!(f.session.to_string())),
        ("VERSION_FIELD", json!(f.version.to_string())),
    ]);
    if let Some(reason) = &f.reason {
        environment.insert("REASON_FIELD", json!(reason.to_string()));
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

/// One template compiled, the way the registry would (`register_template_string`), at a fraction of the cost.
fn compile(name: &str, text: &str) -> Result<Template, handlebars::TemplateError> {
    // Indentation is for people reading the templates; JSON does not need it, and the template compiler's
    // cost grows with every byte (it tracks a line and column per token).
    let compact: String = text
        .lines()
        .map(|l| l.trim_start())
        .collect::<Vec<_>>()
        .join("\n");
    match build(&compact, name) {
        Some(built) => Ok(built),
        // A form `build` does not read: handlebars' own compiler, the slow way.
        None => Template::compile_with_name(compact, name.to_owned()),
    }
}

/// Pieces of compiled template that only handlebars can make (their types cannot be built outside it), copied
/// by [`build`]: an expression, and an `#if` block and a partial, each inline and alone on its line.
struct Prototypes {
    expression: TemplateElement,
    block: [HelperTemplate; 2],
    partial: [DecoratorTemplate; 2],
    mapping: TemplateMapping,
}

static PROTOTYPES: OnceLock<Option<Prototypes>> = OnceLock::new();

fn prototypes() -> Option<&'static Prototypes> {
    PROTOTYPES
        .get_or_init(|| {
            let t = Template::compile(
                "{{j}}{{#if a}}{{/if}}{{> policies a}}x\n{{#if a}}\n{{/if}}\n{{> policies a}}\n",
            )
            .ok()?;
            let mut blocks = t.elements.iter().filter_map(|e| match e {
                TemplateElement::HelperBlock(b) => Some((**b).clone()),
                _ => None,
            });
            let mut partials = t.elements.iter().filter_map(|e| match e {
                TemplateElement::PartialExpression(d) => Some((**d).clone()),
                _ => None,
            });
            Some(Prototypes {
                expression: t.elements.first()?.clone(),
                block: [blocks.next()?, blocks.next()?],
                partial: [partials.next()?, partials.next()?],
                mapping: t.mapping.first()?.clone(),
            })
        })
        .as_ref()
}

/// An `#if` being read: the template around it, the block, and its `#if` part once an `else` was read.
struct Open {
    outer: Template,
    block: HelperTemplate,
    then: Option<Template>,
}

/// The template handlebars compiles from `source`, built without its grammar, for templates made only of the
/// forms `{{json X}}`, `{{#if X}}`, `{{else}}`, `{{/if}}` and `{{> policies X}}` (X a path, or `(cat ...)` of
/// paths and plain string literals); `None` for anything else. Handlebars' grammar costs tens of thousands of
/// instructions an expression, and computes each token's line and column by counting from the start of the
/// template (quadratic in its length); this reads the same template in a few instructions a byte. It keeps
/// handlebars' rules for static text exactly: a block tag or partial alone on its line (a "standalone"
/// statement) takes the spaces before it and the line break after it. A test holds the result equal to
/// handlebars' own for every template, but for the positions handlebars keeps for its error messages: every
/// element here says line 1, column 1 (a render error still names its template).
fn build(source: &str, name: &str) -> Option<Template> {
    const BLANK: [char; 2] = [' ', '\t'];
    const NEWLINE: [char; 2] = ['\n', '\r'];
    let protos = prototypes()?;
    let mut current = Template::default();
    let mut open: Vec<Open> = Vec::new();
    let mut trim_line = false;
    let mut pos = 0;
    let push = |t: &mut Template, e: TemplateElement| {
        t.elements.push(e);
        t.mapping.push(protos.mapping.clone());
    };
    loop {
        let next = source[pos..].find("{{").map(|i| pos + i);
        let run = &source[pos..next.unwrap_or(source.len())];
        if !run.is_empty() {
            let text = if trim_line {
                let s = run.trim_start_matches(BLANK);
                s.strip_prefix("\r\n")
                    .or_else(|| s.strip_prefix('\n'))
                    .unwrap_or(s)
            } else {
                run
            };
            push(&mut current, TemplateElement::RawString(text.to_owned()));
            trim_line = false;
        }
        let Some(start) = next else { break };
        let end = start + source[start..].find("}}")? + 2;
        let inner = &source[start + 2..end - 2];
        let statement = inner == "else"
            || inner == "/if"
            || inner.starts_with("#if ")
            || inner.starts_with("> policies ");
        let mut standalone = false;
        if statement {
            let after = &source[end..];
            if after.trim_start_matches(BLANK).starts_with(NEWLINE) || after.is_empty() {
                let before = source[..start].trim_end_matches(BLANK);
                let leading = before.ends_with(NEWLINE) || before.is_empty();
                if leading
                    && let Some(TemplateElement::RawString(text)) = current.elements.last_mut()
                {
                    text.truncate(text.trim_end_matches(BLANK).len());
                }
                standalone = start == 0 || leading;
            }
            trim_line = standalone;
        }
        if let Some(arg) = inner.strip_prefix("json ") {
            let mut e = protos.expression.clone();
            let TemplateElement::Expression(h) = &mut e else {
                return None;
            };
            h.name = Parameter::Name("json".to_owned());
            h.params = vec![parameter(arg)?];
            push(&mut current, e);
        } else if let Some(arg) = inner.strip_prefix("#if ") {
            let mut block = protos.block[usize::from(standalone)].clone();
            block.params = vec![path(arg)?];
            current.mapping.push(protos.mapping.clone());
            open.push(Open {
                outer: std::mem::take(&mut current),
                block,
                then: None,
            });
        } else if inner == "else" {
            let o = open.last_mut()?;
            if o.then.is_some() {
                return None;
            }
            o.then = Some(std::mem::take(&mut current));
        } else if inner == "/if" {
            let o = open.pop()?;
            let last = std::mem::replace(&mut current, o.outer);
            let mut block = o.block;
            match o.then {
                Some(then) => {
                    block.template = Some(then);
                    block.inverse = Some(last);
                }
                None => {
                    block.template = Some(last);
                    block.inverse = None;
                }
            }
            current
                .elements
                .push(TemplateElement::HelperBlock(Box::new(block)));
        } else if let Some(arg) = inner.strip_prefix("> policies ") {
            let mut partial = protos.partial[usize::from(standalone)].clone();
            partial.params = vec![path(arg)?];
            push(
                &mut current,
                TemplateElement::PartialExpression(Box::new(partial)),
            );
        } else {
            return None;
        }
        pos = end;
    }
    if !open.is_empty() {
        return None;
    }
    current.name = Some(name.to_owned());
    Some(current)
}

/// A path (`p.ids.table`) or a `(cat ...)` of paths and string literals without escapes, as handlebars reads it.
fn parameter(text: &str) -> Option<Parameter> {
    let Some(inner) = text.strip_prefix("(cat ").and_then(|t| t.strip_suffix(')')) else {
        return path(text);
    };
    let mut params = Vec::new();
    let mut rest = inner.trim_start();
    while !rest.is_empty() {
        if let Some(literal) = rest.strip_prefix('"') {
            let end = literal.find('"')?;
            let value = &literal[..end];
            if value.contains('\\') {
                return None;
            }
            params.push(Parameter::Literal(Value::String(value.to_owned())));
            rest = &literal[end + 1..];
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return None;
            }
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            params.push(path(&rest[..end])?);
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Some(Parameter::Subexpression(Subexpression::new(
        Parameter::Name("cat".to_owned()),
        params,
        std::collections::HashMap::new(),
    )))
}

/// A dotted path of plain names: handlebars' relative path.
fn path(text: &str) -> Option<Parameter> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.as_bytes()[0].is_ascii_digit()
            && !matches!(s, "this" | "true" | "false" | "null")
    };
    if !text.split('.').all(plain) {
        return None;
    }
    let segments = text
        .split('.')
        .map(|s| PathSeg::Named(s.to_owned()))
        .collect();
    Some(Parameter::Path(Path::Relative((segments, text.to_owned()))))
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
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
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

/// Build the whole template as a JSON value, keys in the order the templates write them.
pub fn template(model: &Model) -> Result<Value, RenderFailure> {
    let mut resources = Map::new();
    let mut outputs = Map::new();
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
        resources.insert(key.id.to_owned(), render("key", &context("key", &scope)?)?);
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
        let ctx = context("alarm_topic", &scope)?;
        resources.insert((*key_id).to_owned(), render("alarm_key", &ctx)?);
        resources.insert((*topic_id).to_owned(), render("alarm_topic", &ctx)?);
        resources.insert((*policy_id).to_owned(), render("alarm_topic_policy", &ctx)?);
        if email.is_some() {
            resources.insert((*subscription_id).to_owned(), render("alarm_email", &ctx)?);
        }
    }
    if let Some(key_id) = model.notify_topic_key() {
        let scope = AlarmTopicScope {
            topic: &AlarmTopic::Existing { arn: String::new() },
            tags: &model.tags,
        };
        resources.insert(
            key_id.to_owned(),
            render("notify_key", &context("notify_key", &scope)?)?,
        );
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
        let ctx = context("table", &scope)?;
        resources.insert(p.ids.table.clone(), render("table", &ctx)?);
        if scope.log {
            resources.insert(p.ids.error_log.clone(), render("log_group", &ctx)?);
        }
        if scope.queue {
            resources.insert(p.ids.error_queue.clone(), render("queue", &ctx)?);
        }
        resources.insert(p.ids.role.clone(), render("role", &ctx)?);
        resources.insert(p.ids.rule.clone(), render("rule", &ctx)?);
        for (present, name) in [
            (scope.alarm.is_some(), "alarms"),
            (p.table.scaling.is_some(), "scaling"),
            (scope.status.is_some(), "status"),
            (scope.notify.is_some(), "notify"),
            (scope.dash.is_some(), "dashboard"),
        ] {
            if present {
                match render(name, &ctx)? {
                    Value::Object(map) => resources.extend(map),
                    _ => unreachable_object(name)?,
                }
            }
        }
        if model.outputs {
            match render("outputs", &ctx)? {
                Value::Object(map) => outputs.extend(map),
                _ => unreachable_object("outputs")?,
            }
            if scope.status.is_some() {
                match render("status_outputs", &ctx)? {
                    Value::Object(map) => outputs.extend(map),
                    _ => unreachable_object("status_outputs")?,
                }
            }
        }
    }
    // The skeleton is rendered with empty Resources and Outputs, which are then filled in place: passing the
    // rendered resources through the template again would serialize and parse the whole stack twice more.
    let stack = StackScope {
        description: model.description.as_deref(),
        outputs: model.outputs,
    };
    let mut skeleton = render("stack", &context("stack", &stack)?)?;
    let slots = [("Resources", resources), ("Outputs", outputs)];
    for (slot, content) in slots {
        if let Some(target) = skeleton.get_mut(slot) {
            *target = Value::Object(content);
        }
    }
    Ok(skeleton)
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

    /// Templates are compiled when first rendered: every one of them must compile, whether or not an example
    /// renders it, without handlebars' grammar, into exactly the template the registry compiles from the text.
    #[test]
    fn every_template_compiles_as_the_registry_would() {
        assert!(shared_registry().is_ok());
        for (name, text) in TEMPLATES.into_iter().chain([POLICIES]) {
            let compact: String = text
                .lines()
                .map(|l| l.trim_start())
                .collect::<Vec<_>>()
                .join("\n");
            let mut built = build(&compact, name).expect("only the forms `build` reads");
            assert_eq!(built.mapping.len(), built.elements.len(), "{name}");
            let mut hb = Handlebars::new();
            hb.set_prevent_indent(true);
            hb.register_template_string(name, &compact)
                .expect("compiles");
            let mut whole = hb.get_template(name).expect("registered").clone();
            // Only the positions differ, which handlebars keeps for its error messages.
            without_positions(&mut whole);
            without_positions(&mut built);
            assert_eq!(built, whole, "{name}");
        }
        assert!(template_for("nonesuch").is_err());
    }

    /// Standalone lines, `else`, literals with spaces, nested blocks, and the ends of a template, against
    /// handlebars; other forms are left to handlebars.
    #[test]
    fn build_agrees_with_handlebars_on_whitespace_and_nesting() {
        for source in [
            "{{#if a}}\nx\n{{else}}\n  y \n{{/if}}\n",
            "  {{#if a}}  \n{{#if b.c}}{{json (cat \"a b\" d.e \" f\")}}{{/if}}\n {{/if}}",
            "{\"a\": {{json x}}}\n{{> policies p}}\n{{> policies q}}x\n\n",
            "{{#if a}}{{/if}}\t\n\r\n{{else}}",
            "",
            "x\n  ",
        ] {
            let Some(mut built) = build(source, "t") else {
                assert!(source.contains("{{else}}"), "{source:?}");
                continue;
            };
            let mut whole = Template::compile_with_name(source, "t".to_owned()).expect("compiles");
            without_positions(&mut whole);
            without_positions(&mut built);
            assert_eq!(built, whole, "{source:?}");
        }
        for other in [
            "{{#each a}}{{/each}}",
            "{{json a b}}",
            "{{{json a}}}",
            "{{json (cat \"\\\"\")}}",
            "{{json @index}}",
        ] {
            assert!(build(other, "t").is_none(), "{other}");
        }
    }

    fn without_positions(template: &mut Template) {
        template.mapping.clear();
        for element in &mut template.elements {
            match element {
                TemplateElement::HelperBlock(block) => {
                    for inner in [&mut block.template, &mut block.inverse]
                        .into_iter()
                        .flatten()
                    {
                        without_positions(inner);
                    }
                }
                TemplateElement::PartialBlock(block) | TemplateElement::DecoratorBlock(block) => {
                    if let Some(inner) = &mut block.template {
                        without_positions(inner);
                    }
                }
                _ => {}
            }
        }
    }
}
