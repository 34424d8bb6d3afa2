//! Helpers for the YAML tests: comparing trees without their spans.

use crate::syntax::ast::{Entry, File, Hotspot, Relationship};
use crate::syntax::span::Span;

/// The tree with the plain spans of entries, hot spots and relationships
/// zeroed (the `Spanned` values already compare without theirs).
pub fn without_spans(file: &File) -> File {
    let mut file = file.clone();
    fn entries<T>(list: &mut [Entry<T>], mut body: impl FnMut(&mut T)) {
        for entry in list {
            entry.span = Span::default();
            body(&mut entry.body);
        }
    }
    fn hotspots(list: &mut [Hotspot]) {
        list.iter_mut().for_each(|h| h.span = Span::default());
    }
    fn relationships(list: &mut [Relationship]) {
        list.iter_mut().for_each(|r| r.span = Span::default());
    }
    entries(&mut file.lints, |_| {});
    entries(&mut file.actors, |_| {});
    entries(&mut file.flows, |_| {});
    hotspots(&mut file.hotspots);
    relationships(&mut file.relationships);
    entries(&mut file.contexts, |context| {
        hotspots(&mut context.hotspots);
        entries(&mut context.policies, |_| {});
        entries(&mut context.read_models, |read_model| entries(&mut read_model.fields, |_| {}));
        entries(&mut context.services, |_| {});
        entries(&mut context.aggregates, |aggregate| {
            entries(&mut aggregate.fields, |_| {});
            entries(&mut aggregate.events, |event| entries(&mut event.fields, |_| {}));
            entries(&mut aggregate.commands, |command| entries(&mut command.fields, |_| {}));
        });
    });
    file
}
