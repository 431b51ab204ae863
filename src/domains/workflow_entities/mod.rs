//! Workflow entities: the condition-tree engine (validation with field paths, evaluation with a
//! per-rule trace, `{{message.x}}` rendering). The CRUD endpoints come with the workflow issue.

pub mod condition;
