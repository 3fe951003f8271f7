//! The mapping language: the file model, loading JSON/YAML, and `$.` paths.

pub mod condition;
pub mod lake;
pub mod limits;
pub mod load;
pub mod model;
pub mod node;
pub mod path;
pub mod value;

pub use load::{LoadError, Syntax, load, parse_str, read_text};
pub use model::{
    DropRule, InputSpec, MappingFile, OnTypeError, RouteSpec, SourceEvents, TimestampSpec,
};
pub use node::Node;
pub use value::{MappingValue, Operand};
