//! Links the widget (the workspace's root package) into the cdylib trunk turns into
//! wasm; its `#[wasm_bindgen]` export (`mount`) comes along.

pub use simology_widget::mount;
