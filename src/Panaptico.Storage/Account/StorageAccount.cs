using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Panaptico.Storage.Account;

/// <summary>
/// The one storage account the app runs on: Azurite locally, a real account in Azure.
/// Built from a connection string, or (production) from an account name and a managed identity.
/// </summary>
public sealed class StorageAccount
{
    private StorageAccount(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables, bool isEmulator)
    {
        Blobs = blobs;
        Queues = queues;
        Tables = tables;
        IsEmulator = isEmulator;
    }

    public BlobServiceClient Blobs { get; }
    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }

    /// <summary>True against Azurite, where immutability policies answer 501.</summary>
    public bool IsEmulator { get; }

    /// <summary>How the Durable Task backend reaches the same account: a connection string, or the account name and identity.</summary>
    public string? ConnectionString { get; private init; }
    public string? AccountName { get; private init; }
    public TokenCredential? Credential { get; private init; }

    public static StorageAccount FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        // Queue messages are plain text here (UTF-8 JSON), as the Functions host writes them since v5 of the extension.
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        return new StorageAccount(
            new BlobServiceClient(connectionString),
            new QueueServiceClient(connectionString, queueOptions),
            new TableServiceClient(connectionString),
            connectionString.Contains("127.0.0.1", StringComparison.Ordinal)
                || connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            ConnectionString = connectionString,
        };
    }

    /// <summary>
    /// The account from clients registered elsewhere (the app registers them once, with <c>Microsoft.Extensions.Azure</c>),
    /// and how the Durable Task backend reaches the same account: the connection string, or the account name and identity.
    /// </summary>
    public static StorageAccount FromClients(
        BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables,
        string? connectionString, string? accountName, TokenCredential? credential) =>
        new(blobs, queues, tables, connectionString is not null
            && (connectionString.Contains("127.0.0.1", StringComparison.Ordinal)
                || connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)))
        {
            ConnectionString = connectionString,
            AccountName = accountName,
            Credential = credential,
        };

    /// <summary>Managed identity (no secret anywhere): <c>AzureWebJobsStorage__accountName</c>.</summary>
    public static StorageAccount FromAccountName(string accountName, TokenCredential? credential = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        credential ??= new DefaultAzureCredential();
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        return new StorageAccount(
            new BlobServiceClient(new Uri($"https://{accountName}.blob.core.windows.net"), credential),
            new QueueServiceClient(new Uri($"https://{accountName}.queue.core.windows.net"), credential, queueOptions),
            new TableServiceClient(new Uri($"https://{accountName}.table.core.windows.net"), credential),
            isEmulator: false)
        {
            AccountName = accountName,
            Credential = credential,
        };
    }
}
