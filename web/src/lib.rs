//! Links the widget (the workspace's root package) into the cdylib trunk turns into
//! wasm; its `#[wasm_bindgen]` exports (`mount`) come along.

pub use simology_widget::mount;
