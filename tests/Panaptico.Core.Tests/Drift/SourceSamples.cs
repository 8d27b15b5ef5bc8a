namespace Panaptico.Core.Tests.Drift;

/// <summary>Each change source in its real shape (see shared/reference/drift-sources.md).</summary>
internal static class SourceSamples
{
    public const string TerraformRun = """
        {"data":{"id":"run-SFSeL9fg6Kibje8L","type":"runs",
          "attributes":{"status":"applied","source":"tfe-configuration-version","refresh-only":false,"message":"Merge pull request #311 (CHG-00604) from finance/etl",
            "status-timestamps":{"plan-queued-at":"2026-04-15T14:18:02+00:00","planned-at":"2026-04-15T14:19:40+00:00","applying-at":"2026-04-15T14:20:11+00:00","applied-at":"2026-04-15T14:21:08+00:00"}},
          "relationships":{"workspace":{"data":{"id":"ws-2Qhk7LHgbMrm3NXe","type":"workspaces"}},
            "created-by":{"data":{"id":"user-0001","type":"users"}},
            "configuration-version":{"data":{"id":"cv-ntv3HbhJqvFzamy7","type":"configuration-versions"}}}},
         "included":[
          {"id":"ws-2Qhk7LHgbMrm3NXe","type":"workspaces","attributes":{"name":"finance-prod"}},
          {"id":"user-0001","type":"users","attributes":{"username":"tfc-finance-bot"}},
          {"id":"cv-ntv3HbhJqvFzamy7","type":"configuration-versions","relationships":{"ingress-attributes":{"data":{"id":"ia-i4MrTxmQXYxH2nYD","type":"ingress-attributes"}}}},
          {"id":"ia-i4MrTxmQXYxH2nYD","type":"ingress-attributes","attributes":{"branch":"main","commit-sha":"a4f2c0de5b7e11aa09f3e991","commit-url":"https://github.com/acme/finance-infra/commit/a4f2c0de5b7e11aa09f3e991","sender-username":"j.tran","pull-request-number":311}}]}
        """;

    public const string ResourceGraph = """
        {"count":1,"data":[{"targetResourceId":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod",
         "targetResourceType":"microsoft.storage/storageaccounts","changeType":"Update",
         "changeAttributes":{"previousResourceSnapshotId":"snap-1","newResourceSnapshotId":"snap-2","correlationId":"11111111-2222-3333-4444-555555555555",
           "changedByType":"User","changesCount":1,"clientType":"Azure Portal","changedBy":"john@contoso.com",
           "operation":"microsoft.storage/storageaccounts/write","timestamp":"2026-04-15T03:10:17.347+00:00"},
         "changes":{"properties.allowBlobPublicAccess":{"newValue":"True","previousValue":"False","changeCategory":"User","propertyChangeType":"Update"}}}]}
        """;

    public const string ActivityLog = """
        {"value":[{"eventDataId":"ad1c1d5e-0000-4000-8000-000000000001","caller":"john@contoso.com","correlationId":"11111111-2222-3333-4444-555555555555",
          "claims":{"appid":"c44b4083-3bb0-49c1-b47d-974e53cbdf3c","ipaddr":"203.0.113.7","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"john@contoso.com","http://schemas.microsoft.com/identity/claims/objectidentifier":"0f1e0000-0000-4000-8000-000000000009"},
          "operationName":{"value":"Microsoft.Storage/storageAccounts/write","localizedValue":"Create/Update Storage Account"},
          "status":{"value":"Succeeded","localizedValue":"Succeeded"},"eventTimestamp":"2026-04-15T03:10:16.9Z","submissionTimestamp":"2026-04-15T03:12:40Z",
          "authorization":{"action":"Microsoft.Storage/storageAccounts/write","scope":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod"},
          "httpRequest":{"clientRequestId":"r1","clientIpAddress":"203.0.113.7","method":"PUT"},
          "resourceId":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod"}]}
        """;

    public const string ResourceWriteSuccess = """
        [{"subject":"/subscriptions/s1/resourcegroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod",
          "eventType":"Microsoft.Resources.ResourceWriteSuccess","eventTime":"2026-04-15T03:10:04.6117357Z","id":"4db4a4c1-0000-4000-8000-000000000001",
          "data":{"authorization":{"scope":"/subscriptions/s1","action":"Microsoft.Storage/storageAccounts/write","evidence":{"role":"Subscription Admin"}},
            "claims":{"appid":"c44b4083","ipaddr":"203.0.113.7","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"john@contoso.com"},
            "correlationId":"11111111-2222-3333-4444-555555555555","resourceProvider":"Microsoft.Storage","resourceUri":"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod",
            "operationName":"Microsoft.Storage/storageAccounts/write","status":"Succeeded","subscriptionId":"s1","tenantId":"t1"},
          "dataVersion":"2","metadataVersion":"1","topic":"/subscriptions/s1"}]
        """;

    public const string EntraAudit = """
        {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits","value":[
         {"id":"Directory_da15_0001","category":"ApplicationManagement","correlationId":"da150000-0000-4000-8000-000000000001","result":"success",
          "activityDisplayName":"Update service principal","activityDateTime":"2026-04-15T14:20:52.7215374Z",
          "loggedByService":"Core Directory","operationType":"Update",
          "initiatedBy":{"user":null,"app":{"appId":"9a1c0b5e-0000-4000-8000-00000000tf01","displayName":"terraform-finance","servicePrincipalId":"5b0e0000-0000-4000-8000-000000000002","servicePrincipalName":null}},
          "targetResources":[{"id":"ef7e0000-0000-4000-8000-000000000001","type":"ServicePrincipal","displayName":"finance-etl-prod",
            "modifiedProperties":[{"displayName":"AppRoleAssignmentRequired","oldValue":"[true]","newValue":"[false]"}]}]}]}
        """;

    public const string EntraAuditByPerson = """
        {"id":"Directory_da15_0002","category":"GroupManagement","correlationId":"da150000-0000-4000-8000-000000000002","result":"success",
         "activityDisplayName":"Add member to group","activityDateTime":"2026-04-15T09:02:11Z","loggedByService":"Core Directory","operationType":"Assign",
         "initiatedBy":{"user":{"id":"0f1e0000-0000-4000-8000-000000000009","userPrincipalName":"mallory@contoso.com","ipAddress":"198.51.100.4"},"app":null},
         "targetResources":[{"id":"9d2c0000-0000-4000-8000-000000000003","type":"Group","displayName":"fin-admins","modifiedProperties":[]}]}
        """;

    public const string ScimSync = """
        {"value":[{"id":"Provisioning_0001","category":"ProvisioningManagement","correlationId":"5c3f-sync-0001","result":"success",
          "activityDisplayName":"Update user","activityDateTime":"2026-04-15T13:55:00Z","loggedByService":"Account Provisioning","operationType":"Update",
          "initiatedBy":{"user":null,"app":{"appId":"5c3f0000-scim-4000-8000-000000000001","displayName":"Okta SCIM provisioning","servicePrincipalId":"5c3f0000-0000-4000-8000-000000000010","servicePrincipalName":null}},
          "targetResources":[{"id":"0a0a0000-0000-4000-8000-000000000004","type":"User","displayName":"workday-integration","modifiedProperties":[{"displayName":"Department","oldValue":"[\"HR\"]","newValue":"[\"Finance\"]"}]}]}]}
        """;

    public const string CloudTrailPerson = """
        {"Records":[{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","principalId":"EX_PRINCIPAL_ID",
          "arn":"arn:aws:iam::111122223333:user/Alice","accountId":"111122223333","userName":"Alice"},
         "eventTime":"2026-04-15T03:10:56Z","eventSource":"kms.amazonaws.com","eventName":"DisableKeyRotation","eventID":"ct-0001",
         "awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"},
         "responseElements":null,"eventType":"AwsApiCall","readOnly":false}]}
        """;

    public const string CloudTrailRotateKey = """
        {"eventVersion":"1.08","userIdentity":{"accountId":"111122223333","invokedBy":"AWS Internal"},
         "eventTime":"2026-04-15T00:00:12Z","eventSource":"kms.amazonaws.com","eventName":"RotateKey","eventID":"ct-0002","awsRegion":"us-east-1",
         "sourceIPAddress":"AWS Internal","requestParameters":null,"responseElements":null,"eventType":"AwsServiceEvent","readOnly":false,
         "resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],
         "serviceEventDetails":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","rotationType":"AUTOMATIC"}}
        """;

    public const string CloudTrailAssumedRole = """
        {"Records":[{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice@acme.com",
          "arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c/alice@acme.com","accountId":"111122223333",
          "sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b2c","accountId":"111122223333","userName":"AWSReservedSSO_Admin_0a1b2c"},
            "attributes":{"creationDate":"2026-04-15T02:55:00Z","mfaAuthenticated":"false"}}},
         "eventTime":"2026-04-15T03:11:30Z","eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","eventID":"ct-0003","awsRegion":"us-east-1",
         "sourceIPAddress":"198.51.100.8","requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default"},"eventType":"AwsApiCall","readOnly":false}]}
        """;

    public const string VendorPatch = """
        {"patches":[{"vendor":"snowflake","id":"SNOW-REL-9.41","title":"Warehouse auto-suspend default change","release":"9.41",
          "scheduledStart":"2026-04-15T02:00:00Z","scheduledEnd":"2026-04-15T06:00:00Z","appliedAt":"2026-04-15T03:05:00Z",
          "objects":["snowflake/warehouse/REPORTING_WH"],"fields":["autoSuspend"]}]}
        """;

    public const string ChangeRecord = """
        {"id":"CHG-2026-0415-001","violation":{"pattern":"public-container-access","title":"Public container access","control":"CIS Azure 3.7"},
         "asset":"azure-blob://acmeprod/customer-exports","framework":[],"severity":"high","owner":"platform-security@acme.com","detected":"2026-04-15T03:12:47.0000000Z"}
        """;

    public const string ChangeTicket = """
        [{"id":"CHG-00604","title":"Finance ETL: require app role assignment","owner":"j.tran","objects":["azure/sp/finance-etl-prod"],
          "fields":["appRoleAssignmentRequired"],"window":{"start":"2026-04-15T14:00:00Z","end":"2026-04-15T15:00:00Z"}}]
        """;
}
