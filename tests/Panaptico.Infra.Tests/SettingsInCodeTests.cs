using Panaptico.Infra.Tests.Support;

namespace Panaptico.Infra.Tests;

/// <summary>The scan behind the coverage tests finds each form of read it claims to, and nothing in comments.</summary>
public sealed class SettingsInCodeTests
{
    private const string Setup = """
        public static class RemediationSetup
        {
            public const string ScheduleSetting = "ViolationScanSchedule";
            public const string QueueSetting = "RemediationQueue";

            public static void AddRemediation(this IServiceCollection services, IConfiguration configuration)
            {
                configuration.AddDefault(ScheduleSetting, "0 * * * * *");
                var queue = configuration[QueueSetting] ?? "remediation";
                var storage = configuration["AzureWebJobsStorage:accountName"];
                var section = configuration.GetSection("Remediation");
                var expiry = section.GetValue<TimeSpan?>("ApprovalExpiry") ?? TimeSpan.FromHours(1);
                var owners = section.GetSection("Owners");
                var keys = owners.GetSection("TagKeys").Get<string[]>();
                var fallback = owners?["Fallback"];
                services.AddSingleton(Policy(section));
                var url = "https://example.org/*/path"; // configuration["Commented:Out"]
                /* configuration["Block:Comment"] */
                var mode = Environment.GetEnvironmentVariable("Functions__Mode");
            }

            private static object Policy(IConfigurationSection section) =>
                section.GetSection("Accounts").GetChildren().ToList().Select(account => account["AccountName"]).ToList();
        }

        public static class AppSettingDefaults
        {
            public static void AddDefault(this IConfiguration configuration, string name, string value)
            {
                if (configuration[name] is null) { }
            }
        }

        public sealed class HeartbeatFunction
        {
            public const string ScheduleSetting = "HeartbeatSchedule";

            [Function("Heartbeat")]
            public Task RunAsync([TimerTrigger($"%{ScheduleSetting}%")] TimerInfo timer) => Task.CompletedTask;

            [Function("Step")]
            public Task StepAsync([QueueTrigger("%StepQueue%")] string message) => Task.CompletedTask;
        }

        public sealed class DurableOptions
        {
            public const string Section = "AzureFunctionsJobHost:extensions:durableTask";
            public string HubName { get; set; } = "panaptico";
            public int PartitionCount { get; init; } = 4;
        }

        public sealed record LedgerOptions(string Origin, string? CheckpointKeyPem);

        public static class Wiring
        {
            public static void Add(IServiceCollection services, IConfiguration configuration)
            {
                services.AddOptions<LedgerOptions>().Bind(configuration.GetSection("Ledger")).ValidateOnStart();
                services.AddOptions<DurableOptions>().BindConfiguration(DurableOptions.Section);
            }
        }
        """;

    /// <summary>A file with no parameter typed as configuration: the root comes from the service provider.</summary>
    private const string KeyCheck = """
        public sealed class KeyCheck(IServiceProvider services)
        {
            public string? Key(string name)
            {
                var configuration = services.GetRequiredService<IConfiguration>();
                return configuration[$"Functions:Keys:{name}"] ?? configuration.GetValue<string>("Functions:Keys:default");
            }
        }
        """;

    [Fact]
    public void It_finds_each_form_of_read_it_claims_to()
    {
        var scan = SettingsInCode.Of([new SourceFile("Sample.cs", Setup), new SourceFile("KeyCheck.cs", KeyCheck)]);

        var found = scan.Reads.Select(r => $"{r.Name}|{r.Kind}").ToHashSet();
        string[] expected =
        [
            "ViolationScanSchedule|Value", // through the helper that reads configuration[name]
            "RemediationQueue|Value",
            "AzureWebJobsStorage:accountName|Value",
            "Remediation:ApprovalExpiry|Value",
            "Remediation:Owners:TagKeys|Section",
            "Remediation:Owners:Fallback|Value",
            "Remediation:Accounts|Section",
            "Remediation:Accounts:*:AccountName|Value",
            "Functions:Mode|Value",
            "HeartbeatSchedule|HostBinding",
            "StepQueue|HostBinding",
            "Functions:Keys:*|Value",
            "Functions:Keys:default|Value",
            "AzureFunctionsJobHost:extensions:durableTask:HubName|Section",
            "AzureFunctionsJobHost:extensions:durableTask:PartitionCount|Section",
            "Ledger:Origin|Section",
            "Ledger:CheckpointKeyPem|Section",
        ];
        Assert.Empty(expected.Except(found, StringComparer.OrdinalIgnoreCase));
        Assert.DoesNotContain(scan.Reads, r => r.Name.ToString().Contains("Comment", StringComparison.Ordinal));
        // A variable holding a section is not a read of the section as a whole.
        Assert.DoesNotContain(scan.Reads, r => r.Name.ToString() == "Remediation");
        Assert.Empty(scan.Unresolved);
    }

    [Fact]
    public void It_reports_a_section_parameter_it_cannot_place()
    {
        var scan = SettingsInCode.Of([new SourceFile("Orphan.cs", """
            public static class Orphan
            {
                public static string? Read(IConfigurationSection options) => options["Key"];
            }
            """)]);

        Assert.Contains(scan.Unresolved, u => u.Contains("`options`", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Remediation:Accounts:N:*", "Remediation:Accounts:*:AccountName", true)]
    [InlineData("Remediation:Accounts:N:*", "Remediation:Accounts", true)]
    [InlineData("Functions:Keys:<name>", "Functions:Keys:*", true)]
    [InlineData("AzureWebJobsStorage__accountName", "AzureWebJobsStorage:accountName", true)]
    [InlineData("Remediation:ApprovalExpiry", "Remediation", true)]
    [InlineData("Remediation:ApprovalExpiry", "Remediation:RollbackWindow", false)]
    [InlineData("Auth:Mode", "Auth:Mode:Extra", false)]
    public void A_defined_name_covers_the_reads_it_gives_a_value(string defined, string read, bool covers) =>
        Assert.Equal(covers, SettingName.Parse(defined).Covers(SettingName.Parse(read)));
}
