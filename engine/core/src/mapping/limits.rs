//! The documented limits of a mapping file (README, "Limits"): past them a mapping is
//! refused with a diagnostic instead of costing time or memory out of proportion.

/// Bytes a mapping file may hold. The largest shipped mapping is a few tens of KiB;
/// the limit keeps the cost of loading and validating bounded.
pub const MAX_MAPPING_BYTES: usize = 16 << 20;

/// Routes (`ocsf_mapping` entries) a mapping may have.
pub const MAX_ROUTES: usize = 65_536;

/// Levels of nested collections in a mapping file (the document itself is level 1).
/// YAML parsers spend time in proportion to the depth for every token, so the depth is
/// checked before the document is parsed into values.
pub const MAX_NESTING: usize = 64;
