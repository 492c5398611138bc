//! The device a test runs on, as `navigator` tells the widget.

use super::*;

/// Gives `navigator` a property of this test's device (a user agent, being offline, a
/// share sheet, a clipboard); dropping it gives the browser's own back, and takes away
/// what its share sheet or clipboard kept on `window`.
#[derive(Default)]
pub struct Device {
    /// The properties given to `navigator`.
    properties: Vec<&'static str>,
    /// The `window` keys its recorders keep their argument in.
    recorders: Vec<String>,
}

impl Device {
    pub fn new() -> Self {
        Device::default()
    }

    pub fn with(mut self, name: &'static str, value: &wasm_bindgen::JsValue) -> Self {
        let descriptor = js_sys::Object::new();
        js_sys::Reflect::set(&descriptor, &"value".into(), value).expect("set");
        js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into()).expect("set");
        js_sys::Object::define_property(&window().navigator(), &name.into(), &descriptor);
        self.properties.push(name);
        self
    }

    /// Gives `navigator` a function `name` that keeps its argument in `window[key]` (read
    /// it with [`recorded`]) and resolves, as a share sheet does.
    pub fn recording(mut self, name: &'static str, key: &str) -> Self {
        let recorder = self.recorder(key);
        self.with(name, &recorder.into())
    }

    /// A function that keeps its argument in `window[key]` and resolves.
    fn recorder(&mut self, key: &str) -> js_sys::Function {
        self.recorders.push(key.to_owned());
        js_sys::Function::new_with_args(
            "value",
            &format!("window.{key} = value; return Promise.resolve();"),
        )
    }

    /// A computer without a share sheet, whose clipboard keeps what is copied in
    /// `window[key]`.
    pub fn computer_copying_into(key: &str) -> Self {
        let mut device = Device::new();
        let clipboard = js_sys::Object::new();
        js_sys::Reflect::set(&clipboard, &"writeText".into(), &device.recorder(key)).expect("set");
        device
            .with("userAgent", &DESKTOP.into())
            .with("share", &wasm_bindgen::JsValue::UNDEFINED)
            .with("clipboard", &clipboard)
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let navigator = window().navigator();
        for name in &self.properties {
            let _ = js_sys::Reflect::delete_property(&navigator, &(*name).into());
        }
        for key in &self.recorders {
            let _ = js_sys::Reflect::delete_property(&window(), &key.as_str().into());
        }
    }
}

/// What a recorder of the device kept in `window[key]`.
pub fn recorded(key: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(&window(), &key.into()).expect("get")
}

pub const IPHONE_IOS17: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
pub const IPHONE_IOS16: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
pub const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
pub const DETAILS: &str =
    "SM-DP+ address: sm-dp-plus.simology.net\nActivation code: ACT-CODE-1234\n\
    LPA: LPA:1$sm-dp-plus.simology.net$ACT-CODE-1234\nICCID: 8988307000001234567";
