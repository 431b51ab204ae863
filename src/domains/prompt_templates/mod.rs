//! Prompt templates: versioned prompts that call their model. This step holds the offline
//! sentiment analyser; the endpoints follow.

pub mod sentiment;
