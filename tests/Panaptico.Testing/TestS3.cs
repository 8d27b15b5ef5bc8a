using Amazon.S3;
using Panaptico.Connectors.S3;
using Xunit;

namespace Panaptico.Testing;

/// <summary>
/// The real S3 API of a test run: OpenStack Swift with s3api, installed from Debian and started on loopback by the test
/// command (<c>./run.sh test</c>, through <c>tests/peers/swift-s3.sh</c>), which passes its endpoint and keys in
/// PANAPTICO_TEST_S3. A test that needs it and finds nothing fails, saying how to get it.
/// </summary>
public static class TestS3
{
    public const string EnvironmentVariable = "PANAPTICO_TEST_S3";

    /// <summary>The tempauth user the peer is started with: its access key is also its canonical owner id.</summary>
    public const string OwnerId = "acme:owner";

    public static S3Endpoint Endpoint()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        Assert.False(string.IsNullOrWhiteSpace(text),
            $"{EnvironmentVariable} is not set: this test needs Swift's S3 API. Run it through ./run.sh test (which installs Swift " +
            "from Debian and starts it), or: tests/peers/swift-s3.sh install && tests/peers/swift-s3.sh start /tmp/swift-s3 && " +
            ". /tmp/swift-s3/env");
        return S3Endpoint.Parse(text!);
    }

    public static AmazonS3Client Client() => Endpoint().CreateClient();

    /// <summary>A bucket name of this test's own (S3 names: lowercase, digits, hyphens).</summary>
    public static string UniqueBucket(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 13)];
}
