//! Reductions beyond [`reduction`](super::reduction): `prod`, the NaN-ignoring family
//! (`nansum`, `nanmean`, `nanvar`, `nanstd`, `nanmin`, `nanmax`), `count_nonzero`, `ptp`,
//! `argmin`/`argmax` ([`basic`], [`arg`]), blocked scans `cumsum`/`cumprod` ([`scan`]),
//! exact `median`/`percentile` by multi-pass selection ([`select`]) and `histogram`
//! ([`histogram`]).

pub mod arg;
pub mod basic;
pub(crate) mod fold;
pub mod histogram;
pub mod scan;
pub mod select;
