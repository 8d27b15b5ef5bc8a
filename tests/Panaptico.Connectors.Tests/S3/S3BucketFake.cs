using System.Collections.Concurrent;
using System.Xml.Linq;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace Panaptico.Connectors.Tests.S3;

/// <summary>
/// One S3 bucket as a WireMock.Net fake, for the settings neither local S3 API round-trips (Swift refuses public access
/// block and policy, and fakes tagging): path-style requests on <c>/{bucket}?acl|tagging|publicAccessBlock|policy|versioning</c>
/// in the shapes of the S3 API reference (XML bodies, the policy as raw JSON, S3 error documents). It keeps what is put,
/// answers it back, and records every request so a test asserts what the connector sent.
/// </summary>
public sealed class S3BucketFake : IDisposable
{
    private const string Ns = "http://s3.amazonaws.com/doc/2006-03-01/";
    private readonly WireMockServer _server = WireMockServer.Start();

    public S3BucketFake(string bucket, string ownerId)
    {
        Bucket = bucket;
        OwnerId = ownerId;
        _server.Given(Request.Create().WithPath(new WildcardMatcher("/*")))
            .RespondWith(Response.Create().WithCallback(Answer));
    }

    public string Bucket { get; }
    public string OwnerId { get; }
    public Uri Url => new(_server.Url!);

    public Dictionary<string, string> Tags { get; } = [];

    /// <summary>The stored PublicAccessBlockConfiguration XML, or null for none configured.</summary>
    public string? PublicAccessBlockXml { get; set; }

    public string? Policy { get; set; }

    /// <summary>Every request: method, query, body.</summary>
    public ConcurrentQueue<(string Method, string Query, string Body)> Requests { get; } = new();

    public IEnumerable<(string Method, string Query, string Body)> Writes => Requests.Where(r => r.Method is "PUT" or "DELETE");

    public void Dispose() => _server.Stop();

    private ResponseMessage Answer(IRequestMessage request)
    {
        var query = request.RawQuery?.TrimStart('?') ?? "";
        var subresource = query.Split('&')[0].Split('=')[0];
        Requests.Enqueue((request.Method, subresource, request.Body ?? ""));
        if (request.Method == "GET" && request.Path == "/")
        {
            return Xml(200, new XElement(XName.Get("ListAllMyBucketsResult", Ns),
                new XElement(XName.Get("Owner", Ns), new XElement(XName.Get("ID", Ns), OwnerId)),
                new XElement(XName.Get("Buckets", Ns), new XElement(XName.Get("Bucket", Ns),
                    new XElement(XName.Get("Name", Ns), Bucket), new XElement(XName.Get("CreationDate", Ns), "2026-01-05T09:00:00.000Z")))));
        }
        if (request.Path.TrimEnd('/') != $"/{Bucket}")
        {
            return Error(404, "NoSuchBucket", $"no bucket at {request.Method} {request.Path}");
        }
        return (request.Method, subresource) switch
        {
            ("GET", "acl") => Xml(200, new XElement(XName.Get("AccessControlPolicy", Ns),
                new XElement(XName.Get("Owner", Ns), new XElement(XName.Get("ID", Ns), OwnerId)),
                new XElement(XName.Get("AccessControlList", Ns),
                    new XElement(XName.Get("Grant", Ns),
                        new XElement(XName.Get("Grantee", Ns), new XAttribute(XNamespace.Xmlns + "xsi", "http://www.w3.org/2001/XMLSchema-instance"),
                            new XAttribute(XName.Get("type", "http://www.w3.org/2001/XMLSchema-instance"), "CanonicalUser"),
                            new XElement(XName.Get("ID", Ns), OwnerId)),
                        new XElement(XName.Get("Permission", Ns), "FULL_CONTROL"))))),
            ("GET", "tagging") => Tags.Count == 0
                ? Error(404, "NoSuchTagSet")
                : Xml(200, new XElement(XName.Get("Tagging", Ns), new XElement(XName.Get("TagSet", Ns),
                    Tags.Select(t => new XElement(XName.Get("Tag", Ns), new XElement(XName.Get("Key", Ns), t.Key), new XElement(XName.Get("Value", Ns), t.Value)))))),
            ("GET", "versioning") => Xml(200, new XElement(XName.Get("VersioningConfiguration", Ns), new XElement(XName.Get("Status", Ns), "Enabled"))),
            ("GET", "publicAccessBlock") => PublicAccessBlockXml is null
                ? Error(404, "NoSuchPublicAccessBlockConfiguration")
                : Raw(200, "application/xml", PublicAccessBlockXml),
            ("PUT", "publicAccessBlock") => Store(() => PublicAccessBlockXml = request.Body),
            ("GET", "policy") => Policy is null ? Error(404, "NoSuchBucketPolicy") : Raw(200, "application/json", Policy),
            ("PUT", "policy") => Store(() => Policy = request.Body, 204),
            ("DELETE", "policy") => Store(() => Policy = null, 204),
            _ => Error(501, "NotImplemented"),
        };
    }

    private static ResponseMessage Store(Action store, int status = 200)
    {
        store();
        return new ResponseMessage { StatusCode = status };
    }

    private static ResponseMessage Xml(int status, XElement body) =>
        Raw(status, "application/xml", new XDocument(new XDeclaration("1.0", "UTF-8", null), body).ToString());

    private static ResponseMessage Error(int status, string code, string? message = null) =>
        Xml(status, new XElement("Error", new XElement("Code", code), new XElement("Message", message ?? code), new XElement("RequestId", "fake")));

    private static ResponseMessage Raw(int status, string contentType, string body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new(contentType) },
        BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
    };
}
