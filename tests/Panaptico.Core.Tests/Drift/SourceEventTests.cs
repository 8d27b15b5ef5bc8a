using Panaptico.Core.Drift;

namespace Panaptico.Core.Tests.Drift;

public sealed class SourceEventTests
{
    [Fact]
    public void A_terraform_cloud_run_reads_workspace_run_commit_sender_times_and_ticket()
    {
        var run = Assert.Single(SourceEvents.Parse(SourceKind.TerraformRun, SourceSamples.TerraformRun));

        Assert.Equal("run-SFSeL9fg6Kibje8L", run.EventId);
        Assert.Equal("finance-prod", run.Workspace);
        Assert.Equal(DateTimeOffset.Parse("2026-04-15T14:20:11Z"), run.WindowStart);
        Assert.Equal(DateTimeOffset.Parse("2026-04-15T14:21:08Z"), run.WindowEnd);
        Assert.Equal("a4f2c0de5b7e11aa09f3e991", run.Detail(SourceDetail.Commit));
        Assert.Equal("j.tran", run.Detail(SourceDetail.Sender));
        Assert.Equal("311", run.Detail(SourceDetail.PullRequest));
        Assert.Equal("CHG-00604", run.Detail(SourceDetail.Ticket));
        Assert.Equal("tfc-finance-bot", run.Actor);
        Assert.True(run.Succeeded);
    }

    [Fact]
    public void A_refresh_only_or_unapplied_run_explains_nothing()
    {
        var refresh = SourceSamples.TerraformRun.Replace("\"refresh-only\":false", "\"refresh-only\":true");

        Assert.False(Assert.Single(SourceEvents.Parse(SourceKind.TerraformRun, refresh)).Succeeded);
    }

    [Fact]
    public void A_resource_graph_change_reads_target_actor_client_correlation_and_property()
    {
        var change = Assert.Single(SourceEvents.Parse(SourceKind.ResourceGraph, SourceSamples.ResourceGraph));

        Assert.Equal(["/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod"], change.Objects.ToArray());
        Assert.Equal("john@contoso.com", change.Actor);
        Assert.Equal("Azure Portal", change.Detail(SourceDetail.ClientType));
        Assert.Equal("11111111-2222-3333-4444-555555555555", change.CorrelationId);
        Assert.Equal(["properties.allowBlobPublicAccess"], change.Fields.ToArray());
        Assert.Equal("User", change.Detail(SourceDetail.Category));
    }

    [Fact]
    public void An_activity_log_record_reads_caller_claims_operation_and_status()
    {
        var record = Assert.Single(SourceEvents.Parse(SourceKind.ActivityLog, SourceSamples.ActivityLog));

        Assert.Equal("john@contoso.com", record.Actor);
        Assert.Equal("Microsoft.Storage/storageAccounts/write", record.Detail(SourceDetail.Operation));
        Assert.Equal("203.0.113.7", record.Detail(SourceDetail.IpAddress));
        Assert.True(record.Succeeded);
        Assert.False(Assert.Single(SourceEvents.Parse(SourceKind.ActivityLog, SourceSamples.ActivityLog.Replace("\"value\":\"Succeeded\"", "\"value\":\"Started\""))).Succeeded);
    }

    [Fact]
    public void An_event_grid_resource_write_reads_as_the_activity_it_pushes()
    {
        var write = Assert.Single(SourceEvents.Parse(SourceKind.ActivityLog, SourceSamples.ResourceWriteSuccess));

        Assert.Equal("john@contoso.com", write.Actor);
        Assert.Equal("11111111-2222-3333-4444-555555555555", write.CorrelationId);
        Assert.True(write.Succeeded);
    }

    [Fact]
    public void An_entra_directory_audit_reads_the_app_the_target_and_modified_properties()
    {
        var audit = Assert.Single(SourceEvents.Parse(SourceKind.EntraAudit, SourceSamples.EntraAudit));

        Assert.Equal("9a1c0b5e-0000-4000-8000-00000000tf01", audit.Actor);
        Assert.Equal("terraform-finance", audit.ActorName);
        Assert.Equal(["ef7e0000-0000-4000-8000-000000000001", "finance-etl-prod"], audit.Objects.ToArray());
        Assert.Equal(["AppRoleAssignmentRequired"], audit.Fields.ToArray());
        Assert.Equal("Update service principal", audit.Detail(SourceDetail.Operation));
    }

    [Fact]
    public void An_entra_directory_audit_by_a_person_names_the_user()
    {
        var audit = Assert.Single(SourceEvents.Parse(SourceKind.EntraAudit, SourceSamples.EntraAuditByPerson));

        Assert.Equal("mallory@contoso.com", audit.Actor);
        Assert.Equal("198.51.100.4", audit.Detail(SourceDetail.IpAddress));
    }

    [Fact]
    public void A_scim_sync_is_a_directory_audit_initiated_by_the_provisioning_app()
    {
        var sync = Assert.Single(SourceEvents.Parse(SourceKind.ScimSync, SourceSamples.ScimSync));

        Assert.Equal(SourceKind.ScimSync, sync.Kind);
        Assert.Equal("Okta SCIM provisioning", sync.ActorName);
        Assert.Equal(["Department"], sync.Fields.ToArray());
        var byPerson = Assert.Throws<DriftInputException>(() => SourceEvents.Parse(SourceKind.ScimSync, SourceSamples.EntraAuditByPerson));
        Assert.Contains("$.initiatedBy.app", byPerson.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_cloudtrail_record_by_a_person_names_the_iam_user_and_the_key()
    {
        var record = Assert.Single(SourceEvents.Parse(SourceKind.CloudTrail, SourceSamples.CloudTrailPerson));

        Assert.Equal("arn:aws:iam::111122223333:user/Alice", record.Actor);
        Assert.Equal("Alice", record.ActorName);
        Assert.Equal(["1234abcd-12ab-34cd-56ef-1234567890ab"], record.Objects.ToArray());
        Assert.Equal("DisableKeyRotation", record.Detail(SourceDetail.Operation));
    }

    [Fact]
    public void A_cloudtrail_rotate_key_service_event_is_the_vendor()
    {
        var record = Assert.Single(SourceEvents.Parse(SourceKind.CloudTrail, SourceSamples.CloudTrailRotateKey));

        Assert.Equal("AWS Internal", record.Actor);
        Assert.Equal("AwsServiceEvent", record.Detail(SourceDetail.EventType));
        Assert.Equal("AUTOMATIC", record.Detail(SourceDetail.RotationType));
        Assert.Contains("1234abcd-12ab-34cd-56ef-1234567890ab", record.Objects);
        Assert.Contains("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", record.Objects);
    }

    [Fact]
    public void A_cloudtrail_assumed_role_session_names_the_role_and_the_person_in_the_session()
    {
        var record = Assert.Single(SourceEvents.Parse(SourceKind.CloudTrail, SourceSamples.CloudTrailAssumedRole));

        Assert.Equal("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b2c", record.Actor);
        Assert.Equal("alice@acme.com", record.ActorName);
    }

    [Fact]
    public void A_vendor_patch_reads_vendor_release_window_and_objects()
    {
        var patch = Assert.Single(SourceEvents.Parse(SourceKind.VendorPatch, SourceSamples.VendorPatch));

        Assert.Equal("SNOW-REL-9.41", patch.EventId);
        Assert.Equal("snowflake", patch.Detail(SourceDetail.Vendor));
        Assert.Equal(DateTimeOffset.Parse("2026-04-15T03:05:00Z"), patch.At);
        Assert.Equal(["autoSuspend"], patch.Fields.ToArray());
    }

    [Fact]
    public void Our_change_record_and_a_ticket_with_a_window_read_as_change_records()
    {
        var ours = Assert.Single(SourceEvents.Parse(SourceKind.ChangeRecord, SourceSamples.ChangeRecord));
        var ticket = Assert.Single(SourceEvents.Parse(SourceKind.ChangeRecord, SourceSamples.ChangeTicket));

        Assert.Equal(["azure-blob://acmeprod/customer-exports"], ours.Objects.ToArray());
        Assert.Equal("platform-security@acme.com", ours.Detail(SourceDetail.Owner));
        Assert.Equal(DateTimeOffset.Parse("2026-04-15T14:00:00Z"), ticket.WindowStart);
        Assert.Equal(DateTimeOffset.Parse("2026-04-15T15:00:00Z"), ticket.WindowEnd);
        Assert.Equal(["azure/sp/finance-etl-prod"], ticket.Objects.ToArray());
    }

    [Theory]
    [InlineData(SourceKind.TerraformRun, """{"data":{"id":"run-x","type":"runs","attributes":{"status":"applied","status-timestamps":{}},"relationships":{"workspace":{"data":{"id":"ws-1"}}}}}""", "$.data.attributes.status-timestamps.applying-at: is required")]
    [InlineData(SourceKind.CloudTrail, """{"Records":[{"eventTime":"2026-04-15T03:10:56Z","eventName":"DisableKeyRotation"}]}""", "$.Records[0].userIdentity: is required (a mapping)")]
    [InlineData(SourceKind.EntraAudit, """{"value":[{"id":"a","activityDateTime":"yesterday","initiatedBy":{"user":{"userPrincipalName":"x@y"}},"targetResources":[{"id":"t"}]}]}""", "$.value[0].activityDateTime: 'yesterday' is not a date-time (ISO 8601)")]
    [InlineData(SourceKind.ResourceGraph, """{"data":[{"changeAttributes":{"timestamp":"2026-04-15T03:10:17Z"}}]}""", "$.data[0].targetResourceId: is required")]
    [InlineData(SourceKind.VendorPatch, """{"vendor":"okta","id":"OKTA-1","appliedAt":"2026-04-15T03:10:17Z","objects":[],"severity":"high"}""", "$.severity: unknown field 'severity' (known: vendor, id, title, release, appliedAt, scheduledStart, scheduledEnd, objects, fields)")]
    [InlineData(SourceKind.ChangeRecord, """{"id":"CHG-9","detected":"2026-04-15T03:10:17Z"}""", "$.objects: a change record must name the objects it changes (asset or objects)")]
    [InlineData(SourceKind.ActivityLog, "[1,", "$ (line 1, byte 3)")]
    public void Malformed_input_is_refused_naming_the_path(SourceKind kind, string json, string problem)
    {
        var e = Assert.Throws<DriftInputException>(() => SourceEvents.Parse(kind, json));

        Assert.Equal(DriftCodes.SourceMalformed, e.Code);
        Assert.Contains(e.Problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }
}
