//! The run-report line the out-of-core examples print after their timed computation.

/// `read_bytes=.. spilled_bytes=.. peak_reserved_bytes=.. budget_bytes=..` of `report`.
pub fn io_line(report: &spillway::RunReport) -> String {
    format!(
        "read_bytes={} spilled_bytes={} peak_reserved_bytes={} budget_bytes={}",
        report.io.read_bytes,
        report.io.spilled_bytes,
        report.peak_reserved_bytes,
        report.budget_bytes
    )
}
