//! The emulator against a client nobody here wrote: boto3 (botocore's own
//! SigV4 signer and event-stream parser). If boto3 accepts the emulator's
//! frames and the emulator accepts boto3's signatures, the component is
//! tested against the wire format AWS's SDKs speak.

use integration_tests::{assert_sdk_scenarios, by_scenario, emulator, python, run_python};

#[tokio::test(flavor = "multi_thread")]
async fn boto3_converse_stream_against_the_emulator() {
    let Some(python) = python() else { return };
    let emulator = emulator().await;
    let lines = run_python(&python, "boto3_client.py", &[&emulator.endpoint()], &[]).await;
    let scenarios = by_scenario(lines);
    assert_sdk_scenarios(&scenarios);
    // botocore reports the event's name; the JavaScript SDK its class.
    assert_eq!(
        scenarios["in_stream_exception"]["error"],
        "modelStreamErrorException"
    );
}
