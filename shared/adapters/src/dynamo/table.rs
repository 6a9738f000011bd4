//! The table definition, read from `infra/template.yaml` (resource `Table`),
//! so that the deployed table, the local one and the tests' are the same.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use serde::Deserialize;

pub const TEMPLATE: &str = include_str!("../../../../infra/template.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDef {
    pub attribute_definitions: Vec<AttrDef>,
    pub key_schema: Vec<KeyDef>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<GsiDef>,
    pub time_to_live_specification: TtlDef,
    /// The change stream the delivery function reads (issue 15).
    #[serde(default)]
    pub stream_specification: Option<StreamDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDef {
    pub stream_view_type: String,
}

impl StreamDef {
    fn spec(&self) -> Result<StreamSpecification, TableError> {
        StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::from(self.stream_view_type.as_str()))
            .build()
            .map_err(|e| TableError::Template(e.to_string()))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttrDef {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyDef {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GsiDef {
    pub index_name: String,
    pub key_schema: Vec<KeyDef>,
    pub projection: ProjectionDef,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDef {
    pub projection_type: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TtlDef {
    pub attribute_name: String,
    pub enabled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("infra/template.yaml: {0}")]
    Template(String),
    #[error("DynamoDB: {0}")]
    Dynamo(String),
}

impl TableDef {
    /// `Resources.Table.Properties` of the SAM template.
    pub fn from_template(yaml: &str) -> Result<Self, TableError> {
        let doc: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|e| TableError::Template(e.to_string()))?;
        let props = doc
            .get("Resources")
            .and_then(|r| r.get("Table"))
            .and_then(|t| t.get("Properties"))
            .ok_or_else(|| TableError::Template("no Resources.Table.Properties".into()))?;
        serde_yaml::from_value(props.clone()).map_err(|e| TableError::Template(e.to_string()))
    }

    pub fn from_repo() -> Result<Self, TableError> {
        Self::from_template(TEMPLATE)
    }
}

fn key_schema(keys: &[KeyDef]) -> Result<Vec<KeySchemaElement>, TableError> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| TableError::Template(e.to_string()))
        })
        .collect()
}

/// Create the table unless it exists, and turn TTL on. A table made before
/// the template had a stream (`make dev`'s, kept across runs) gets one.
pub async fn ensure_table(client: &Client, name: &str, def: &TableDef) -> Result<bool, TableError> {
    let dynamo = |e: String| TableError::Dynamo(e);
    match client.describe_table().table_name(name).send().await {
        Ok(found) => {
            let streams = found.table.and_then(|t| t.stream_specification).is_some_and(|s| s.stream_enabled);
            if let (Some(stream), false) = (&def.stream_specification, streams) {
                client.update_table().table_name(name).stream_specification(stream.spec()?).send().await.map_err(
                    |e| dynamo(format!("stream on {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e))),
                )?;
            }
            return Ok(false);
        }
        Err(e) => {
            let not_found = e.as_service_error().map(|s| s.is_resource_not_found_exception()).unwrap_or(false);
            if !not_found {
                return Err(dynamo(format!("describe {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e))));
            }
        }
    }
    let mut req = client.create_table().table_name(name).billing_mode(BillingMode::PayPerRequest);
    for a in &def.attribute_definitions {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(|e| TableError::Template(e.to_string()))?,
        );
    }
    req = req.set_key_schema(Some(key_schema(&def.key_schema)?));
    if let Some(stream) = &def.stream_specification {
        req = req.stream_specification(stream.spec()?);
    }
    for g in &def.global_secondary_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&g.index_name)
                .set_key_schema(Some(key_schema(&g.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(g.projection.projection_type.as_str()))
                        .build(),
                )
                .build()
                .map_err(|e| TableError::Template(e.to_string()))?,
        );
    }
    req.send()
        .await
        .map_err(|e| dynamo(format!("create {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e))))?;
    if def.time_to_live_specification.enabled {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(&def.time_to_live_specification.attribute_name)
                    .enabled(true)
                    .build()
                    .map_err(|e| TableError::Template(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| dynamo(format!("ttl {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e))))?;
    }
    Ok(true)
}
