//! Errors of array operations: shapes, axes, chunks and arguments.

/// An invalid array operation, named with the values involved and what would be accepted.
///
/// ```
/// use spillway::ArrayError;
/// let e = ArrayError::AxisOutOfRange { axis: 3, ndim: 2 };
/// assert_eq!(e.to_string(), "axis 3 is out of range for an array of 2 dimensions; use an axis in -2..=1");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// Two shapes that NumPy's broadcasting rules cannot combine.
    #[error(
        "operands could not be broadcast together with shapes {left} and {right}: axis {axis} has extents {left_extent} and {right_extent}; extents must be equal or 1"
    )]
    Broadcast {
        /// Left shape, as a Python tuple.
        left: String,
        /// Right shape, as a Python tuple.
        right: String,
        /// The output axis where they clash.
        axis: usize,
        /// Left extent there.
        left_extent: usize,
        /// Right extent there.
        right_extent: usize,
    },
    /// An axis outside `-ndim..ndim`.
    #[error("axis {axis} is out of range for an array of {ndim} dimensions; use an axis in -{ndim}..={}", *ndim as isize - 1)]
    AxisOutOfRange {
        /// The axis given.
        axis: isize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// The same axis given twice.
    #[error("axis {axis} is given more than once; list each axis once")]
    DuplicateAxis {
        /// The repeated axis (normalised).
        axis: usize,
    },
    /// A permutation that is not one of `0..ndim`.
    #[error(
        "axes {axes:?} are not a permutation of 0..{ndim}; give each axis of the array exactly once"
    )]
    BadPermutation {
        /// The axes given.
        axes: Vec<isize>,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// More dimensions than spillway supports.
    #[error("arrays of {ndim} dimensions are not supported; spillway handles up to {max}")]
    TooManyDims {
        /// Dimensions asked for.
        ndim: usize,
        /// The maximum.
        max: usize,
    },
    /// A shape with more elements than can be counted: its size or bytes would overflow.
    #[error(
        "shape {shape:?} has more than {max} elements (its size in bytes would overflow); use a smaller shape"
    )]
    TooManyElements {
        /// The shape asked for.
        shape: Vec<usize>,
        /// The most elements an array may have.
        max: u64,
    },
    /// A chunk length of zero.
    #[error("chunk size 0 on axis {axis} is not allowed; chunk sizes must be at least 1")]
    ZeroChunk {
        /// The axis.
        axis: usize,
    },
    /// A negative chunk size other than -1.
    #[error(
        "chunk size {size} is not allowed; use a positive size, or -1 for one chunk along the whole axis"
    )]
    NegativeChunk {
        /// The size given.
        size: i64,
    },
    /// A chunking with more chunks than spillway tracks.
    #[error(
        "chunks on axis {axis} cut its extent {extent} into {blocks} chunks; at most {max} are allowed, use larger chunks"
    )]
    TooManyChunks {
        /// The axis.
        axis: usize,
        /// Chunks it would have.
        blocks: usize,
        /// The limit.
        max: usize,
        /// The axis's extent.
        extent: usize,
    },
    /// Chunks given for the wrong number of axes.
    #[error("chunks {chunks} give {got} axes but the array has {ndim}; give one entry per axis")]
    ChunkRank {
        /// The chunks given.
        chunks: String,
        /// Axes they describe.
        got: usize,
        /// Axes of the array.
        ndim: usize,
    },
    /// Explicit chunk lengths that do not add up to the axis's extent.
    #[error(
        "chunks {chunks:?} on axis {axis} do not cover its extent {extent}; lengths must be positive and sum to {extent}"
    )]
    ChunksDoNotCover {
        /// The axis.
        axis: usize,
        /// The lengths given.
        chunks: Vec<usize>,
        /// The axis's extent.
        extent: usize,
    },
    /// A byte target for chunks that does not parse.
    #[error("chunks {text:?} is not a byte size or \"auto\": {reason}")]
    BadChunkBytes {
        /// The text given.
        text: String,
        /// Why it did not parse.
        reason: String,
    },
    /// An argument outside what an op accepts.
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The op.
        op: &'static str,
        /// What was wrong and what would be accepted.
        message: String,
    },
    /// A write into a store that the same computation reads: the write would replace
    /// chunks before they are read. Refused before anything is touched.
    #[error(
        "cannot write to {target}: the computation reads {read}, which {relation} the target, \
         so the write would replace chunks before they are read; write to a new path, then move \
         it into place (std::fs::rename) once the write has finished"
    )]
    WriteOverSource {
        /// The store written to.
        target: String,
        /// The store read that shares data with it.
        read: String,
        /// How the store read relates to the target: "is", "lies inside" or "contains".
        relation: &'static str,
    },
    // ----- indexing and shape (issue 4) -----
    /// An integer index outside `-extent..extent`, alone or in an index list.
    #[error(
        "index {index} is out of bounds for axis {axis} with size {extent}; use an index in -{extent}..{extent}"
    )]
    IndexOutOfRange {
        /// The index given.
        index: isize,
        /// The axis it indexes.
        axis: usize,
        /// The axis's extent.
        extent: usize,
    },
    /// A slice with step 0.
    #[error(
        "slice step cannot be zero (axis {axis}); use a positive step, or a negative one to go down"
    )]
    ZeroStep {
        /// The axis the slice indexes.
        axis: usize,
    },
    /// More indices than axes.
    #[error(
        "too many indices for array: array is {ndim}-dimensional, but {given} were indexed; index at most {ndim} axes"
    )]
    TooManyIndices {
        /// Axes the index addresses.
        given: usize,
        /// The array's number of dimensions.
        ndim: usize,
    },
    /// A boolean mask whose length is not the axis's extent.
    #[error(
        "boolean mask of length {len} does not match axis {axis} of size {extent}; give a mask of {extent} values"
    )]
    MaskLength {
        /// The mask's length.
        len: usize,
        /// The axis.
        axis: usize,
        /// The axis's extent.
        extent: usize,
    },
    /// A reshape to a shape of a different size.
    #[error(
        "cannot reshape array of size {size} into shape {shape}; the new shape must have {size} elements"
    )]
    ReshapeSize {
        /// Elements of the array.
        size: usize,
        /// The shape asked for, as a Python tuple.
        shape: String,
    },
    /// Arrays to concatenate or stack whose shapes do not fit together.
    #[error(
        "{op}: array {index} has shape {shape} but array 0 has shape {first}; all shapes must match{except}"
    )]
    ShapeMismatch {
        /// `"concatenate"` or `"stack"`.
        op: &'static str,
        /// Position of the mismatching array.
        index: usize,
        /// Its shape, as a Python tuple.
        shape: String,
        /// Shape of the first array, as a Python tuple.
        first: String,
        /// `" except along axis N"` for concatenate, else empty.
        except: String,
    },
    /// A dtype-erased array taken as a typed one of another dtype
    /// (`Array::<T>::try_from(any)`): nothing is converted silently.
    #[error(
        "the array holds {stored} elements, not {requested}; take it as Array<{stored_rust}>, or convert it first with AnyArray::typed::<{requested_rust}>() (NumPy's astype)",
        stored_rust = stored.rust_name(),
        requested_rust = requested.rust_name()
    )]
    DtypeMismatch {
        /// The dtype the array holds.
        stored: crate::dtype::DType,
        /// The dtype asked for.
        requested: crate::dtype::DType,
    },
    /// An operation given an element type it is not defined for (NumPy's `TypeError`).
    #[error("{op}: not supported for dtype {dtype}; {fix}")]
    UnsupportedDtype {
        /// The op.
        op: &'static str,
        /// The dtype given (NumPy's name).
        dtype: String,
        /// What would be accepted, or how to get there.
        fix: String,
    },
}
