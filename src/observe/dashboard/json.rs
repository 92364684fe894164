//! The dashboard's `/status.json` document, built from its state (the schema is in the
//! [module docs](super)).

use super::MAX_TASK_RECORDS;
use super::state::Shared;
use serde_json::{Value, json};

impl Shared {
    pub(super) fn status_json(&self) -> Value {
        let reserved = self.budget.reserved();
        let peak = self.budget.peak_reserved();
        let limit = self.budget.limit();
        let now = self.now();
        let s = &self.summary;
        let state = self.lock();
        let computations: Vec<Value> = state
            .computations
            .iter()
            .map(|c| {
                let tasks: usize = c.stages.iter().map(|s| s.tasks).sum();
                let done: usize = c.stages.iter().map(|s| s.done).sum();
                let stages: Vec<Value> = c
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(index, st)| {
                        json!({
                            "index": index,
                            "label": st.label,
                            "tasks": st.tasks,
                            "done": st.done,
                            "status": st.phase.name(),
                            "workers": st.workers,
                            "worker_bytes": st.worker_bytes,
                            "stage_bytes": st.stage_bytes,
                            "seconds": st.seconds,
                        })
                    })
                    .collect();
                json!({
                    "id": c.id,
                    "status": c.phase.name(),
                    "started": c.offset.as_secs_f64(),
                    "seconds": c.seconds,
                    "tasks": tasks,
                    "done": done,
                    "peak_reserved": c.peak_reserved,
                    "spilled_bytes": c.spill.map(|s| s.spilled),
                    "reread_bytes": c.spill.map(|s| s.reread),
                    "stages": stages,
                })
            })
            .collect();
        let records: Vec<Value> = state
            .tasks
            .iter()
            .map(|t| {
                json!({
                    "computation": t.computation,
                    "stage": t.stage,
                    "label": &*t.label,
                    "task": t.task,
                    "worker": t.worker,
                    "thread": t.thread,
                    "start": t.start,
                    "end": t.end,
                })
            })
            .collect();
        let samples: Vec<Value> = state
            .samples
            .iter()
            .map(|s| json!([s.at, s.reserved]))
            .collect();
        let worker_samples: Vec<Value> = state
            .samples
            .iter()
            .map(|s| {
                let split: serde_json::Map<String, Value> = s
                    .by_worker
                    .iter()
                    .map(|&(h, b)| (h.key(), json!(b)))
                    .collect();
                json!([s.at, s.reserved, split])
            })
            .collect();
        json!({
            "version": 1,
            "now": now,
            "client": {
                "connection": "in-process",
                "workers": s.workers,
                "threads_per_worker": s.threads_per_worker,
                "total_threads": s.workers * s.threads_per_worker,
                "memory_limit_per_worker": s.memory_limit_per_worker,
                "total_memory": limit,
                "dashboard": self.url,
            },
            "memory": {
                "limit": limit,
                "reserved": reserved,
                "peak": peak,
                "shared_by_workers": true,
                "samples": samples,
                "worker_samples": worker_samples,
            },
            "spill": {
                "supported": true,
                "note": "counted as each computation finishes",
                "spilled_bytes": state.spill.spilled,
                "read_bytes": state.spill.reread,
                "computations": state.reports,
            },
            "computations": computations,
            "tasks": {
                "cap": MAX_TASK_RECORDS,
                "seen": state.tasks_seen,
                "records": records,
            },
        })
    }
}
