//! Loading data into a signal: `None` while the request runs, then its result. Lighter
//! in the wasm than an async resource, and all the widget needs.

use std::future::Future;

use leptos::prelude::*;

use crate::backend::Failure;

/// A value being loaded.
pub type Loaded<T> = RwSignal<Option<Result<T, Failure>>>;

/// Starts `fut` and stores its result in `into` (set to `None` first). A result that
/// arrives after the component is gone is dropped.
pub fn load_into<T: Send + Sync + 'static>(
    into: Loaded<T>,
    fut: impl Future<Output = Result<T, Failure>> + 'static,
) {
    into.set(None);
    // On the proxy (the frame's first screen), nothing loads: what the screen shows
    // without the data is what the proxy renders, and the browser loads it.
    #[cfg(feature = "ssr")]
    drop(fut);
    #[cfg(not(feature = "ssr"))]
    leptos::task::spawn_local(async move {
        let result = fut.await;
        into.try_set(Some(result));
    });
}

/// A new signal loading `fut`.
pub fn load<T: Send + Sync + 'static>(
    fut: impl Future<Output = Result<T, Failure>> + 'static,
) -> Loaded<T> {
    let into = RwSignal::new(None);
    load_into(into, fut);
    into
}
