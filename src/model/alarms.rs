//! The stack's alarms: where they notify.

use super::*;

/// The alarm topic: a new one (optionally with an email subscription), an existing one, or none at all.
pub(super) fn resolve_alarms(config: &AlarmsConfig, problems: &mut Vec<Problem>) -> Option<Alarms> {
    let path = "stack.alarms";
    if !config.enabled {
        for (field, set) in [
            ("email", config.email.is_some()),
            ("topic_arn", config.topic_arn.is_some()),
        ] {
            if set {
                problems.push(Problem::new(
                Id::Alarms,
                    format!("{path}.{field}"),
                    "alarms are off (`enabled: false`), so nothing would be notified; remove it or set `enabled: true`",
                ));
            }
        }
        return None;
    }
    if let Some(email) = &config.email
        && !is_email(email)
    {
        problems.push(Problem::new(
            Id::Alarms,
            format!("{path}.email"),
            format!("`{email}` is not an email address; write one like `ops@example.com`"),
        ));
    }
    let topic = match (&config.topic_arn, &config.email) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                Id::Alarms,
                format!("{path}.email"),
                "subscribes an address to the stack's own topic, but `topic_arn` names an existing one: subscribe the address to that topic instead, or remove `topic_arn`",
            ));
            return None;
        }
        (Some(arn), None) => {
            if !is_sns_topic_arn(arn) {
                problems.push(Problem::new(
                Id::Alarms,
                    format!("{path}.topic_arn"),
                    format!("`{arn}` is not an SNS topic ARN; write `arn:aws:sns:<region>:<account id>:<topic name>`"),
                ));
            }
            AlarmTopic::Existing { arn: arn.clone() }
        }
        (None, email) => AlarmTopic::New {
            key_id: ALARM_TOPIC_KEY,
            topic_id: ALARM_TOPIC,
            policy_id: ALARM_TOPIC_POLICY,
            subscription_id: ALARM_EMAIL,
            email: email.clone(),
        },
    };
    Some(Alarms { topic })
}

/// `arn:<partition>:sns:<region>:<12-digit account>:<name>`, the name 1-256 letters, digits, `-` or `_` (a
/// `.fifo` topic cannot receive alarms).
pub(super) fn is_sns_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if partition.starts_with("aws")
            && !region.is_empty()
            && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && (1..=256).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// An address SNS can mail: `local@domain.tld`, no spaces.
pub(super) fn is_email(email: &str) -> bool {
    email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.contains(char::is_whitespace)
            && !domain.contains('@')
    })
}
