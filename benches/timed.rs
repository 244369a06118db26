//! The timing loop the async benches share.

/// Times `iters` runs of an async body inside `runtime`, for `iter_custom`.
macro_rules! timed {
    ($runtime:expr, $iters:expr, $body:block) => {
        $runtime.block_on(async {
            let started = std::time::Instant::now();
            for _ in 0..$iters $body
            started.elapsed()
        })
    };
}
