namespace Panaptico.Connectors.Tests.Drift;

/// <summary>One valid snapshot per schema, in the shape collectors push (the seed's objects).</summary>
internal static class SnapshotExamples
{
    public const string CrowdStrike = """
        {"snapshotId":"cs-20260415T0310","objectId":"crowdstrike/sensor-policy/EMEA-finance","system":"crowdstrike","kind":"sensor-policy",
         "observedAt":"2026-04-15T03:10:00Z",
         "state":{"policyId":"a1b2c3d4e5f60718293a4b5c6d7e8f90","name":"EMEA-finance","platform":"Windows","enabled":true,
                  "preventionMode":"monitor-only",
                  "sensorUpdatePolicy":{"name":"EMEA-finance n-1","build":"n-1","uninstallProtection":"ENABLED"}}}
        """;

    public const string Okta = """
        {"snapshotId":"okta-0415-0310","objectId":"okta/group/fin-admins","system":"okta","kind":"group","observedAt":"2026-04-15T03:10:00Z",
         "state":{"id":"00g1emaKYZTWRYYRRTSK","name":"fin-admins","type":"OKTA_GROUP",
                  "members":[{"id":"00u1","login":"S.Okafor@contoso.com"},{"id":"00u2","login":"a.chen@contoso.com"},{"id":"00u3","login":"j.tran@contoso.com"}]}}
        """;

    public const string Snowflake = """
        {"snapshotId":"sf-0415-0310","objectId":"snowflake/warehouse/REPORTING_WH","system":"snowflake","kind":"warehouse","observedAt":"2026-04-15T03:10:00Z",
         "state":{"name":"REPORTING_WH","size":"Large","autoSuspend":600,"autoResume":true,"minClusterCount":1,"maxClusterCount":3,"scalingPolicy":"STANDARD"}}
        """;

    public const string AwsKms = """
        {"snapshotId":"kms-0415-0310","objectId":"aws/kms/111122223333/us-east-1","system":"aws","kind":"kms-key-rotation","observedAt":"2026-04-15T03:10:00Z",
         "state":{"accountId":"111122223333","region":"us-east-1","keys":[
           {"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","keyRotationEnabled":false},
           {"keyId":"0987dcba-09fe-87dc-65ba-ab0987654321","keyRotationEnabled":true,"rotationPeriodInDays":365},
           {"keyId":"mrk-1234abcd12ab34cd56ef1234567890ab","keyRotationEnabled":true,"rotationPeriodInDays":90}]}}
        """;

    public const string Datadog = """
        {"snapshotId":"dd-0415-0310","objectId":"datadog/monitor/auth-latency-p99","system":"datadog","kind":"monitor","observedAt":"2026-04-15T03:10:00Z",
         "state":{"id":91879,"name":"auth-latency-p99","type":"query alert",
                  "query":"percentile(last_5m):p99:trace.http.request{service:auth} > 0.8",
                  "message":"Auth p99 above 800 ms. @pagerduty-auth-oncall @slack-auth-alerts @pagerduty-auth-oncall",
                  "options":{"thresholds":{"critical":0.8,"warning":0.5},"notifyNoData":true,"renotifyInterval":30}}}
        """;

    public const string Vault = """
        {"snapshotId":"vault-0415-0310","objectId":"vault/pki-role/pki-intermediate/server","system":"vault","kind":"pki-role","observedAt":"2026-04-15T03:10:00Z",
         "state":{"mount":"pki-intermediate","role":"server","maxTtl":"720h","ttl":86400,
                  "allowedDomains":["svc.contoso.com","Contoso.com"],"allowSubdomains":true,"allowAnyName":false,"enforceHostnames":true}}
        """;

    public const string Workday = """
        {"snapshotId":"wd-0415-0310","objectId":"workday/isu/ISU_Finance_Payroll","system":"workday","kind":"integration-system-user","observedAt":"2026-04-15T03:10:00Z",
         "state":{"userName":"ISU_Finance_Payroll","status":"Active","passwordNeverExpires":true,"doNotAllowUiSessions":true,
                  "sessionTimeoutMinutes":0,"securityGroups":["ISSG_Payroll_Read","ISSG_Finance_Integrations"]}}
        """;
}
