//! The widget in a real (headless) browser, rendered from fixed data through a fake
//! proxy, one module per screen. Tests wait for what they look for (an element, a
//! change, a request), never for a fixed time; each mounts through [`harness`], whose
//! guard unmounts the widget and removes its element when the test is done.
//!
//! `cargo xtask test --only widget-browser` runs them (a module left out of the list
//! below is an error there, not a silent pass).
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use leptos::mount::{mount_to, UnmountHandle};
use leptos::prelude::*;
use leptos::tachys::view::any_view::AnyViewState;
use simology_proxy_api::*;
use simology_widget::attribution::Attribution;
use simology_widget::backend::{Backend, Failure, Fut};
use simology_widget::browser::Waker;
use simology_widget::components::app::Widget;
use simology_widget::context::{Config, Screen, Services};
use simology_widget::frame::{Detail, HostEvent, Sale};
use simology_widget::polling::{OrderPoll, Watched};
use simology_widget_core::compat::{self, Devices};
use simology_widget_core::i18n::Lang;
use simology_widget_core::saved::SavedOrder;
use simology_widget_core::status::{Pace, LONG_POLL_SECS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// What every screen's tests share.
mod device;
mod fixtures;
mod harness;

use device::*;
use fixtures::*;
use harness::*;

// The tests, by screen.
mod checkout;
mod compat_step;
mod host;
mod hostile;
mod picker;
mod ready;
mod status;
mod topups;
