//! temporal
