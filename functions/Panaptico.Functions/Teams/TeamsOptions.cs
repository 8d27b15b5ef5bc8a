namespace Panaptico.Functions.Teams;

/// <summary>Settings under <c>Teams:</c>: the bot's identity, where the Bot Framework lives, the directory cache.</summary>
public sealed record TeamsOptions
{
    public const string Section = "Teams";

    /// <summary>The bot's Microsoft App ID: the audience of incoming Bot Framework tokens and our client id. None: Teams is off.</summary>
    public string? BotAppId { get; init; }

    /// <summary>A single-tenant bot's tenant: tokens come from <c>/{tenant}/</c> and 1:1 chats are created in it.</summary>
    public string? TenantId { get; init; }

    /// <summary>The bot's client secret (a Key Vault reference in Azure). Never logged.</summary>
    public string? BotClientSecret { get; init; }

    public Uri OpenIdMetadataUrl { get; init; } = new("https://login.botframework.com/v1/.well-known/openidconfiguration");

    public Uri LoginBaseUrl { get; init; } = new("https://login.microsoftonline.com");

    /// <summary>Where proactive messages go (Teams' regional Bot Connector).</summary>
    public Uri ServiceUrl { get; init; } = new("https://smba.trafficmanager.net/amer/");

    /// <summary>The audit channel's conversation id (<c>19:…@thread.tacv2</c>) the close-out is posted to. None: no close-out post.</summary>
    public string? AuditConversationId { get; init; }

    /// <summary>The link the activity-feed notification opens (the app's personal tab or chat).</summary>
    public Uri FeedWebUrl { get; init; } = new("https://teams.microsoft.com/");

    /// <summary>Directory answers kept at most (users, managers, group memberships), and for how long.</summary>
    public int DirectoryCacheSize { get; init; } = 1000;

    public TimeSpan DirectoryCacheTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Panaptico role → the Entra group whose members hold it (<c>Teams:RoleGroups:approver</c>); a tapper's roles.</summary>
    public Dictionary<string, string> RoleGroups { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public bool BotEnabled => !string.IsNullOrWhiteSpace(BotAppId);

    /// <summary>The bot's own account in Teams conversations.</summary>
    public string BotAccountId => $"28:{BotAppId}";
}
