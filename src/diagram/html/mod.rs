//! html
use super::layout::Geometry;
use super::scene::Scene;
use crate::model::Model;
pub fn render(_model: &Model, _scene: &Scene, _g: &Geometry) -> String { String::new() }
