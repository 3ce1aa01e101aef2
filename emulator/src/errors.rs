//! AWS-shaped error answers.
//!
//! Bedrock Runtime is a restJson1 service: an error is an HTTP status, a JSON body
//! `{"message": "..."}` and the error code in `x-amzn-ErrorType` (code, a colon, then a
//! namespace URL the SDKs strip). botocore and the JS SDK pick the typed exception from that
//! header, so every error here carries it. In-stream exceptions reuse the same codes under
//! their lower-camel event names. The SSO portal is restJson1 too and answers its errors
//! through the same type; STS, a query-protocol service, has its XML errors in
//! [`crate::sts`].

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

/// The suffix AWS appends to the code in `x-amzn-ErrorType`.
const ERROR_TYPE_NAMESPACE: &str = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

/// Every error code the emulator answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Validation,
    AccessDenied,
    ResourceNotFound,
    ModelTimeout,
    ModelError,
    ModelStreamError,
    ModelNotReady,
    Throttling,
    InternalServer,
    ServiceUnavailable,
    MissingAuthenticationToken,
    UnrecognizedClient,
    ExpiredToken,
    InvalidSignature,
    IncompleteSignature,
    UnknownOperation,
    /// The SSO portal's answer to a missing or unknown access token.
    Unauthorized,
    /// The SSO portal's answer to a malformed request.
    InvalidRequest,
}

/// The codes a `status=CODE` directive may ask for, by HTTP status.
const BY_STATUS: [ErrorCode; 8] = [
    ErrorCode::Validation,
    ErrorCode::AccessDenied,
    ErrorCode::ResourceNotFound,
    ErrorCode::ModelTimeout,
    ErrorCode::ModelError,
    ErrorCode::Throttling,
    ErrorCode::InternalServer,
    ErrorCode::ServiceUnavailable,
];

/// The exceptions ConverseStream can raise inside an open stream (model-not-ready
/// too: a model that is still loading can answer 200 and refuse in the first frame).
const IN_STREAM: [ErrorCode; 6] = [
    ErrorCode::InternalServer,
    ErrorCode::ModelStreamError,
    ErrorCode::ModelNotReady,
    ErrorCode::Validation,
    ErrorCode::Throttling,
    ErrorCode::ServiceUnavailable,
];

impl ErrorCode {
    /// The AWS error code, as in `x-amzn-ErrorType`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::AccessDenied => "AccessDeniedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::ModelTimeout => "ModelTimeoutException",
            Self::ModelError => "ModelErrorException",
            Self::ModelStreamError => "ModelStreamErrorException",
            Self::ModelNotReady => "ModelNotReadyException",
            Self::Throttling => "ThrottlingException",
            Self::InternalServer => "InternalServerException",
            Self::ServiceUnavailable => "ServiceUnavailableException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::ExpiredToken => "ExpiredTokenException",
            Self::InvalidSignature => "InvalidSignatureException",
            Self::IncompleteSignature => "IncompleteSignatureException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::Unauthorized => "UnauthorizedException",
            Self::InvalidRequest => "InvalidRequestException",
        }
    }

    /// The HTTP status AWS sends with this code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::Validation | Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::AccessDenied
            | Self::MissingAuthenticationToken
            | Self::UnrecognizedClient
            | Self::ExpiredToken
            | Self::InvalidSignature
            | Self::IncompleteSignature => StatusCode::FORBIDDEN,
            Self::ResourceNotFound | Self::UnknownOperation => StatusCode::NOT_FOUND,
            Self::ModelTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::ModelError | Self::ModelStreamError => StatusCode::FAILED_DEPENDENCY,
            Self::Throttling | Self::ModelNotReady => StatusCode::TOO_MANY_REQUESTS,
            Self::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The message Bedrock sends when nothing more specific applies.
    pub fn default_message(self) -> &'static str {
        match self {
            Self::Validation => "Invalid input request, please reformat your input and try again.",
            Self::AccessDenied => "You don't have access to the model with the specified model ID.",
            Self::ResourceNotFound => {
                "Could not resolve the foundation model from the provided model identifier."
            }
            Self::ModelTimeout => {
                "Model has timed out in processing the request. Try your request again."
            }
            Self::ModelError => "The model returned an error. Try your request again.",
            Self::ModelStreamError => "The model stream was interrupted. Try your request again.",
            Self::ModelNotReady => {
                "Model is not ready for inference. Wait and try your request again."
            }
            Self::Throttling => "Too many requests, please wait before trying again.",
            Self::InternalServer => {
                "The system encountered an unexpected error during processing. Try your request again."
            }
            Self::ServiceUnavailable => "Bedrock is unable to process your request.",
            Self::MissingAuthenticationToken => "Missing Authentication Token",
            Self::UnrecognizedClient => "The security token included in the request is invalid.",
            Self::ExpiredToken => "The security token included in the request is expired",
            Self::InvalidSignature => {
                "The request signature we calculated does not match the signature you provided. \
                 Check your AWS Secret Access Key and signing method. Consult the service \
                 documentation for details."
            }
            Self::IncompleteSignature => "The Authorization header is incomplete.",
            Self::UnknownOperation => "Unknown operation",
            Self::Unauthorized => "Session token not found or invalid",
            Self::InvalidRequest => "The request is invalid.",
        }
    }

    /// The code a test asks for with `status=CODE`.
    pub fn from_status(status: u16) -> Option<Self> {
        BY_STATUS
            .into_iter()
            .find(|code| code.status().as_u16() == status)
    }

    /// The exception named by `exception=NAME` (the in-stream, lower-camel name).
    pub fn from_stream_name(name: &str) -> Option<Self> {
        IN_STREAM
            .into_iter()
            .find(|code| code.stream_name() == name)
    }

    /// The `:exception-type` of this code inside an event stream: `validationException`.
    pub fn stream_name(self) -> String {
        let name = self.name();
        let mut out = name[..1].to_ascii_lowercase();
        out.push_str(&name[1..]);
        out
    }
}

/// An error answer: the code and the message that goes in the JSON body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.name())]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Validation, message)
    }

    /// The error with Bedrock's stock message for its code.
    pub fn stock(code: ErrorCode) -> Self {
        Self::new(code, code.default_message())
    }

    /// The HTTP answer; the caller adds `x-amzn-RequestId`, which every answer carries.
    pub fn into_response(self) -> Response {
        let body = serde_json::json!({ "message": self.message }).to_string();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.code.status();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let error_type = format!("{}{ERROR_TYPE_NAMESPACE}", self.code.name());
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_str(&error_type).expect("error codes are ASCII"),
        );
        response
    }
}

/// AWS's wording for one parameter that breaks a constraint of the API model, shared by
/// every service: Bedrock's ValidationException and STS's ValidationError alike.
pub fn constraint_violation(value: &str, at: &str, rule: &str) -> String {
    format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {rule}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_directive_table() {
        let table = [
            (400, "ValidationException"),
            (403, "AccessDeniedException"),
            (404, "ResourceNotFoundException"),
            (408, "ModelTimeoutException"),
            (424, "ModelErrorException"),
            (429, "ThrottlingException"),
            (500, "InternalServerException"),
            (503, "ServiceUnavailableException"),
        ];
        for (status, name) in table {
            assert_eq!(
                ErrorCode::from_status(status).map(ErrorCode::name),
                Some(name)
            );
        }
        assert_eq!(ErrorCode::from_status(200), None);
        assert_eq!(ErrorCode::from_status(418), None);
    }

    #[test]
    fn in_stream_names() {
        for name in [
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "serviceUnavailableException",
        ] {
            let code = ErrorCode::from_stream_name(name).expect(name);
            assert_eq!(code.stream_name(), name);
        }
        assert_eq!(ErrorCode::from_stream_name("accessDeniedException"), None);
    }

    #[test]
    fn response_shape() {
        let response = ApiError::stock(ErrorCode::Throttling).into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"
        );
    }
}
