//! What the proxy does for a request, apart from HTTP: the routes (and the CLI) call
//! these with typed values and get typed answers or an `ApiError`.

pub mod beacons;
pub mod emails;
pub mod embed;
pub mod lines;
pub mod purchase;
pub mod refund;
pub mod report;
pub mod status;
pub mod usage;
