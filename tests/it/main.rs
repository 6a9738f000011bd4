//! The integration tests, one binary: the real handlers against DynamoDB
//! Local and moto_server (`make test` starts both). One binary links the AWS
//! SDK once instead of once per test file; nextest still runs every test in
//! its own process.

mod common;

mod access;
mod access_fields;
mod audit_export;
mod auth;
mod bounce;
mod built_in_roles;
mod bulk_invitations;
mod constraints;
mod contract;
mod delivery;
mod directory;
mod due_shards;
mod emergency;
mod emergency_bounds;
mod fan_out;
mod grants;
mod iam;
mod invitations;
mod invitee;
mod lock_mail;
mod logs;
mod mail_abuse;
mod malformed;
mod matrix;
mod member_details;
mod members_list;
mod metrics;
mod modules;
mod onboarding;
mod openapi_shapes;
mod outbound;
mod outbox;
mod policy;
mod races;
mod reads;
mod reads_lists;
mod reads_members;
mod reads_writes;
mod second_factor;
mod security;
mod sessions;
mod settings;
mod stamps;
mod support;
mod unrecorded;
mod warm_up;
