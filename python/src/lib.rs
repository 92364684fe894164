//! `spillway._spillway`: the native module behind the `spillway` Python package. It is a
//! thin layer on spillway's public Rust API ([`spillway::array::dynamic::AnyArray`] for
//! arrays whose dtype Python decides at run time); the package's Python modules give it
//! Dask's names and signatures.

/// Runs `$e` with the type alias `$t` set to the Rust type of dtype `$d` (all thirteen).
macro_rules! with_dtype {
    ($d:expr, $t:ident => $e:expr) => {
        match $d {
            spillway::DType::Float64 => {
                type $t = f64;
                $e
            }
            spillway::DType::Float32 => {
                type $t = f32;
                $e
            }
            spillway::DType::Int64 => {
                type $t = i64;
                $e
            }
            spillway::DType::Int32 => {
                type $t = i32;
                $e
            }
            spillway::DType::Int16 => {
                type $t = i16;
                $e
            }
            spillway::DType::Int8 => {
                type $t = i8;
                $e
            }
            spillway::DType::UInt64 => {
                type $t = u64;
                $e
            }
            spillway::DType::UInt32 => {
                type $t = u32;
                $e
            }
            spillway::DType::UInt16 => {
                type $t = u16;
                $e
            }
            spillway::DType::UInt8 => {
                type $t = u8;
                $e
            }
            spillway::DType::Bool => {
                type $t = bool;
                $e
            }
            spillway::DType::Complex64 => {
                type $t = spillway::dtype::Complex64;
                $e
            }
            spillway::DType::Complex128 => {
                type $t = spillway::dtype::Complex128;
                $e
            }
        }
    };
}

mod array;
mod blocks;
mod client;
mod convert;
mod creation;
mod delayed;
mod elements;
mod errors;
mod interrupt;
mod mpi;
mod source;
mod zarr;

use pyo3::prelude::*;

#[pymodule]
fn _spillway(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<array::PyArr>()?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<creation::PyGenerator>()?;
    m.add_class::<delayed::PyDelayed>()?;
    m.add_function(wrap_pyfunction!(client::progress_start, m)?)?;
    m.add_function(wrap_pyfunction!(client::progress_stop, m)?)?;
    m.add_function(wrap_pyfunction!(client::current_budget, m)?)?;
    m.add_function(wrap_pyfunction!(delayed::delayed_call, m)?)?;
    m.add_function(wrap_pyfunction!(delayed::compute_delayed, m)?)?;
    m.add_function(wrap_pyfunction!(delayed::visualize_delayed, m)?)?;
    m.add(
        "MemoryBudgetError",
        m.py().get_type::<errors::MemoryBudgetError>(),
    )?;
    // the dtypes spillway holds, by NumPy name (`spillway._native._SUPPORTED`)
    let dtypes: Vec<&str> = spillway::DType::ALL.iter().map(|d| d.name()).collect();
    m.add("DTYPES", dtypes)?;
    m.add_function(wrap_pyfunction!(array::compute_many, m)?)?;
    m.add_function(wrap_pyfunction!(source::from_reader, m)?)?;
    m.add_function(wrap_pyfunction!(creation::arange, m)?)?;
    m.add_function(wrap_pyfunction!(creation::linspace, m)?)?;
    m.add_function(wrap_pyfunction!(creation::full, m)?)?;
    m.add_function(wrap_pyfunction!(creation::complex, m)?)?;
    m.add_function(wrap_pyfunction!(creation::random, m)?)?;
    m.add_function(wrap_pyfunction!(creation::seed, m)?)?;
    m.add_function(wrap_pyfunction!(creation::from_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(creation::from_zarr, m)?)?;
    m.add_function(wrap_pyfunction!(zarr::zarr_array_info, m)?)?;
    m.add_function(wrap_pyfunction!(zarr::zarr_list_group, m)?)?;
    m.add_function(wrap_pyfunction!(creation::concatenate, m)?)?;
    m.add_function(wrap_pyfunction!(creation::stack, m)?)?;
    m.add_function(wrap_pyfunction!(creation::where_, m)?)?;
    m.add_function(wrap_pyfunction!(creation::matmul, m)?)?;
    m.add_function(wrap_pyfunction!(creation::tensordot, m)?)?;
    m.add_function(wrap_pyfunction!(creation::einsum, m)?)?;
    m.add_function(wrap_pyfunction!(creation::linalg, m)?)?;
    m.add_function(wrap_pyfunction!(mpi::mpi_available, m)?)?;
    m.add_function(wrap_pyfunction!(mpi::mpi_initialize, m)?)?;
    Ok(())
}
