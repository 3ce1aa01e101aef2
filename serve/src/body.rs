//! Reading a request body under the limits: its own size, the read timeout,
//! and the bytes all bodies in memory may hold together.
//!
//! Without the shared budget, `max_requests` bodies of `max_body_bytes` each
//! could be in memory at once (64 × 16 MiB = 1 GiB by default); with it, a
//! body that would pass the budget is refused (`429`) before more of it is
//! read.

use super::ServeLimits;
use super::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use http_body_util::BodyExt as _;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget's unit: permits count KiB.
const UNIT: usize = 1024;

/// The bytes all request bodies being read or handled may hold together.
pub(super) struct BodyBudget {
    kib: Arc<Semaphore>,
    bytes: usize,
}

/// A body's share of the budget, given back when dropped.
pub(super) struct Reserved(Option<OwnedSemaphorePermit>);

impl BodyBudget {
    pub fn new(bytes: usize) -> Self {
        Self {
            kib: Arc::new(Semaphore::new(bytes.div_ceil(UNIT))),
            bytes,
        }
    }

    /// Grows `reserved` to cover `total` bytes, or refuses.
    fn cover(&self, reserved: &mut Reserved, total: usize) -> Result<(), ApiError> {
        let held = reserved.0.as_ref().map_or(0, |p| p.num_permits());
        let needed = total.div_ceil(UNIT).saturating_sub(held);
        if needed == 0 {
            return Ok(());
        }
        let more = u32::try_from(needed)
            .ok()
            .and_then(|n| self.kib.clone().try_acquire_many_owned(n).ok())
            .ok_or_else(|| self.exhausted())?;
        match &mut reserved.0 {
            Some(permit) => permit.merge(more),
            None => reserved.0 = Some(more),
        }
        Ok(())
    }

    fn exhausted(&self) -> ApiError {
        let mut api = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "server_busy",
            format!(
                "The request bodies being handled fill this server's budget of {} bytes; retry shortly",
                self.bytes
            ),
        );
        api.retry_after_ms = Some(1000);
        api
    }
}

/// The whole body, read within the body limit, the read timeout and the
/// shared budget (reserved up front for a declared length, as it arrives
/// otherwise). The reservation lasts as long as the caller keeps it.
pub(super) async fn read(
    body: Body,
    declared: Option<u64>,
    limits: &ServeLimits,
    budget: &BodyBudget,
) -> Result<(Bytes, Reserved), ApiError> {
    let mut reserved = Reserved(None);
    if let Some(length) = declared {
        // The caller refused lengths over the limit, which fits in usize.
        budget.cover(&mut reserved, usize::try_from(length).unwrap_or(usize::MAX))?;
    }
    let reading = async {
        let mut body = body;
        // Declared lengths are within the limit (the caller checked).
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| unreadable())?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let total = bytes.len() + data.len();
            if total > limits.max_body_bytes {
                return Err(too_large(limits));
            }
            budget.cover(&mut reserved, total)?;
            bytes.extend_from_slice(&data);
        }
        Ok(Bytes::from(bytes))
    };
    match tokio::time::timeout(limits.body_read_timeout, reading).await {
        Ok(Ok(bytes)) => Ok((bytes, reserved)),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "invalid_request_error",
            "body_timeout",
            format!(
                "The request body did not arrive within {:?}",
                limits.body_read_timeout
            ),
        )),
    }
}

fn unreadable() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "invalid_body",
        "The request body could not be read",
    )
}

/// A body over `max_body_bytes`.
pub(super) fn too_large(limits: &ServeLimits) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request_error",
        "request_too_large",
        format!(
            "The request body is larger than this server's limit of {} bytes (serve --max-body-bytes)",
            limits.max_body_bytes
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serve_bodies_share_one_budget() {
        let limits = ServeLimits::default();
        let budget = BodyBudget::new(10 * UNIT);
        let (first, held) = read(Body::from(vec![b'x'; 6 * UNIT]), None, &limits, &budget)
            .await
            .expect("within the budget");
        assert_eq!(first.len(), 6 * UNIT);
        let refused = read(Body::from(vec![b'x'; 6 * UNIT]), None, &limits, &budget).await;
        let error = refused.err().expect("past the budget");
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        let declared = read(Body::empty(), Some(6 * UNIT as u64), &limits, &budget).await;
        assert!(declared.is_err(), "a declared length is reserved up front");
        drop(held);
        assert!(
            read(Body::from(vec![b'x'; 6 * UNIT]), None, &limits, &budget)
                .await
                .is_ok(),
            "given back when dropped"
        );
    }
}
