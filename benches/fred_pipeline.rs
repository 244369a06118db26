//! The SET-then-GET pipeline through fred, shared by the client and
//! cluster benches.

use fred::prelude::KeysInterface;

/// Queues a SET of `value` for every key, then a GET of every key, and
/// runs them as one fred pipeline; the replies.
pub(crate) async fn set_then_get(
    fred: &fred::prelude::Client,
    keys: &[String],
    value: &str,
) -> Vec<fred::prelude::Value> {
    let pipeline = fred.pipeline();
    for key in keys {
        pipeline
            .set::<(), _, _>(key.as_str(), value, None, None, false)
            .await
            .unwrap();
    }
    for key in keys {
        pipeline.get::<(), _>(key.as_str()).await.unwrap();
    }
    pipeline.all().await.unwrap()
}
