//! What the template holds: the logical ID of every resource and the name of every output, in the order `render`
//! writes them. CloudFormation's quotas (500 resources, 200 outputs) are checked on these lists when the model is
//! built, before anything is rendered; the tests compare them with the rendered template of every example and of
//! every generated config, so a resource added to a template and not here fails them.

use super::{AlarmTopic, Alarms, ErrorTarget, Model, Pipeline, StatusFunction};

impl Model {
    /// The logical ID of every resource of the stack, in the template's order.
    pub fn resource_ids(&self) -> Vec<&str> {
        let alarms = self.alarms.is_some();
        let mut ids: Vec<&str> = self.key.iter().map(|k| k.id).collect();
        ids.extend(self.alarms.iter().flat_map(Alarms::resource_ids));
        ids.extend(self.notify_topic_key());
        ids.extend(self.pipelines.iter().flat_map(|p| p.resource_ids(alarms)));
        ids
    }

    /// The name of every output of the stack, in the template's order: none unless `stack.outputs`.
    pub fn output_names(&self) -> Vec<String> {
        if !self.outputs {
            return Vec::new();
        }
        self.pipelines
            .iter()
            .flat_map(Pipeline::output_names)
            .collect()
    }

    /// How many resources the template holds.
    pub fn resource_count(&self) -> usize {
        self.resource_ids().len()
    }

    /// How many outputs the template holds.
    pub fn output_count(&self) -> usize {
        self.output_names().len()
    }
}

impl Alarms {
    /// The resources of the alarm topic: none for an existing topic.
    pub fn resource_ids(&self) -> Vec<&str> {
        match &self.topic {
            AlarmTopic::New {
                key_id,
                topic_id,
                policy_id,
                subscription_id,
                email,
            } => {
                let mut ids = vec![*key_id, *topic_id, *policy_id];
                ids.extend(email.as_ref().map(|_| *subscription_id));
                ids
            }
            AlarmTopic::Existing { .. } => Vec::new(),
        }
    }
}

impl Pipeline {
    /// The pipeline's resources: its table, error log or queue, role and rule; their alarms when the stack has
    /// alarms; the table's scaling; the status table's resources.
    pub fn resource_ids(&self, alarms: bool) -> Vec<&str> {
        let ids = &self.ids;
        let mut out = vec![ids.table.as_str()];
        match self.error {
            ErrorTarget::CloudwatchLogs { .. } => out.push(&ids.error_log),
            ErrorTarget::Sqs => out.push(&ids.error_queue),
            ErrorTarget::None => {}
        }
        out.extend([ids.role.as_str(), ids.rule.as_str()]);
        if alarms {
            out.extend([
                ids.rule_failure_alarm.as_str(),
                ids.error_action_failure_alarm.as_str(),
            ]);
            if self.error == ErrorTarget::Sqs {
                out.push(&ids.error_queue_alarm);
            }
        }
        if self.table.scaling.is_some() {
            out.extend([
                ids.read_scaling.as_str(),
                ids.read_scaling_policy.as_str(),
                ids.write_scaling.as_str(),
                ids.write_scaling_policy.as_str(),
            ]);
        }
        if let Some(status) = &self.status {
            out.extend(status.resource_ids(alarms));
        }
        out
    }

    /// The outputs of the pipeline: its table's name and ARN, its rule's name, its role's ARN, its error log's
    /// name or queue's ARN, and the status table's outputs.
    pub fn output_names(&self) -> Vec<String> {
        let ids = &self.ids;
        let mut out = vec![
            format!("{}Name", ids.table),
            format!("{}Arn", ids.table),
            format!("{}Name", ids.rule),
            format!("{}Arn", ids.role),
        ];
        match self.error {
            ErrorTarget::CloudwatchLogs { .. } => out.push(format!("{}Name", ids.error_log)),
            ErrorTarget::Sqs => out.push(format!("{}Arn", ids.error_queue)),
            ErrorTarget::None => {}
        }
        if let Some(status) = &self.status {
            out.extend(status.output_names());
        }
        out
    }
}

impl StatusFunction {
    /// The status table, its function's failure queue, log group, role, the function and its event source
    /// mapping; and the function's two alarms when the stack has alarms.
    pub fn resource_ids(&self, alarms: bool) -> Vec<&str> {
        let ids = &self.ids;
        let mut out = vec![
            ids.table.as_str(),
            &ids.queue,
            &ids.log,
            &ids.role,
            &ids.function,
            &ids.mapping,
        ];
        if alarms {
            out.extend([ids.errors_alarm.as_str(), &ids.queue_alarm]);
        }
        if let Some(n) = &self.notifications {
            out.extend(n.resource_ids(alarms));
        }
        out
    }

    /// The status table's name and index name, and the failure queue's ARN.
    pub fn output_names(&self) -> Vec<String> {
        let ids = &self.ids;
        vec![
            format!("{}Name", ids.table),
            format!("{}IndexName", ids.table),
            format!("{}Arn", ids.queue),
        ]
    }
}
