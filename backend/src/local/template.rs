//! The deployed pool's definition, read from `backend/template.yaml` (built
//! into the crate) with its parameters' defaults: the local stack makes its
//! pool and app client from the same properties, so what works locally is
//! what the template deploys.
//!
//! The resolver knows the intrinsic functions those properties use: `Ref`
//! to a parameter (its default) or `AWS::NoValue`, `Fn::If` over the
//! template's conditions (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
//! `Condition`). A property that needs anything else (a `Fn::GetAtt`, a
//! `Fn::Sub` of the stack's name) is left out.

use serde_json::{Map, Value};

/// The template, as the crate was built with it.
const TEMPLATE: &str = include_str!("../../template.yaml");

/// The template with its parameters at their defaults.
pub struct Template {
    document: Value,
}

impl Template {
    /// The template built into the crate.
    pub fn built_in() -> Self {
        Self::parse(TEMPLATE).expect("the built-in template is valid YAML")
    }

    /// A template's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let document: Value = serde_yaml::from_str(text).map_err(|error| error.to_string())?;
        Ok(Self { document })
    }

    /// The resolved `Properties` of the resource `name`: what a stack with
    /// the default parameters gives it, less what only AWS can resolve.
    pub fn properties(&self, name: &str) -> Map<String, Value> {
        match &self.document["Resources"][name]["Properties"] {
            Value::Object(properties) => properties
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), self.resolve(value)?)))
                .collect(),
            _ => Map::new(),
        }
    }

    /// The resolved `Properties` of every resource of `kind`
    /// (`AWS::Cognito::UserPoolGroup`), in the template's order.
    pub fn all_of(&self, kind: &str) -> Vec<Map<String, Value>> {
        let Value::Object(resources) = &self.document["Resources"] else {
            return Vec::new();
        };
        resources
            .iter()
            .filter(|(_, resource)| resource["Type"] == kind)
            .map(|(name, _)| self.properties(name))
            .collect()
    }

    /// `value` with its intrinsic functions applied; `None` for
    /// `AWS::NoValue` or what cannot be resolved here.
    fn resolve(&self, value: &Value) -> Option<Value> {
        match value {
            Value::Object(object) if object.len() == 1 => {
                let (key, argument) = object.iter().next()?;
                match key.as_str() {
                    "Ref" => self.parameter(argument.as_str()?),
                    "Fn::If" => {
                        let [condition, then, otherwise] = argument.as_array()?.as_slice() else {
                            return None;
                        };
                        let branch = if self.condition(condition.as_str()?)? {
                            then
                        } else {
                            otherwise
                        };
                        self.resolve(branch)
                    }
                    name if name.starts_with("Fn::") => None,
                    _ => Some(Value::Object(self.resolve_members(object))),
                }
            }
            Value::Object(object) => Some(Value::Object(self.resolve_members(object))),
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|item| self.resolve(item)).collect(),
            )),
            other => Some(other.clone()),
        }
    }

    fn resolve_members(&self, object: &Map<String, Value>) -> Map<String, Value> {
        object
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), self.resolve(value)?)))
            .collect()
    }

    /// A parameter's default; `None` for `AWS::NoValue` and pseudo
    /// parameters or resources, which only a stack has.
    fn parameter(&self, name: &str) -> Option<Value> {
        self.document["Parameters"][name]
            .get("Default")
            .cloned()
            .map(|default| match default {
                // CloudFormation hands every parameter over as text where
                // the property is a string; numbers stay numbers.
                Value::Bool(flag) => Value::String(flag.to_string()),
                other => other,
            })
    }

    /// The value of the condition `name` at the defaults.
    fn condition(&self, name: &str) -> Option<bool> {
        self.evaluate(&self.document["Conditions"][name])
    }

    fn evaluate(&self, condition: &Value) -> Option<bool> {
        let object = condition.as_object()?;
        let (key, argument) = object.iter().next()?;
        let list = || argument.as_array().map(Vec::as_slice).unwrap_or_default();
        match key.as_str() {
            "Condition" => self.condition(argument.as_str()?),
            "Fn::Not" => Some(!self.evaluate(list().first()?)?),
            "Fn::And" => list()
                .iter()
                .map(|c| self.evaluate(c))
                .collect::<Option<Vec<_>>>()
                .map(|values| !values.contains(&false)),
            "Fn::Or" => list()
                .iter()
                .map(|c| self.evaluate(c))
                .collect::<Option<Vec<_>>>()
                .map(|values| values.contains(&true)),
            "Fn::Equals" => {
                let [left, right] = list() else {
                    return None;
                };
                Some(text(&self.resolve(left)?) == text(&self.resolve(right)?))
            }
            _ => None,
        }
    }
}

/// A scalar as CloudFormation compares it: as text.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_and_conditions_resolve_at_the_defaults() {
        let template = Template::parse(
            r#"
Parameters:
  Mode: {Type: String, Default: "on"}
  Size: {Type: Number, Default: 8}
  Empty: {Type: String, Default: ""}
Conditions:
  IsOn: {Fn::Equals: [{Ref: Mode}, "on"]}
  HasEmpty: {Fn::Not: [{Fn::Equals: [{Ref: Empty}, ""]}]}
  Both: {Fn::And: [{Condition: IsOn}, {Condition: HasEmpty}]}
  Either: {Fn::Or: [{Condition: IsOn}, {Condition: HasEmpty}]}
Resources:
  Thing:
    Properties:
      Size: {Ref: Size}
      Chosen: {Fn::If: [IsOn, [a], [b]]}
      Gone: {Fn::If: [HasEmpty, x, {Ref: AWS::NoValue}]}
      Both: {Fn::If: [Both, yes, no]}
      Either: {Fn::If: [Either, yes, no]}
      Nested: {Inner: {Ref: Mode}, List: [{Ref: AWS::NoValue}, 1]}
      Stack: {Fn::Sub: "${AWS::StackName}-x"}
      Other: {Fn::GetAtt: [Thing, Arn]}
"#,
        )
        .unwrap();
        assert_eq!(
            Value::Object(template.properties("Thing")),
            json!({"Size": 8, "Chosen": ["a"], "Both": "no", "Either": "yes",
                "Nested": {"Inner": "on", "List": [1]}})
        );
        assert!(template.properties("Missing").is_empty());
    }

    #[test]
    fn the_built_in_template_gives_the_pool_its_settings() {
        let pool = Template::built_in().properties("UserPool");
        assert_eq!(pool["MfaConfiguration"], "OPTIONAL");
        assert_eq!(
            pool["UsernameConfiguration"],
            json!({"CaseSensitive": false})
        );
        assert_eq!(pool["AliasAttributes"], json!(["email"]));
        assert!(pool.get("UsernameAttributes").is_none());
        assert_eq!(
            pool["Policies"]["PasswordPolicy"]["MinimumLength"],
            json!(8)
        );
        assert!(pool.get("UserPoolName").is_none(), "only a stack names it");
        assert!(pool.get("LambdaConfig").is_none(), "no trigger by default");
    }
}
